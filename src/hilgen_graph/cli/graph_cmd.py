"""CLI: ``hilgen graph`` — load a knowledge graph, count it, query its layers, explore it.

Thin wrappers: every command calls a library function that returns data, then renders it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.tree import Tree

from hilgen_graph.cli.console import DataTable, LineProgress, console, print_json, safe
from hilgen_graph.errors import ConfigError
from hilgen_graph.graph.backends import (
    BACKENDS,
    NEO4J_PASSWORD_ENV,
    NEO4J_USER_ENV,
    load_store,
    open_store,
)
from hilgen_graph.graph.explore import TreeNode, explore
from hilgen_graph.graph.records import Concept, GraphRecord, Term
from hilgen_graph.graph.store import GraphStore

app = typer.Typer(
    help="Knowledge graph: load sources into a store, count, query layers, explore.",
    no_args_is_help=True,
)

LAYERS = ("synonyms", "semantic_type", "parents", "children", "siblings")

_BACKEND_HELP = f"graph store backend: {' or '.join(BACKENDS)}"
_STORE_HELP = "embedded store folder (created by load)"
_URI_HELP = "Neo4j Bolt address, e.g. bolt://localhost:7687 (env NEO4J_URI)"
_USER_HELP = "Neo4j user (env NEO4J_USER)"


def _backend(backend: str) -> str:
    if backend not in BACKENDS:
        raise ConfigError(f"unknown --backend {backend!r}; allowed: {', '.join(BACKENDS)}")
    return backend


def neo4j_password(backend: str, user: str | None) -> str | None:
    """The Neo4j password: ``NEO4J_PASSWORD``, else a hidden prompt on a terminal when a user
    is set. Never an option: a command line is visible to every local user (``ps``)."""
    if backend != "neo4j":
        return None
    password = os.environ.get(NEO4J_PASSWORD_ENV)
    if password:
        return password
    user = user or os.environ.get(NEO4J_USER_ENV)
    if user and sys.stdin.isatty():
        return str(typer.prompt(f"Neo4j password for {user}", hide_input=True))
    return None


def _open(backend: str, store: Path | None, uri: str | None, user: str | None) -> GraphStore:
    return open_store(
        _backend(backend),
        path=store,
        uri=uri,
        user=user,
        password=neo4j_password(backend, user),
    )


def _source_records(source: str, options: dict[str, Any]) -> tuple[Iterable[GraphRecord], Any]:
    """The record stream of a named source, and the source (which holds its report)."""
    from hilgen_graph.graph_loader.sources import open_source

    opened = open_source(source, **options)
    return opened, opened


def _counted(
    records: Iterable[GraphRecord], progress: Progress, task: Any
) -> Iterator[GraphRecord]:
    n = 0
    for rec in records:
        n += 1
        if n % 50_000 == 0:
            progress.update(task, completed=n)
        yield rec
    progress.update(task, completed=n)


@app.command("load")
def load_cmd(
    source: str = typer.Option(..., "--source", help="knowledge source: umls, free, mesh, ..."),
    umls_dir: Path | None = typer.Option(
        None, "--umls-dir", help="UMLS release folder (its META folder or the folder above)"
    ),
    sab: str | None = typer.Option(
        None, "--sab", help="comma-separated source vocabularies to keep, e.g. SNOMEDCT_US,MSH"
    ),
    skip_bad_rows: bool = typer.Option(
        False, "--skip-bad-rows", help="load the rest when a row is malformed; list the skips"
    ),
    backend: str = typer.Option("embedded", "--backend", help=_BACKEND_HELP),
    store: Path | None = typer.Option(None, "--store", help=_STORE_HELP),
    uri: str | None = typer.Option(None, "--uri", envvar="NEO4J_URI", help=_URI_HELP),
    user: str | None = typer.Option(None, "--user", envvar="NEO4J_USER", help=_USER_HELP),
    as_json: bool = typer.Option(False, "--json", help="print the load report as JSON"),
) -> None:
    """Load a knowledge source into a graph store, replacing its content."""
    _backend(backend)
    if backend == "embedded" and store is None:
        raise ConfigError("the embedded backend needs --store DIR")
    options: dict[str, Any] = {}
    if source == "umls":
        if umls_dir is None:
            raise ConfigError("--source umls needs --umls-dir DIR (a local UMLS release)")
        options["umls_dir"] = umls_dir
        if sab:
            options["sab"] = sab
        options["skip_bad_rows"] = skip_bad_rows
    elif umls_dir is not None or sab:
        raise ConfigError("--umls-dir and --sab apply to --source umls only")
    elif skip_bad_rows:
        options["skip_bad_rows"] = True
    records, holder = _source_records(source, options)
    with LineProgress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(bar_width=None),
        TextColumn("{task.completed:,} records"),
        TimeElapsedColumn(),
        transient=as_json,
        every=1_000_000,
    ) as progress:
        task = progress.add_task(f"reading {source}", total=None)

        def on_phase(phase: str, n: int) -> None:
            labels = {"dedup": "de-duplicating", "copy": "bulk copy", "done": "done"}
            if phase in labels:
                progress.update(task, description=labels[phase], completed=n)
            elif phase == "read":
                progress.update(task, completed=n)

        # The embedded bulk load gets the source itself, so it can read it columnar (UMLS).
        report = load_store(
            records if backend == "embedded" else _counted(records, progress, task),
            backend,
            path=store,
            uri=uri,
            user=user,
            password=neo4j_password(backend, user),
            progress=on_phase,
        )
    source_report = getattr(holder, "report", None)
    skipped = [str(s) for s in getattr(source_report, "skipped", [])]
    source_dropped = dict(getattr(source_report, "dropped", {}) or {})
    result: dict[str, Any] = {
        **report.stats.as_dict(),
        "records": report.records,
        "seconds": round(report.seconds, 2),
        "dropped": report.dropped,
        "store": report.path,
    }
    result["skipped_rows"] = skipped
    result["source_dropped"] = {k: v for k, v in source_dropped.items() if v}
    if as_json:
        print_json(result)
        return
    table = DataTable(title=f"graph loaded from {source} ({backend})", show_header=False)
    for key in ("concepts", "terms", "isa", "semantic_types", "records", "seconds"):
        if key in result:
            value = result[key]
            table.add_row(key, f"{value:,}" if isinstance(value, int) else str(value))
    table.add_row("sources", ", ".join(f"{k} {v}" for k, v in result["sources"].items()))
    for what, n in result.get("dropped", {}).items():
        table.add_row(f"dropped {what}", f"{n:,} (an end is not a loaded concept)")
    for what, n in result["source_dropped"].items():
        table.add_row(f"source dropped {what}", f"{n:,}")
    console.print(table)
    if skipped:
        console.print(f"[yellow]skipped {len(skipped)} bad row(s):[/]")
        for line in skipped:
            console.print(f"  {line}", highlight=False, markup=False)


@app.command("stats")
def stats_cmd(
    backend: str = typer.Option("embedded", "--backend", help=_BACKEND_HELP),
    store: Path | None = typer.Option(None, "--store", help=_STORE_HELP),
    uri: str | None = typer.Option(None, "--uri", envvar="NEO4J_URI", help=_URI_HELP),
    user: str | None = typer.Option(None, "--user", envvar="NEO4J_USER", help=_USER_HELP),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
) -> None:
    """Count concepts, terms, is-a edges and semantic types; list sources and versions."""
    graph = _open(backend, store, uri, user)
    try:
        stats = graph.stats()
    finally:
        graph.close()
    if as_json:
        print_json(stats.as_dict())
        return
    table = DataTable(title="graph store", show_header=False)
    table.add_row("concepts", f"{stats.concepts:,}")
    table.add_row("terms", f"{stats.terms:,}")
    table.add_row("is-a edges", f"{stats.isa:,}")
    table.add_row("semantic types", f"{stats.semantic_types:,}")
    for name, version in stats.sources.items():
        table.add_row(f"source {name}", version)
    console.print(table)


def _concept_json(c: Concept) -> dict[str, Any]:
    return {"id": c.id, "name": c.preferred_name, "semantic_types": list(c.semantic_types)}


def _term_json(t: Term) -> dict[str, Any]:
    return {
        "text": t.text,
        "source": t.source,
        "term_type": t.term_type,
        "preferred": t.is_preferred,
    }


@app.command("related")
def related_cmd(
    concept_id: str = typer.Argument(..., help="concept id, e.g. D006973 or C0020538"),
    layer: str = typer.Option(..., "--layer", help=f"one of: {', '.join(LAYERS)}"),
    limit: int | None = typer.Option(
        None, "--limit", help="at most N results (default: all; 10 for semantic_type)"
    ),
    seed: int = typer.Option(0, "--seed", help="seed of the semantic_type sample"),
    source: str | None = typer.Option(
        None, "--source", help="only is-a edges of this vocabulary (parents/children/siblings)"
    ),
    backend: str = typer.Option("embedded", "--backend", help=_BACKEND_HELP),
    store: Path | None = typer.Option(None, "--store", help=_STORE_HELP),
    uri: str | None = typer.Option(None, "--uri", envvar="NEO4J_URI", help=_URI_HELP),
    user: str | None = typer.Option(None, "--user", envvar="NEO4J_USER", help=_USER_HELP),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
) -> None:
    """Concepts (or terms) related to a concept by one HILGEN layer."""
    if layer not in LAYERS:
        raise ConfigError(f"unknown --layer {layer!r}; allowed: {', '.join(LAYERS)}")
    if limit is not None and limit < 0:
        raise ConfigError("--limit must be 0 or more")
    graph = _open(backend, store, uri, user)
    try:
        root = graph.concept(concept_id)
        if root is None:
            raise ConfigError(
                f"concept {concept_id!r} is not in the store; check the id "
                "(hilgen graph explore NAME finds concepts by name)"
            )
        items: list[dict[str, Any]]
        if layer == "synonyms":
            terms = graph.synonyms(concept_id)
            items = [_term_json(t) for t in (terms if limit is None else terms[:limit])]
        else:
            if layer == "semantic_type":
                found = graph.same_semantic_type(concept_id, limit=limit or 10, seed=seed)
            elif layer == "parents":
                found = graph.parents(concept_id, source)
            elif layer == "children":
                found = graph.children(concept_id, source)
            else:
                found = graph.siblings(concept_id, source, limit)
            if limit is not None:
                found = found[:limit]
            items = [_concept_json(c) for c in found]
    finally:
        graph.close()
    if as_json:
        print_json({"concept": _concept_json(root), "layer": layer, "related": items})
        return
    table = DataTable(title=f"{layer} of {root.id} {root.preferred_name}")
    if layer == "synonyms":
        for col in ("text", "source", "type", "preferred"):
            table.add_column(col)
        for t in items:
            table.add_row(t["text"], t["source"], t["term_type"], "yes" if t["preferred"] else "")
    else:
        for col in ("id", "name", "semantic types"):
            table.add_column(col)
        for c in items:
            table.add_row(c["id"], c["name"], " ".join(c["semantic_types"]))
    console.print(table)


def _rich_tree(node: TreeNode, parent: Tree | None = None) -> Tree:
    arrow = {"root": "", "parent": "↑ ", "child": "↓ "}[node.relation]
    types = f" [dim]{safe(' '.join(node.semantic_types))}[/]" if node.semantic_types else ""
    label = f"{arrow}[bold]{safe(node.id)}[/] {safe(node.name)}{types}"
    branch = Tree(label) if parent is None else parent.add(label)
    for child in node.branches:
        _rich_tree(child, branch)
    return branch


@app.command("explore")
def explore_cmd(
    id_or_name: str = typer.Argument(..., help="a concept id or a name (e.g. Hypertension)"),
    depth: int = typer.Option(2, "--depth", min=1, max=10, help="is-a hops in each direction"),
    limit: int = typer.Option(200, "--limit", min=1, help="at most N concepts in the drawing"),
    out: Path | None = typer.Option(
        None, "--out", help="also draw the neighbourhood to FILE.png, FILE.html or FILE.graphml"
    ),
    backend: str = typer.Option("embedded", "--backend", help=_BACKEND_HELP),
    store: Path | None = typer.Option(None, "--store", help=_STORE_HELP),
    uri: str | None = typer.Option(None, "--uri", envvar="NEO4J_URI", help=_URI_HELP),
    user: str | None = typer.Option(None, "--user", envvar="NEO4J_USER", help=_USER_HELP),
) -> None:
    """Show a concept's is-a neighbourhood as a tree; draw it with --out."""
    graph = _open(backend, store, uri, user)
    try:
        result = explore(graph, id_or_name, depth=depth, limit=limit, out=out)
    finally:
        graph.close()
    console.print(_rich_tree(result.tree))
    g = result.graph
    console.print(
        f"[dim]{g.number_of_nodes()} concepts, {g.number_of_edges()} is-a edges "
        f"within {depth} hop(s)[/]"
    )
    if result.drawing is not None:
        console.print(f"drawing written to {safe(result.drawing)}", highlight=False)


