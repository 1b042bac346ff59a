"""CLI: `hilgen evaluate --config FILE.yaml` runs the few-shot grid (or one `--shard I/N` of
it); `hilgen report` (cli/report_cmd.py) merges and renders run folders."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from hilgen_graph.cli.console import LineProgress, console, print_json, safe
from hilgen_graph.cli.report_cmd import render_report


@contextmanager
def grid_progress() -> Iterator[Callable[[Any], None]]:
    """Progress of an evaluation grid on stderr (stdout stays for the report or ``--json``):
    bars on a terminal, and everywhere one line per stage and per finished run; yields the
    ``on_event`` sink for ``run_grid``."""
    from hilgen_graph.evaluation.runner import RunEvent

    with LineProgress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=False,
    ) as progress:
        grid_task: TaskID | None = None
        step_task: TaskID | None = None

        def on_event(ev: RunEvent) -> None:
            nonlocal grid_task, step_task
            if ev.kind == "grid":
                grid_task = progress.add_task("grid", total=ev.total, log=False)
            elif ev.kind == "stage":
                progress.console.print(f"[dim]{safe(ev.message)}[/]", highlight=False)
            elif ev.kind == "run_start":
                if step_task is not None:
                    progress.remove_task(step_task)
                step_task = progress.add_task(f"  {ev.message}", total=None, log=False)
            elif ev.kind == "step" and step_task is not None:
                progress.update(step_task, completed=ev.done, total=ev.total)
            elif ev.kind == "run_done":
                colour = {"ok": "green", "reused": "cyan"}.get(ev.status, "red")
                count = f"{ev.done}/{ev.total} " if ev.total else ""
                progress.console.print(
                    f"{count}[{colour}]{safe(ev.status)}[/] {safe(ev.message)}", highlight=False
                )
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
    shard: Annotated[
        str | None,
        typer.Option(
            "--shard",
            help="run only slice I of N of the grid's cells (e.g. 2/8, for a job array); "
            "merge the slices' folders with `hilgen report DIR... --out MERGED`",
        ),
    ] = None,
    lenient: Annotated[
        bool,
        typer.Option(
            "--lenient",
            help="skip malformed records of the datasets' files (each one is reported, and "
            "listed in skipped_records.json) instead of failing; the config's `lenient: true` "
            "per dataset does the same",
        ),
    ] = False,
) -> None:
    """Train and score datasets × seeds × variants × model families; write a report."""
    from hilgen_graph.evaluation.config import load_config
    from hilgen_graph.evaluation.records import Shard
    from hilgen_graph.evaluation.report import build_report
    from hilgen_graph.evaluation.runner import run_grid

    cfg = load_config(config)
    if lenient:
        datasets = [d.model_copy(update={"lenient": True}) for d in cfg.datasets]
        cfg = cfg.model_copy(update={"datasets": datasets})
    part = Shard.parse(shard) if shard is not None else None
    run_dir = out or Path("runs") / cfg.name
    with grid_progress() as on_event:
        summary = run_grid(cfg, run_dir, on_event=on_event, shard=part)
    if part is not None:
        console.print(
            f"shard {part}: {summary.finished} trained, {summary.reused} reused, "
            f"{summary.failed} failed in {summary.seconds / 60:.1f} min into {safe(run_dir)}; "
            "merge the shards with `hilgen report DIR... --out MERGED`"
        )
        return
    report = build_report(run_dir)
    if json_out:
        print_json(report)
        return
    render_report(report)
    console.print(
        f"{summary.finished} trained, {summary.reused} reused, {summary.failed} failed in "
        f"{summary.seconds / 60:.1f} min; report: {safe(run_dir / 'report.md')}"
    )


def register(root: typer.Typer) -> None:
    """Attach `hilgen evaluate` to the root app."""
    root.command("evaluate")(evaluate)
