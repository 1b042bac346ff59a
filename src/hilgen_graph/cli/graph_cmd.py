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

from hilgen_graph.cli.console import (
    DataTable,
    LineProgress,
    console,
    print_json,
    safe,
    styled,
)
from hilgen_graph.errors import ConfigError
from hilgen_graph.explore.explorer import Exploration, ExploreOptions, draw, explore
from hilgen_graph.graph.backends import (
    BACKENDS,
    NEO4J_PASSWORD_ENV,
    NEO4J_USER_ENV,
    load_store,
    open_store,
)
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


_EXCLUDED_SHOWN = 5  # excluded candidates listed per layer in the terminal (all in --json)


def _render_exploration(exp: Exploration) -> None:
    link = exp.link
    console.print(
        f"[bold]{safe(exp.query)}[/] → mention [bold]{safe(exp.mention)}[/] "
        f"(label {safe(exp.label or '-')}; profile: {safe(exp.profile or '-')})",
        highlight=False,
    )
    if link.linked:
        names = ", ".join(f"[bold]{safe(c.id)}[/] {safe(c.preferred_name)}" for c in link.concepts)
        matched = f" on {safe(repr(link.matched))}" if link.matched else ""
        console.print(
            f"linked to {names} by [bold]{safe(link.method.value)}[/]{matched}, "
            f"score {link.score:.3f}",
            highlight=False,
        )
    else:
        console.print(f"[red]not linked[/]: {safe(link.reason)}", highlight=False)
    if link.candidates:
        cands = DataTable(title="link candidates (best first)")
        for col in ("id", "name", "method", "score", "in profile"):
            cands.add_column(col, justify="right" if col == "score" else "left")
        for c in link.candidates:
            cands.add_row(
                c.concept_id, c.name, c.method, f"{c.score:.3f}", "yes" if c.fits_profile else "no"
            )
        console.print(cands)
    cfg = exp.settings
    for nb in exp.neighbourhoods:
        types = ", ".join(nb.types.get(nb.centre.id, ()))
        console.print(
            f"\n[bold]{safe(nb.centre.id)} {safe(nb.centre.preferred_name)}[/] "
            f"[dim]{safe(types)}; top-k {safe(cfg.get('top_k'))}, seed {safe(cfg.get('seed'))}, "
            f"preset {safe(cfg.get('preset'))}[/]",
            highlight=False,
        )
        counts = nb.counts()
        nodes = nb.nodes()
        for walk in nb.walks:
            tally = counts[walk.layer]
            why = "; ".join(f"{r} {n}" for r, n in tally["excluded"].items())
            title = (
                f"{walk.layer}: {tally['picked']} picked, "
                f"{sum(tally['excluded'].values())} excluded"
            )
            table = DataTable(title=title + (f" ({why})" if why else ""), title_justify="left")
            same_concept = walk.layer == "synonyms"
            table.add_column("")
            table.add_column("name")
            if not same_concept:
                table.add_column("id")
                table.add_column("semantic type")
            table.add_column("source / why excluded")
            rows = [n for n in nodes if n.layer == walk.layer]
            picked = [n for n in rows if n.status == "picked"]
            excluded = [n for n in rows if n.status == "excluded"]
            for n in picked + excluded[:_EXCLUDED_SHOWN]:
                is_picked = n.status == "picked"
                cells: list[Any] = [
                    styled("picked", "green") if is_picked else styled("excluded", "red"),
                    n.name,
                ]
                if not same_concept:
                    cells += [n.concept_id, ", ".join(n.semantic_types)]
                cells.append(n.source if is_picked else styled(n.filter, "yellow"))
                table.add_row(*cells)
            if len(excluded) > _EXCLUDED_SHOWN:
                more = styled(f"+{len(excluded) - _EXCLUDED_SHOWN}", "dim")
                note = styled("more excluded (--json or --out FILE.html lists each)", "dim")
                table.add_row(more, note, *([""] * (len(table.columns) - 2)))
            if rows:
                console.print(table)
            else:
                console.print(f"[dim]{safe(title)}: nothing found[/]", highlight=False)


def _explore_options(
    layers: str,
    top_k: int | None,
    seed: int,
    preset_name: str,
    isa_source: str | None,
    any_group: bool,
    label_groups: list[str] | None,
    no_approximate: bool,
) -> ExploreOptions:
    from hilgen_graph.grounding.label_groups import parse_label_groups
    from hilgen_graph.grounding.layers import parse_layers, preset

    config = preset(
        preset_name,
        top_k=top_k,
        seed=seed,
        isa_source=isa_source,
        keep_label_group=False if any_group else None,
    )
    return ExploreOptions(
        layers=parse_layers(layers),
        config=config,
        preset_name=preset_name,
        label_groups=parse_label_groups(label_groups),
        approximate=not no_approximate,
    )


