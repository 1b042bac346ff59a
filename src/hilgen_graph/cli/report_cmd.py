"""CLI: `hilgen report RUN_DIR...` merges the run folders of one grid (the shards of
`hilgen evaluate --shard I/N`, or one folder), computes the ensembles, writes report.json,
report.md and the plots, prints the tables and says which cells of the grid are missing."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import typer

from hilgen_graph.cli.console import DataTable, console, print_json, safe
from hilgen_graph.errors import EvaluationError


def _fmt(d: dict[str, Any] | None) -> str:
    if not d or d.get("n", 0) == 0 or d.get("mean") is None or math.isnan(d["mean"]):
        return "–"
    return f"{100 * d['mean']:.2f} ± {100 * d['sd']:.2f}"


def _gain(row: dict[str, Any]) -> str:
    gp, gr = row.get("gain_points"), row.get("gain_relative_percent")
    if gp is None or math.isnan(gp):
        return ""
    rel = "" if gr is None or math.isnan(gr) else f" ({gr:+.1f} %)"
    return f"{gp:+.2f}{rel}"


def _wins(row: dict[str, Any]) -> str:
    ps = row.get("per_seed")
    if not ps or not ps.get("paired"):
        return ""
    return f"{ps['wins']}/{ps['paired']}"


def render_report(report: dict[str, Any]) -> None:
    """Print a report as one table per dataset and model family, then its coverage."""
    cfg = report["config"]
    grid = report.get("grid") or {}
    wall = grid.get("wall_seconds", grid.get("total_seconds", 0))
    console.print(
        f"[bold]{safe(report['name'])}[/]: {cfg['k']}-shot, seeds {cfg['seeds']}, encoder "
        f"{safe(cfg['encoder'])}; wall time {wall / 60:.1f} min"
    )
    for ds, d in report["datasets"].items():
        for fam, rows in d["families"].items():
            table = DataTable(title=f"{ds} — {fam} (strict IOB2 F1, mean ± sd, %)")
            for col in (
                "variant",
                "synthetic",
                "strict F1",
                "gain pts (rel)",
                "seeds gaining",
                "p<.05",
                "P",
                "R",
                "default F1",
                "IO F1",
            ):
                table.add_column(col, justify="left" if col == "variant" else "right")
            for name, row in rows.items():
                bs = row.get("bootstrap")
                sig = f"{sum(b['p_value'] < 0.05 for b in bs)}/{len(bs)}" if bs else ""
                syn = row.get("n_synthetic")
                base = name == "baseline"
                table.add_row(
                    name,
                    f"{syn['mean']:.0f}" if syn else "",
                    _fmt(row["strict_f1"]),
                    "" if base else _gain(row),
                    "" if base else _wins(row),
                    sig,
                    _fmt(row.get("precision")),
                    _fmt(row.get("recall")),
                    _fmt(row.get("default_f1")),
                    _fmt(row.get("io_f1")),
                )
            console.print(table)
        pairing = d.get("pairing") or {}
        for m in pairing.get("mismatched", []):
            console.print(
                f"[red]not paired[/] {safe(ds)} seed {m['seed']} {safe(m['variant'])}: "
                f"differs in {', '.join(m['differs_in'])}"
            )
    cov = report.get("coverage")
    if cov:
        console.print(f"cells: {cov['finished']} of {cov['expected']} finished")
        for kind, colour in (("failed", "red"), ("stale", "yellow"), ("missing", "yellow")):
            for c in cov.get(kind, []):
                err = f": {safe(c['error'][:300])}" if c.get("error") else ""
                console.print(
                    f"[{colour}]{kind}[/] {safe(c['dataset'])} seed {c['seed']} "
                    f"{safe(c['variant'])}{err}"
                )


def report(
    run_dirs: Annotated[
        list[Path],
        typer.Argument(help="run folder(s) of `hilgen evaluate` (several: the shards of a grid)"),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="folder to merge several run folders into (needed with more than one)",
        ),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    write: Annotated[
        bool,
        typer.Option(
            "--write/--no-write",
            help="compute the ensembles from the stored predictions and write report.md, "
            "report.json and the plots (default); --no-write only prints",
        ),
    ] = True,
) -> None:
    """Merge run folders, write the report and say which cells of the grid are missing."""
    from hilgen_graph.evaluation.report import build_report, merge_runs, write_report
    from hilgen_graph.evaluation.runner import rebuild_ensembles

    if len(run_dirs) > 1 and out is None:
        raise EvaluationError(
            f"{len(run_dirs)} run folders given: name the merged folder with --out DIR"
        )
    target = out or run_dirs[0]
    if out is not None or len(run_dirs) > 1:
        merge_runs(run_dirs, target)
    if write:
        build_report(target)  # fails early with a clear message if this is not a run folder
        rebuild_ensembles(target)
        rep = write_report(target)
    else:
        rep = build_report(target)
    if json_out:
        print_json(rep)
        return
    render_report(rep)
    if write:
        console.print(f"report: {safe(target / 'report.md')}")


def register(root: typer.Typer) -> None:
    """Attach `hilgen report` to the root app."""
    root.command("report")(report)
