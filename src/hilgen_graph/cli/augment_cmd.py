"""CLI: `hilgen augment` commands. `augment kg` runs the knowledge-graph arm.

``hilgen augment kg --corpus PATH --format pubtator|conll --k 5 --seed 1 --store DIR
--layers synonyms,semantic_type,parents,children,siblings --top-k 10 --out synth.jsonl [--json]
[--semantic-type-match shared|exact] [--mentions group|one|all]
[--dev PATH --test PATH] [--collapse]`` writes the synthetic JSONL and prints a per-layer summary.

With ``--json`` it prints one JSON object (see ``KgReport.as_dict``). Top-level keys: ``out``,
``written``, ``made``, ``kept``, ``dropped``, ``sentences``, ``entities``, ``linked_entities``,
``unlinked_entities`` (totals), ``coreferent_skipped`` (linked mentions replaced with an
earlier co-referent mention instead of on their own), then ``layers`` mapping each layer to
``made`` (substitutions tried), ``kept`` (written), ``dropped`` (+ ``dropped_by_reason``),
``linked_entities`` (linked gold entities with at least one sentence in that layer),
``unlinked_entities`` (gold entities that could not be linked), ``flagged_leakage``,
``entity_strings_in_eval``, ``related`` and ``filtered_by_reason``; ``linking`` (coverage,
``by_method`` and every unlinked entity with its id, text and reason), ``knowledge_sources``,
``eval_files``, ``seconds``, ``sample_ids``, ``config``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn

from hilgen_graph.cli.console import (
    DataTable,
    LineProgress,
    console,
    print_json,
    print_skipped,
    safe,
    styled,
)
from hilgen_graph.errors import ConfigError
from hilgen_graph.grounding.label_groups import parse_label_groups
from hilgen_graph.grounding.layers import LAYERS, PRESETS, parse_layers, preset
from hilgen_graph.grounding.linker import DEFAULT_APPROX_THRESHOLD
from hilgen_graph.kg_arm.augment import KgConfig, KgReport, KgRun, run_kg_arm
from hilgen_graph.kg_arm.substitution import Mentions

MAX_UNLINKED_SHOWN = 30


def _summary(report: KgReport) -> None:
    link = report.linking
    console.print(
        f"[bold]{report.sentences}[/] k-shot sentences, {len(link.links)} gold entities: "
        f"[green]{len(link.linked)} linked[/], [red]{len(link.unlinked)} unlinked[/] "
        f"(coverage {link.coverage:.1%})"
    )
    methods = ", ".join(f"{m}={n}" for m, n in link.by_method.items() if n)
    console.print(f"linking by method: {safe(methods or 'none')}")
    if not link.approximate_available:
        console.print(f"[yellow]approximate matching off:[/] {safe(link.approximate_note)}")
    table = DataTable(title="synthetic sentences per layer")
    for col in ("layer", "made", "kept", "dropped", "why dropped", "linked ents", "eval ents"):
        table.add_column(col, justify="left" if col in ("layer", "why dropped") else "right")
    for name, c in report.layers.items():
        why = "; ".join(f"{r}: {n}" for r, n in sorted(c.dropped.items())) or "-"
        table.add_row(
            name,
            str(c.made),
            str(c.kept),
            str(sum(c.dropped.values())),
            why,
            str(c.linked_entities),
            str(c.entity_strings_in_eval),
        )
    table.add_row(
        styled("all", "bold"), str(report.made), str(report.kept), str(report.dropped), "", "", ""
    )
    console.print(table)
    if link.unlinked:
        console.print("[bold]unlinked entities[/] (id, text, why):")
        for u in link.unlinked[:MAX_UNLINKED_SHOWN]:
            ids = "|".join(u.entity.concept_ids) or "-"
            console.print(
                f"  {u.sentence_id}  {ids}  {u.entity.text!r}: {u.reason}",
                highlight=False,
                markup=False,
            )
        if len(link.unlinked) > MAX_UNLINKED_SHOWN:
            console.print(f"  ... and {len(link.unlinked) - MAX_UNLINKED_SHOWN} more (--json)")
    console.print("[bold]label profiles[/] (what each label may link to and expand into):")
    for label, prof in report.profiles.items():
        ex = report.profile_excluded.get(label)
        why = ", ".join(f"{f}: {n}" for f, n in sorted(ex.counts.items())) if ex else ""
        console.print(
            f"  {label}: {prof.describe()}" + (f"; excluded {why}" if why else ""),
            highlight=False,
            markup=False,
        )
    if report.eval_files:
        console.print("leakage guard against: " + ", ".join(report.eval_files), highlight=False)
    else:
        console.print("[yellow]no dev/test files: leakage guard checked duplicates only[/]")
    secs = report.seconds
    console.print(
        f"wrote [bold]{report.written}[/] sentences to {safe(report.out)} "
        f"in {secs.get('total', 0.0):.1f}s (expansion {secs.get('expand', 0.0):.2f}s)",
        highlight=False,
    )


def _mentions(value: str) -> Mentions:
    try:
        return Mentions(value)
    except ValueError:
        raise ConfigError(
            f"--mentions {value!r}: allowed: {', '.join(m.value for m in Mentions)}"
        ) from None


def kg(
    corpus: Annotated[Path, typer.Option("--corpus", help="training corpus file")],
    out: Annotated[Path, typer.Option("--out", help="synthetic JSONL to write")],
    store: Annotated[
        Path | None, typer.Option("--store", help="embedded graph store folder")
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="pubtator | conll (detected when omitted)"),
    ] = None,
    k: Annotated[int, typer.Option("--k", help="sentences per entity type (k-shot)")] = 5,
    seed: Annotated[int, typer.Option("--seed", help="seed of sampling and expansion")] = 1,
    scheme: Annotated[str, typer.Option("--scheme", help="k-shot scheme: hilgen | greedy")] = (
        "hilgen"
    ),
    layers: Annotated[
        str, typer.Option("--layers", help=f"comma-separated, from: {','.join(LAYERS)}")
    ] = ",".join(LAYERS),
    top_k: Annotated[
        int | None, typer.Option("--top-k", help="related names per layer and concept (10)")
    ] = None,
    preset_name: Annotated[
        str, typer.Option("--preset", help=f"layer settings: {' | '.join(PRESETS)}")
    ] = "default",
    isa_source: Annotated[
        str | None,
        typer.Option("--isa-source", help="use only is-a edges of this source (e.g. MSH)"),
    ] = None,
    min_parent_depth: Annotated[
        int | None,
        typer.Option("--min-parent-depth", help="skip parents fewer hops than this from a root"),
    ] = None,
    max_parent_descendants: Annotated[
        int | None,
        typer.Option(
            "--max-parent-descendants", help="skip parents with more descendants than this"
        ),
    ] = None,
    sibling_fanout: Annotated[
        int | None, typer.Option("--sibling-fanout", help="siblings considered per parent")
    ] = None,
    semantic_type_match: Annotated[
        str | None,
        typer.Option(
            "--semantic-type-match",
            help="semantic_type layer: shared (any type in common; default) | exact (the "
            "source's set of types)",
        ),
    ] = None,
    mentions: Annotated[
        str,
        typer.Option(
            "--mentions",
            help="group: replace a mention with its co-referent mentions (the same text, an "
            "abbreviation and its long form); one: the mention alone; all: the group and "
            "every other linked mention of the sentence, each with a name from its own walk",
        ),
    ] = "group",
    number_agreement: Annotated[
        bool,
        typer.Option(
            "--number-agreement",
            help="substitute only names of the mention's grammatical number (no class name "
            "such as 'pyridines' for a singular drug)",
        ),
    ] = False,
    any_group: Annotated[
        bool,
        typer.Option("--any-group", help="do not keep related concepts in the label's groups"),
    ] = False,
    labels: Annotated[
        str | None, typer.Option("--labels", help="expand only these entity labels (comma list)")
    ] = None,
    label_groups: Annotated[
        list[str] | None,
        typer.Option(
            "--label-groups",
            help="LABEL=GROUP[,GROUP][,-TUI]: the semantic groups LABEL may link to and expand "
            "into, without the types after a minus (Chemical=CHEM,-T126) "
            "(repeatable; overrides the registry; labels it does not know get a profile from "
            "their mentions linked by id or name)",
        ),
    ] = None,
    approx_threshold: Annotated[
        float, typer.Option("--approx-threshold", help="trigram similarity for approximate links")
    ] = DEFAULT_APPROX_THRESHOLD,
    no_approximate: Annotated[
        bool, typer.Option("--no-approximate", help="skip approximate (n-gram) linking")
    ] = False,
    dev: Annotated[Path | None, typer.Option("--dev", help="dev file for the leakage guard")] = (
        None
    ),
    test: Annotated[
        Path | None, typer.Option("--test", help="test file for the leakage guard")
    ] = None,
    keep_leaks: Annotated[
        bool,
        typer.Option("--keep-leaks", help="keep (only flag) sentences identical to dev/test"),
    ] = False,
    collapse: Annotated[
        bool, typer.Option("--collapse", help="collapse every entity type to 'Disease'")
    ] = False,
    collapse_to: Annotated[
        str | None, typer.Option("--collapse-to", help="collapse every entity type to LABEL")
    ] = None,
    sample_file: Annotated[
        Path | None,
        typer.Option(
            "--sample",
            help="the sample file of `hilgen corpus sample` (its k, seed, scheme and collapse "
            "are used instead of --k/--seed/--scheme/--collapse)",
        ),
    ] = None,
    backend: Annotated[str, typer.Option("--backend", help="embedded | neo4j")] = "embedded",
    uri: Annotated[str | None, typer.Option("--uri", help="Neo4j bolt URI")] = None,
    lenient: Annotated[
        bool,
        typer.Option(
            "--lenient",
            help="skip malformed records of the corpus (each one is reported) instead of failing",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Link the k-shot entities to the graph, expand them in layers and write substituted
    synthetic sentences with provenance."""
    if collapse and collapse_to and collapse_to != "Disease":
        raise ConfigError("give either --collapse (to 'Disease') or --collapse-to LABEL, not both")
    if backend == "embedded" and store is None:
        raise ConfigError(
            "the embedded backend needs --store DIR (a folder from hilgen graph load)"
        )
    if sample_file is not None:  # the sample file's seed seeds the walk too, as in evaluate
        from hilgen_graph.corpus.kshot import load_sample

        seed = load_sample(sample_file).seed or seed
    layer_names = parse_layers(layers)
    layer_config = preset(
        preset_name,
        top_k=top_k,
        seed=seed,
        isa_source=isa_source,
        min_parent_depth=min_parent_depth,
        max_parent_descendants=max_parent_descendants,
        sibling_fanout=sibling_fanout,
        keep_label_group=False if any_group else None,
        semantic_type_match=semantic_type_match,
        number_agreement=number_agreement or None,
    )
    config = KgConfig(
        layers=layer_names,
        layer_config=layer_config,
        labels=tuple(x.strip() for x in labels.split(",") if x.strip()) if labels else None,
        label_groups=parse_label_groups(label_groups),
        approx_threshold=approx_threshold,
        drop_leakage=not keep_leaks,
        mentions=_mentions(mentions),
    )
    run = KgRun(
        corpus=corpus,
        store=store,
        out=out,
        format=fmt,
        k=k,
        seed=seed,
        scheme=scheme,
        collapse_to=collapse_to or ("Disease" if collapse else None),
        dev=dev,
        test=test,
        approximate=not no_approximate,
        backend=backend,
        uri=uri,
        sample_file=sample_file,
        lenient=lenient,
    )
    with LineProgress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=True,
    ) as bar:
        task = bar.add_task("expanding linked entities", total=None)

        def tick(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        report = run_kg_arm(run, config, progress=tick)
    print_skipped(report.corpus_skipped)
    if as_json:
        print_json(report.as_dict())
        return
    _summary(report)


def register(root: typer.Typer) -> None:
    """Attach this module's commands to the root app."""
    group = typer.Typer(
        help="Make synthetic training sentences (knowledge-graph arm).", no_args_is_help=True
    )
    group.command("kg")(kg)
    root.add_typer(group, name="augment")
