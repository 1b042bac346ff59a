"""CLI: `hilgen data` commands (check, fetch). Thin: the library returns data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    TaskID,
    TextColumn,
    TransferSpeedColumn,
)

from hilgen_graph.cli.console import DataTable, LineProgress, console, print_json, safe, styled
from hilgen_graph.datasets import check_data
from hilgen_graph.fetch import FileOutcome, fetch_source
from hilgen_graph.settings import data_dir

RootOpt = Annotated[
    Path | None,
    typer.Option("--root", help="data directory (default: HILGEN_DATA_DIR or ../shared/data)"),
]
_STATE_STYLE = {"present": "green", "partial": "yellow", "missing": "red"}


def check(
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    verify: Annotated[
        bool, typer.Option("--verify", help="also check the sha256 of present files")
    ] = False,
    root: RootOpt = None,
) -> None:
    """List every corpus and knowledge source: present or missing, licence, where to get it."""
    base = root or data_dir()
    statuses = check_data(base, verify=verify)
    if as_json:
        print_json({"data_dir": str(base), "sources": [s.to_dict() for s in statuses]})
        return
    table = DataTable(title=f"data directory: {base}")
    for col in ("source", "kind", "state", "licence"):
        table.add_column(col, overflow="fold")
    for st in statuses:
        state = styled(st.state, _STATE_STYLE[st.state])
        if st.corrupt:
            state.append(f" (sha256 mismatch: {len(st.corrupt)})", style="red")
        table.add_row(st.source.name, st.source.kind.value, state, st.source.licence)
    console.print(table)
    for st in statuses:
        if not st.missing:
            continue
        line = f"{st.source.name}: {len(st.missing)} file(s) missing; get them: {st.how_to_get()}"
        if st.source.note:
            line += f" ({st.source.note})"
        console.print(line, soft_wrap=True, highlight=False, markup=False)
    for st in statuses:
        for path in st.corrupt:
            console.print(
                f"{st.source.name}: {path} does not match its sha256; "
                f"run `hilgen data fetch {st.source.name} --force`",
                soft_wrap=True,
                highlight=False,
                markup=False,
            )


def fetch(
    name: Annotated[str, typer.Argument(help="source name, as listed by `hilgen data check`")],
    root: RootOpt = None,
    mirror: Annotated[
        str | None,
        typer.Option("--mirror", help="base URL laid out like the data directory"),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="download present files again")] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="seconds per request")] = 60.0,
) -> None:
    """Download a missing public source from its official address (sha256-checked, resumable)."""
    with LineProgress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        transient=True,
        every=50_000_000,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(file: str, done: int, total: int | None) -> None:
            if file not in tasks:
                tasks[file] = bar.add_task(file, total=total)
            bar.update(tasks[file], completed=done, total=total)

        results = fetch_source(
            name, root=root, mirror=mirror, force=force, timeout=timeout, progress=progress
        )
    for r in results:
        style = {"present": "green", "downloaded": "cyan", "no_url": "yellow"}[r.outcome.value]
        line = f"[{style}]{r.outcome.value:>10}[/] {safe(r.path)}"
        if r.outcome is FileOutcome.NO_URL:
            line += " (no download address; see `hilgen data check`)"
        console.print(line, highlight=False)


def register(root: typer.Typer) -> None:
    """Attach this module's commands to the root app."""
    group = typer.Typer(
        help="See which corpora and knowledge sources are present; fetch public ones.",
        no_args_is_help=True,
    )
    group.command("check")(check)
    group.command("fetch")(fetch)
    root.add_typer(group, name="data")