# --- further commands (e.g. export-neo4j-csv of the Neo4j store) go below this line ------------


@app.command("export-neo4j-csv")
def export_neo4j_csv_cmd(
    source: str = typer.Option(..., "--source", help="knowledge source: umls, free, mesh, ..."),
    out: Path = typer.Option(..., "--out", help="folder for the CSV files (created if missing)"),
    umls_dir: Path | None = typer.Option(
        None, "--umls-dir", help="UMLS release folder (its META folder or the folder above)"
    ),
    sab: str | None = typer.Option(
        None, "--sab", help="comma-separated source vocabularies to keep, e.g. SNOMEDCT_US,MSH"
    ),
    as_json: bool = typer.Option(False, "--json", help="print the export report as JSON"),
) -> None:
    """Write a source as the CSV files of `neo4j-admin database import full` (UMLS-size loads)."""
    from hilgen_graph.graph.neo4j_export import export_admin_csv

    options: dict[str, Any] = {}
    if source == "umls":
        if umls_dir is None:
            raise ConfigError("--source umls needs --umls-dir DIR (a local UMLS release)")
        options["umls_dir"] = umls_dir
        if sab:
            options["sab"] = sab
    elif umls_dir is not None or sab:
        raise ConfigError("--umls-dir and --sab apply to --source umls only")
    records, _ = _source_records(source, options)
    with LineProgress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(bar_width=None),
        TextColumn("{task.completed:,} records"),
        TimeElapsedColumn(),
        transient=as_json,
        every=1_000_000,
    ) as progress:
        task = progress.add_task(f"exporting {source}", total=None)
        stats = export_admin_csv(
            records, out, progress=lambda n: progress.update(task, completed=n)
        )
    if as_json:
        print_json(stats.as_dict())
        return
    table = DataTable(title=f"neo4j-admin CSV files of {source} in {stats.out_dir}")
    table.add_column("file")
    table.add_column("rows", justify="right")
    for stem, n in stats.rows.items():
        table.add_row(f"{stem}.csv", f"{n:,}")
    console.print(table)
    console.print(
        f"{stats.records:,} records -> {stats.rows_written:,} rows in {stats.seconds:.1f} s "
        f"({stats.rows_per_second:,.0f} rows/s)",
        highlight=False,
    )
    console.print("import into an empty, stopped database (run inside the folder):")
    console.print("  " + " ".join(stats.command), highlight=False, markup=False)
    console.print(
        "then start Neo4j and run Neo4jStore(uri).finish_import() to add constraints and indexes",
        highlight=False,
    )


def register(root: typer.Typer) -> None:
    """Attach this module's commands to the root app."""
    root.add_typer(app, name="graph")
