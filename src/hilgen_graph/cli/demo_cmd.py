"""CLI: `hilgen demo` runs the main job end to end on the embedded default."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from hilgen_graph.cli.console import console, data_panel, err_console, safe


def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="demo folder; rerun to resume")] = Path(
        "runs/demo"
    ),
    llm: Annotated[
        bool, typer.Option("--llm/--no-llm", help="make a small LLM-arm batch if a model exists")
    ] = True,
) -> None:
    """Free graph → 5-shot NCBI-disease → KG (and LLM) arm → MiniLM variants → ensemble → report."""
    from hilgen_graph.cli.evaluate_cmd import grid_progress, render_report
    from hilgen_graph.demo import run_demo

    started = time.time()
    with grid_progress() as on_grid_event:
        result = run_demo(
            out,
            with_llm=llm,
            on_event=lambda msg: err_console.print(
                f"[bold cyan]demo:[/] {safe(msg)}", highlight=False
            ),
            on_grid_event=on_grid_event,
        )
    g = result.graph
    console.print(
        data_panel(
            f"graph: {g['concepts']:,} concepts, {g['terms']:,} terms, {g['isa']:,} is-a edges "
            f"({', '.join(f'{k} {v}' for k, v in g['sources'].items())})",
            title="knowledge graph",
        )
    )
    if result.llm["status"] == "done":
        s = result.llm["summary"]
        console.print(
            f"LLM arm: {s['accepted']} of {s['candidates']} generated sentences passed the "
            f"validation funnel ({s['sentences_per_min']:.1f} sentences/min); "
            f"rejected: {safe(s['rejected'])}",
            highlight=False,
        )
    else:
        console.print(
            f"[yellow]LLM arm {safe(result.llm['status'])}:[/] {safe(result.llm['reason'])}",
            highlight=False,
        )
        if "summary" in result.llm:
            s = result.llm["summary"]
            console.print(
                f"  {s['candidates']} candidate sentences, rejected per funnel stage: "
                f"{safe(s['rejected'])}; raw replies in {safe(s['rejected_out'])}",
                highlight=False,
            )
    render_report(result.report)
    console.print(
        f"demo finished in {(time.time() - started) / 60:.1f} min; "
        f"report: {safe(result.out_dir / 'eval' / 'report.md')}",
        highlight=False,
    )


def register(root: typer.Typer) -> None:
    """Attach `hilgen demo` to the root app."""
    root.command("demo")(demo)
