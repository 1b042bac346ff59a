"""Text from data (ids, names, labels, LLM output, paths) is printed literally: never read as rich
markup, never carrying terminal control sequences; GraphML stays well-formed XML.

Each case runs the real command on a real file or store that holds the hostile text, through
``main()`` (the entry point with the error handler) or the app.
"""

from __future__ import annotations

import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx
import pytest

from hilgen_graph.cli import main
from hilgen_graph.explore.explorer import _write_graphml
from hilgen_graph.graph.embedded import EmbeddedStore
from hilgen_graph.graph.normalize import normalize
from hilgen_graph.graph.records import Concept, HasType, Isa, SemanticType, SourceInfo, Term
from hilgen_graph.synthetic import Provenance
from hilgen_graph.validation.funnel import Rejection

ESC_RED = "\x1b[31m"
CLEAR = "\x1b[2J"
PARENT = f"Parent [/x] {ESC_RED}red{CLEAR}"
CHILD = "Child [bold]b[/bold] [red]ALERT"
NUL_NAME = "nul\x00here \x1b]0;title\x07"


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real embedded store whose names and types hold markup and control characters."""
    path = tmp_path_factory.mktemp("hostile") / "store"
    records = [
        SourceInfo("MSH", "2024 [/x]"),
        SemanticType("T047", "Disease [/x]", "DISO"),
    ]
    for cid, name in (("D100", PARENT), ("D101", CHILD), ("D102", NUL_NAME)):
        records += [
            Concept(cid, name),
            HasType(cid, "T047"),
            Term(cid, name, normalize(name), "MSH", "MH", True),
        ]
    records += [Isa("D101", "D100", "MSH"), Isa("D102", "D100", "MSH")]
    writer = EmbeddedStore(path, read_only=False)
    writer.load(records)
    writer.close()
    return path


def run_main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    """Run the real entry point (error handler included); returns (exit code, stdout, stderr)."""
    for var in ("LANGCHAIN_TRACING_V2", "LANGCHAIN_TRACING", "LANGSMITH_TRACING"):
        monkeypatch.setenv(var, "")  # main() switches tracing off; restored after the test
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.setattr(sys, "argv", ["hilgen", *args])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def no_raw_controls(text: str) -> None:
    for ch in ("\x1b", "\x00", "\x07"):
        assert ch not in text, f"raw control character {ch!r} reached the terminal: {text!r}"


def test_error_message_quoting_markup_is_printed_not_parsed(
    hostile_store: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_main(
        monkeypatch, capsys, "graph", "related", "[/x]", "--layer", "parents",
        "--store", str(hostile_store),
    )  # fmt: skip
    assert code == 1, err
    assert "error:" in err and "'[/x]' is not in the store" in err
    assert "Traceback" not in err and "MarkupError" not in err


def test_error_message_with_escape_sequence_is_made_visible(
    hostile_store: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = run_main(
        monkeypatch, capsys, "graph", "related", f"X{CLEAR}", "--layer", "parents",
        "--store", str(hostile_store),
    )  # fmt: skip
    assert code == 1
    no_raw_controls(err)
    assert "X\\x1b[2J" in err


def test_related_table_shows_names_literally(
    hostile_store: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_main(
        monkeypatch, capsys, "graph", "related", "D101", "--layer", "parents",
        "--store", str(hostile_store),
    )  # fmt: skip
    assert code == 0, err
    assert "Parent [/x]" in out and "\\x1b[31mred\\x1b[2J" in out  # the parent, in a cell
    assert "Child [bold]b[/bold] [red]ALERT" in out  # the root, in the title
    no_raw_controls(out)


def test_stats_show_data_literally(
    hostile_store: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_main(monkeypatch, capsys, "graph", "stats", "--store", str(hostile_store))
    assert code == 0, err
    assert "2024 [/x]" in out


def test_graphml_with_nul_and_escape_is_well_formed(hostile_store: Path, tmp_path: Path) -> None:
    store = EmbeddedStore(hostile_store)
    try:
        graph = nx.DiGraph()
        for cid in ("D100", "D101", "D102"):
            c = store.concept(cid)
            assert c is not None
            graph.add_node(c.id, name=c.preferred_name, semantic_types=("T047", "T\x1b"))
        graph.add_edge("D101", "D100", source="MSH\x00")
        graph.add_edge("D102", "D100", source="MSH")
    finally:
        store.close()
    out_file = tmp_path / "n.graphml"
    _write_graphml(graph, out_file)
    root = ET.parse(out_file).getroot()  # raises ParseError if not well-formed XML
    texts = {d.text for d in root.iter() if d.tag.endswith("data") and d.text}
    assert "nul\ufffdhere \ufffd]0;title\ufffd" in texts  # illegal characters replaced
    assert "Parent [/x] \ufffd[31mred\ufffd[2J" in texts
    assert {CHILD, "T047,T\ufffd", "MSH\ufffd"} <= texts  # legal text kept exactly
    assert len(list(root.iter("{http://graphml.graphdrawing.org/xmlns}edge"))) == 2


def test_conll_label_with_markup_is_shown_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "c.conll"
    corpus.write_text("Alarm\tB-[red]ALERT\nhere\tO\n\n", encoding="utf-8")
    code, out, err = run_main(monkeypatch, capsys, "corpus", "stats", str(corpus))
    assert code == 0, err
    assert "entities: [red]ALERT" in out
    code, out, err = run_main(monkeypatch, capsys, "corpus", "stats", str(corpus), "--json")
    assert code == 0 and json.loads(out)["entities"] == {"[red]ALERT": 1}


def test_check_prints_llm_text_with_brackets_and_escapes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    synth = tmp_path / "s.jsonl"
    synth.write_text("", encoding="utf-8")
    prov = Provenance(arm="llm", seed_sentence_id="s1", layer="parents")
    rejections = [
        Rejection(
            id="r1", stage="parse", reason="bad [/x] reply", raw_output=f"[/x] {ESC_RED}raw",
            provenance=prov,
        ),
        Rejection(
            id="r2", stage="alignment", reason="span [red]x[/red] not found",
            text=f"The [/dim] text {CLEAR}[bold]", provenance=prov,
        ),
    ]  # fmt: skip
    (tmp_path / "s.rejected.jsonl").write_text(
        "".join(r.model_dump_json() + "\n" for r in rejections), encoding="utf-8"
    )
    code, out, err = run_main(monkeypatch, capsys, "check", str(synth))
    assert code == 0, err
    assert "bad [/x] reply" in out and "raw: [/x] \\x1b[31mraw" in out
    assert "span [red]x[/red] not found" in out and "The [/dim] text \\x1b[2J[bold]" in out
    no_raw_controls(out)


def test_every_table_of_the_cli_goes_through_the_data_table() -> None:
    """The rule lives in one place: no CLI module builds a bare rich Table or Panel."""
    cli = Path(__file__).resolve().parents[2] / "src" / "hilgen_graph" / "cli"
    bare = re.compile(r"from rich\.(table|panel) import|(?<![A-Za-z])Progress\(|\.status\(")
    offenders = [
        p.name
        for p in sorted(cli.glob("*.py"))
        if p.name != "console.py" and bare.search(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []
