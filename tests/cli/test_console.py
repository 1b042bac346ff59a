"""The CLI's one rule for printing data (cli/console.py): safe text, data tables, progress lines
in a log file, strict JSON."""

from __future__ import annotations

import io
import json
import math
import re
from typing import Any

import numpy as np
import pytest
from rich.console import Console

from hilgen_graph.cli.console import (
    DataTable,
    LineProgress,
    _SafeConsole,
    data_panel,
    json_text,
    safe,
    styled,
    visible,
)


def strict_loads(text: str) -> Any:
    def reject(name: str) -> None:
        raise ValueError(f"not strict JSON: {name}")

    return json.loads(text, parse_constant=reject)


def render(*objects: Any, terminal: bool = False) -> str:
    buf = io.StringIO()
    con: Console = _SafeConsole(file=buf, width=200, force_terminal=terminal, emoji=False)
    for obj in objects:
        con.print(obj)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("data", "shown"),
    [
        ("[/x]", "[/x]"),
        ("[red]ALERT", "[red]ALERT"),
        ("B-[bold]x[/bold]", "B-[bold]x[/bold]"),
        ("ends with \\", "ends with \\"),
        ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),
        ("a\x00b\x07c\rd", "a\\x00b\\x07c\\x0dd"),
        ("csi\x9b2J", "csi\\x9b2J"),
        ("rtl\u202eevil", "rtl\\u202eevil"),
        ("tab\tand newline\nkept", "tab     and newline\nkept"),  # rich expands tabs
        (":smile: stays", ":smile: stays"),
    ],
)
def test_safe_text_prints_exactly_the_data(data: str, shown: str) -> None:
    assert render(f"[bold]{safe(data)}[/]") == shown + "\n"
    on_terminal = render(f"[bold]{safe(data)}[/]", terminal=True)
    assert on_terminal.startswith("\x1b[1m")  # our own markup still works
    assert re.sub("\x1b\\[[0-9;]*m", "", on_terminal) == shown + "\n"


def test_visible_keeps_text_without_controls() -> None:
    assert visible("Hypertension, Renal [Ambiguous]") == "Hypertension, Renal [Ambiguous]"


def test_data_table_cells_titles_and_headers_are_literal() -> None:
    table = DataTable(title="of [/x] \x1b[2J", caption="[red]c")
    table.add_column("[bold]h")
    table.add_column("n")
    table.add_row("[/x] name", "1")
    table.add_row(styled("styled [/y]", "green"), "2")
    out = render(table)
    for text in ("of [/x] \\x1b[2J", "[red]c", "[bold]h", "[/x] name", "styled [/y]"):
        assert text in out
    assert "\x1b" not in out


def test_data_panel_is_literal() -> None:
    out = render(data_panel("body [/x]", title="t [red]"))
    assert "body [/x]" in out and "t [red]" in out


def test_consoles_make_control_characters_visible_even_without_safe() -> None:
    out = render("plain \x1b]0;title\x07 text")
    assert out == "plain \\x1b]0;title\\x07 text\n"


def test_line_progress_prints_one_line_per_unit_in_a_log() -> None:
    buf = io.StringIO()
    con = _SafeConsole(file=buf, width=200, force_terminal=False)
    with LineProgress(console=con) as bar:
        task = bar.add_task("file [/x] \x1b[31m.gz", total=3)
        for _ in range(3):
            bar.advance(task)
        quiet = bar.add_task("grid", total=2, log=False)
        bar.update(quiet, completed=2)
        counted = bar.add_task("records", total=None)
        for n in (40, 100, 150, 250):
            bar.update(counted, completed=n)
        bar.update(counted, description="copy")
    assert buf.getvalue().splitlines() == [
        "file [/x] \\x1b[31m.gz: 1/3",
        "file [/x] \\x1b[31m.gz: 2/3",
        "file [/x] \\x1b[31m.gz: 3/3",
        "records: 40",
        "records: 100",
        "records: 150",
        "records: 250",
        "copy: 250",
    ]


def test_line_progress_every_thins_the_lines() -> None:
    buf = io.StringIO()
    con = _SafeConsole(file=buf, width=200, force_terminal=False)
    with LineProgress(console=con, every=100) as bar:
        task = bar.add_task("records", total=None)
        for n in range(0, 1001, 10):
            bar.update(task, completed=n)
    assert [line.split(": ")[1] for line in buf.getvalue().splitlines()] == [
        f"{n:,}" for n in range(100, 1001, 100)
    ]


def test_line_progress_draws_a_bar_on_a_terminal_and_no_lines() -> None:
    buf = io.StringIO()
    con = _SafeConsole(file=buf, width=100, force_terminal=True)
    with LineProgress(console=con, transient=True) as bar:
        task = bar.add_task("work", total=2)
        bar.advance(task)
        bar.advance(task)
    assert not bar.log_lines
    assert "work: 1/2" not in buf.getvalue()


def test_json_text_is_strict_and_keeps_numbers() -> None:
    obj = {
        "nan": math.nan,
        "inf": -math.inf,
        "ok": 0.25,
        "np_nan": np.float64("nan"),
        "np32": np.float32(0.5),
        "np_int": np.int64(7),
        "nested": [{"sd": float("nan")}, (1, 2)],
        "path": __import__("pathlib").Path("/tmp/x"),
        "text": "esc \x1b c1 \x9b bidi \u202e [/x]",
        "flag": True,
        "none": None,
    }
    text = json_text(obj)
    assert "\x1b" not in text and "\x9b" not in text and "\u202e" not in text
    back = strict_loads(text)
    assert back == {
        "nan": None,
        "inf": None,
        "ok": 0.25,
        "np_nan": None,
        "np32": 0.5,
        "np_int": 7,
        "nested": [{"sd": None}, [1, 2]],
        "path": "/tmp/x",
        "text": "esc \x1b c1 \x9b bidi \u202e [/x]",
        "flag": True,
        "none": None,
    }
    assert "\n" not in text