@app.command("explore")
def explore_cmd(
    query: str | None = typer.Argument(
        None, help="a concept id (D006973), a name or a mention text (e.g. 'hypertension')"
    ),
    label: str = typer.Option(
        "", "--label", help="entity label whose profile applies (e.g. Disease, Chemical)"
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        help="also write FILE.html (interactive, offline), FILE.png or FILE.graphml; with "
        "--sample a folder for one page per mention and index.html",
    ),
    sample_file: Path | None = typer.Option(
        None,
        "--sample",
        help="explore every gold mention of this sample file (hilgen corpus sample)",
    ),
    corpus: Path | None = typer.Option(
        None, "--corpus", help="the corpus the --sample was drawn from"
    ),
    fmt: str | None = typer.Option(None, "--format", help="corpus format (detected if omitted)"),
    layers: str = typer.Option(
        ",".join(LAYERS), "--layers", help=f"comma-separated, from: {','.join(LAYERS)}"
    ),
    top_k: int | None = typer.Option(
        None, "--top-k", help="related names per layer and concept (the preset's: 10)"
    ),
    seed: int = typer.Option(1, "--seed", help="seed of the walk's sampling (as augment kg)"),
    preset_name: str = typer.Option(
        "default", "--preset", help="layer settings: default | paper-code"
    ),
    isa_source: str | None = typer.Option(
        None, "--isa-source", help="use only is-a edges of this source (e.g. MSH)"
    ),
    any_group: bool = typer.Option(
        False, "--any-group", help="do not keep related concepts to the label's profile"
    ),
    label_groups: list[str] | None = typer.Option(
        None,
        "--label-groups",
        help="LABEL=GROUP[,GROUP][,-TUI] semantic groups allowed, without the types after a "
        "minus (repeatable)",
    ),
    no_approximate: bool = typer.Option(
        False, "--no-approximate", help="skip approximate (n-gram) linking"
    ),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
    backend: str = typer.Option("embedded", "--backend", help=_BACKEND_HELP),
    store: Path | None = typer.Option(None, "--store", help=_STORE_HELP),
    uri: str | None = typer.Option(None, "--uri", envvar="NEO4J_URI", help=_URI_HELP),
    user: str | None = typer.Option(None, "--user", envvar="NEO4J_USER", help=_USER_HELP),
) -> None:
    """Show what the arms get for a mention or concept: how it links (with runner-ups), then
    each layer's picked related concepts and the candidates the filters excluded (and why)."""
    options = _explore_options(
        layers, top_k, seed, preset_name, isa_source, any_group, label_groups, no_approximate
    )
    if sample_file is not None:
        if query is not None or label:
            raise ConfigError("give either a QUERY (with --label) or --sample FILE, not both")
        if corpus is None:
            raise ConfigError("--sample needs --corpus PATH: the corpus the sample was drawn from")
        if out is None:
            raise ConfigError("--sample needs --out DIR: a folder for the pages and index.html")
        _explore_sample_cmd(
            sample_file, corpus, fmt, out, options, as_json, backend, store, uri, user
        )
        return
    if query is None:
        raise ConfigError(
            "nothing to explore: give a concept id, a name or a mention text, or --sample FILE"
        )
    graph = _open(backend, store, uri, user)
    try:
        result = explore(graph, query, label=label, options=options)
    finally:
        graph.close()
    drawing = draw(result, out) if out is not None else None
    if as_json:
        data = result.as_dict()
        data["drawing"] = str(drawing) if drawing is not None else None
        print_json(data)
        return
    _render_exploration(result)
    if drawing is not None:
        console.print(f"drawing written to {safe(drawing)}", highlight=False)


def _explore_sample_cmd(
    sample_file: Path,
    corpus: Path,
    fmt: str | None,
    out: Path,
    options: ExploreOptions,
    as_json: bool,
    backend: str,
    store: Path | None,
    uri: str | None,
    user: str | None,
) -> None:
    from hilgen_graph.explore.explorer import explore_sample
    from hilgen_graph.explore.page import write_sample_pages

    graph = _open(backend, store, uri, user)
    try:
        with LineProgress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            transient=True,
        ) as bar:
            task = bar.add_task("exploring gold mentions", total=None)
            result = explore_sample(
                graph,
                corpus,
                sample_file,
                fmt=fmt,
                options=options,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    finally:
        graph.close()
    written = write_sample_pages(result, out)
    data = result.as_dict()
    data["index"] = str(written.index)
    data["pages"] = len(written.pages)
    if as_json:
        print_json(data)
        return
    console.print(
        f"{data['mentions']} gold mentions of {safe(result.sample.describe())}: "
        f"{data['linked_mentions']} linked, {data['unlinked_mentions']} unlinked",
        highlight=False,
    )
    table = DataTable(title="related concepts per layer over the sample")
    for col in ("layer", "picked", "excluded", "why excluded"):
        table.add_column(col, justify="right" if col in ("picked", "excluded") else "left")
    for layer, c in data["layers"].items():
        why = "; ".join(f"{r}: {n}" for r, n in c["excluded"].items()) or "-"
        table.add_row(layer, str(c["picked"]), str(sum(c["excluded"].values())), why)
    console.print(table)
    console.print(
        f"index written to {safe(written.index)} ({len(written.pages)} pages)", highlight=False
    )


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
