"""CLI: `hilgen evaluate --config FILE.yaml` runs the few-shot grid; `hilgen report RUN_DIR`
re-renders a finished run as tables."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from hilgen_graph.cli.console import console, print_json


def _fmt(d: dict[str, Any] | None) -> str:
    if not d or d.get("n", 0) == 0 or math.isnan(d["mean"]):
        return "–"
    return f"{100 * d['mean']:.2f} ± {100 * d['sd']:.2f}"


def _gain(row: dict[str, Any]) -> str:
    gp, gr = row.get("gain_points"), row.get("gain_relative_percent")
    if gp is None or math.isnan(gp):
        return ""
    rel = "" if gr is None or math.isnan(gr) else f" ({gr:+.1f} %)"
    return f"{gp:+.2f}{rel}"


def render_report(report: dict[str, Any]) -> None:
    """Print a report as one rich table per dataset and model family."""
    cfg = report["config"]
    grid = report.get("grid") or {}
    console.print(
        f"[bold]{report['name']}[/]: {cfg['k']}-shot, seeds {cfg['seeds']}, encoder "
        f"{cfg['encoder']}; compute time {grid.get('total_seconds', 0) / 60:.1f} min"
    )
    for ds, d in report["datasets"].items():
        for fam, rows in d["families"].items():
            table = Table(title=f"{ds} — {fam} (strict IOB2 F1, mean ± sd, %)")
            for col in (
                "variant",
                "synthetic",
                "strict F1",
                "gain pts (rel)",
                "p<.05",
                "default F1",
                "IO F1",
                "seen F1",
                "unseen F1",
            ):
                table.add_column(col, justify="left" if col == "variant" else "right")
            for name, row in rows.items():
                bs = row.get("bootstrap")
                sig = f"{sum(b['p_value'] < 0.05 for b in bs)}/{len(bs)}" if bs else ""
                syn = row.get("n_synthetic")
                table.add_row(
                    name,
                    f"{syn['mean']:.0f}" if syn else "",
                    _fmt(row["strict_f1"]),
                    "" if name == "baseline" else _gain(row),
                    sig,
                    _fmt(row.get("default_f1")),
                    _fmt(row.get("io_f1")),
                    _fmt(row.get("seen_f1")),
                    _fmt(row.get("unseen_f1")),
                )
            console.print(table)
        for f in d["failed"]:
            console.print(f"[red]failed[/] {ds} seed {f['seed']} {f['variant']}: {f['error']}")


@contextmanager
def grid_progress() -> Iterator[Callable[[Any], None]]:
    """Rich progress bars for an evaluation grid; yields the ``on_event`` sink for ``run_grid``."""
    from hilgen_graph.evaluation.runner import RunEvent

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        grid_task: TaskID | None = None
        step_task: TaskID | None = None

        def on_event(ev: RunEvent) -> None:
            nonlocal grid_task, step_task
            if ev.kind == "grid":
                grid_task = progress.add_task("grid", total=ev.total)
            elif ev.kind == "stage":
                progress.console.print(f"[dim]{ev.message}[/]")
            elif ev.kind == "run_start":
                if step_task is not None:
                    progress.remove_task(step_task)
                step_task = progress.add_task(f"  {ev.message}", total=None)
            elif ev.kind == "step" and step_task is not None:
                progress.update(step_task, completed=ev.done, total=ev.total)
            elif ev.kind == "run_done":
                colour = {"ok": "green", "reused": "cyan"}.get(ev.status, "red")
                progress.console.print(f"[{colour}]{ev.status}[/] {ev.message}")
                if grid_task is not None:
                    progress.update(grid_task, completed=ev.done)

        yield on_event


def evaluate(
    config: Annotated[Path, typer.Option("--config", "-c", help="evaluation config (YAML)")],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="run folder (default: runs/<config name>); rerun to resume"
        ),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Train and score datasets × seeds × variants × model families; write a report."""
    from hilgen_graph.evaluation.config import load_config
    from hilgen_graph.evaluation.report import build_report
    from hilgen_graph.evaluation.runner import run_grid

    cfg = load_config(config)
    run_dir = out or Path("runs") / cfg.name
    with grid_progress() as on_event:
        summary = run_grid(cfg, run_dir, on_event=on_event)
    report = build_report(run_dir)
    if json_out:
        print_json(report)
        return
    render_report(report)
    console.print(
        f"{summary.finished} trained, {summary.reused} reused, {summary.failed} failed in "
        f"{summary.seconds / 60:.1f} min; report: {run_dir / 'report.md'}"
    )


def report(
    run_dir: Annotated[Path, typer.Argument(help="a run folder written by `hilgen evaluate`")],
    json_out: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    write: Annotated[
        bool,
        typer.Option(
            "--write",
            help="recompute the ensembles from the stored predictions and rewrite report.md, "
            "report.json and the plots (for a grid stopped before its end)",
        ),
    ] = False,
) -> None:
    """Re-render a finished (or partly finished) evaluation run as tables."""
    from hilgen_graph.evaluation.report import build_report, write_report
    from hilgen_graph.evaluation.runner import rebuild_ensembles

    if write:
        build_report(run_dir)  # fails early with a clear message if this is not a run folder
        rebuild_ensembles(run_dir)
    rep = write_report(run_dir) if write else build_report(run_dir)
    if json_out:
        print_json(rep)
    else:
        render_report(rep)


def register(root: typer.Typer) -> None:
    """Attach `hilgen evaluate` and `hilgen report` to the root app."""
    root.command("evaluate")(evaluate)
    root.command("report")(report)
