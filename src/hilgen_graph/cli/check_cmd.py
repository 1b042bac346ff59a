"""CLI: ``hilgen check FILE.jsonl`` — the validation funnel and hallucination report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hilgen_graph.cli.console import DataTable, console, print_json, safe

if TYPE_CHECKING:
    from hilgen_graph.validation.report import CheckReport


def render_report(report: CheckReport, title: str) -> None:
    """Print a check report with rich."""
    console.print(
        f"[bold]{safe(title)}[/]: {report.total} sentences, {report.accepted} accepted "
        f"({report.acceptance:.1%})"
    )
    stages = DataTable(title="funnel (in order)")
    for col in ("stage", "entered", "passed", "rejected", "skipped"):
        stages.add_column(col, justify="left" if col == "stage" else "right")
    for s in report.stages:
        stages.add_row(s.stage, str(s.entered), str(s.passed), str(s.rejected), str(s.skipped))
    console.print(stages)
    for name, table_data in (
        ("prompt family", report.per_family),
        ("layer", report.per_layer),
        ("prompt", report.per_prompt),
    ):
        t = DataTable(title=f"acceptance per {name}")
        t.add_column(name)
        for col in ("total", "accepted", "rate"):
            t.add_column(col, justify="right")
        for key, acc in table_data.items():
            t.add_row(key, str(acc.total), str(acc.accepted), f"{acc.rate:.1%}")
        console.print(t)
    g, d = report.grounding, report.diversity
    console.print(
        f"grounding: {g.entities_intended}/{g.entities} entities name the intended concept "
        f"({g.entity_share:.1%}); {g.sentences_intended}/{g.sentences} sentences mention it"
    )
    console.print(
        f"diversity of accepted sentences: distinct-1 {d.distinct_1:.3f}, distinct-2 "
        f"{d.distinct_2:.3f}, self-BLEU {d.self_bleu:.3f} (n={d.sentences})"
    )
    if report.sentences_per_min is not None:
        console.print(f"generation: {report.sentences_per_min:.1f} accepted sentences/min")
    for stage, examples in report.examples.items():
        console.print(f"[bold]rejected at {safe(stage)}[/] (examples)")
        for ex in examples:  # LLM-written text and reasons quoting it: data
            console.print(f"  - {safe(ex.reason)}", highlight=False)
            if ex.text:
                console.print(f"    [dim]{safe(ex.text)}[/]", highlight=False)
            elif ex.raw_output:
                console.print(f"    [dim]raw: {safe(ex.raw_output[:200])}[/]", highlight=False)


def check(
    file: Annotated[Path, typer.Argument(help="synthetic JSONL file (hilgen generate / augment)")],
    store: Annotated[
        Path | None,
        typer.Option("--store", help="graph store folder for the grounding stages"),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="print one JSON object: total, accepted, rejected, ...")
    ] = False,
    html: Annotated[
        Path | None,
        typer.Option(
            "--html",
            help="also write an offline HTML page: funnel chart, searchable rejected examples",
        ),
    ] = None,
    heldout: Annotated[
        list[Path] | None,
        typer.Option(
            "--heldout", help="dev/test file for the leakage check (default: from the run)"
        ),
    ] = None,
    backend: Annotated[str, typer.Option(help="graph backend: embedded or neo4j")] = "embedded",
    uri: Annotated[str | None, typer.Option(help="Neo4j Bolt URI (neo4j backend)")] = None,
    include_rejected: Annotated[
        bool,
        typer.Option(help="count the generation-time rejections of FILE's .rejected.jsonl"),
    ] = True,
) -> None:
    """Run every record through the validation funnel and report, per stage, what passed."""
    from hilgen_graph.cli.generate_cmd import opened_store
    from hilgen_graph.errors import DataMissingError
    from hilgen_graph.validation.guard import load_heldout
    from hilgen_graph.validation.report import check_file, meta_path
    from hilgen_graph.validation.report_html import write_check_html

    if not file.is_file():
        raise DataMissingError(f"synthetic file not found: {file}")
    meta: dict[str, Any] = {}
    mp = meta_path(file)
    if mp.is_file():
        meta = json.loads(mp.read_text(encoding="utf-8"))
    paths = list(heldout or [Path(p) for p in meta.get("heldout_paths") or []])
    paths = [p for p in paths if p.is_file()]
    index = load_heldout(paths) if paths else None
    if store is None and backend == "embedded":
        report = check_file(file, None, heldout=index, include_rejected=include_rejected)
    else:
        with opened_store(store, backend, uri) as gs:
            report = check_file(file, gs, heldout=index, include_rejected=include_rejected)
    if html is not None:
        write_check_html(report, html, f"hilgen check {file.name}")
    if as_json:
        print_json(report.to_json())
        return
    render_report(report, f"hilgen check {file}")
    if store is None and backend == "embedded":
        console.print("[yellow]no --store: grounding, intended and missing-label stages skipped[/]")
    if html is not None:
        console.print(f"HTML report: {safe(html)}", highlight=False)


def register(root: typer.Typer) -> None:
    """Attach the top-level ``check`` command to the root app."""
    root.command("check")(check)
