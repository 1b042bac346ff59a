"""CLI: ``hilgen generate llm`` — the LLM arm: grounded chains or the graph-tool agent."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn

from hilgen_graph.cli.console import (
    DataTable,
    LineProgress,
    console,
    err_console,
    print_json,
    print_skipped,
    safe,
)
from hilgen_graph.cli.corpus_cmd import SampleFileOpt
from hilgen_graph.graph.store import GraphStore

StoreOpt = Annotated[
    Path | None,
    typer.Option("--store", help="embedded graph store folder (from `hilgen graph load`)"),
]
BackendOpt = Annotated[
    str, typer.Option("--backend", help="graph backend: embedded (default) or neo4j")
]
UriOpt = Annotated[
    str | None, typer.Option("--uri", help="Neo4j Bolt URI (neo4j backend; else $NEO4J_URI)")
]


@contextmanager
def opened_store(store: Path | None, backend: str, uri: str | None) -> Iterator[GraphStore]:
    """Open the store named by the common options, and close it afterwards."""
    from hilgen_graph.errors import ConfigError
    from hilgen_graph.graph.backends import open_store

    if backend == "embedded" and store is None:
        raise ConfigError("a graph store is needed: pass --store DIR (built by hilgen graph build)")
    if backend == "embedded" and store is not None and not store.exists():
        raise ConfigError(f"graph store {store} does not exist; build it with `hilgen graph build`")
    s = open_store(backend, path=store, uri=uri)
    try:
        yield s
    finally:
        s.close()


def progress_bar() -> LineProgress:
    """The progress display of LLM runs (stderr; one line per finished request in a log)."""
    return LineProgress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=True,
    )


def api_key_line(model: str, base_url: str | None) -> str:
    """Where ``OPENAI_API_KEY`` goes for this model and endpoint (printed before a run)."""
    from hilgen_graph.llm.models import LLMSettings, key_destination

    return key_destination(LLMSettings.load(model=model, base_url=base_url)).describe()


def register(root: typer.Typer) -> None:
    """Attach ``generate`` and its ``llm`` command to the root app."""
    group = typer.Typer(
        help="Generate synthetic sentences (LLM arm: grounded chains or a graph-tool agent).",
        no_args_is_help=True,
    )

    @group.command("llm")
    def llm(
        corpus: Annotated[Path, typer.Option("--corpus", help="training corpus file")],
        out: Annotated[Path, typer.Option("--out", help="output synthetic JSONL file")],
        store: StoreOpt = None,
        k: Annotated[int, typer.Option("--k", help="shots per entity type")] = 5,
        seed: Annotated[int, typer.Option("--seed", help="sampling and model seed")] = 1,
        prompt: Annotated[
            str | None,
            typer.Option(
                "--prompt", help="template name(s), comma-separated (see hilgen prompts list)"
            ),
        ] = None,
        per_seed: Annotated[
            int, typer.Option("--per-seed", help="sentences asked for per seed and prompt")
        ] = 3,
        model: Annotated[
            str, typer.Option("--model", help="model name (a label for a local server)")
        ] = "qwen2.5-coder-0.5b",
        base_url: Annotated[
            str | None,
            typer.Option(
                "--base-url", help="OpenAI-compatible endpoint, e.g. from hilgen llm serve"
            ),
        ] = None,
        agent: Annotated[
            bool, typer.Option("--agent", help="use the tool-calling graph agent")
        ] = False,
        max_seeds: Annotated[
            int | None, typer.Option("--max-seeds", help="use only the first N seed sentences")
        ] = None,
        temperature: Annotated[float, typer.Option(help="sampling temperature")] = 0.7,
        max_tokens: Annotated[int, typer.Option(help="reply length limit in tokens")] = 512,
        concurrency: Annotated[int, typer.Option(help="LLM calls in flight at once")] = 1,
        timeout: Annotated[float, typer.Option(help="seconds allowed per LLM call")] = 300.0,
        max_concepts: Annotated[
            int, typer.Option(help="related concepts listed in a grounded prompt")
        ] = 5,
        collapse_to: Annotated[
            str | None,
            typer.Option(help="collapse every label to this one (e.g. Disease) before sampling"),
        ] = None,
        label_groups: Annotated[
            list[str] | None,
            typer.Option(
                "--label-groups",
                help="LABEL=GROUP[,GROUP][,-TUI]: the semantic groups LABEL may link to and use, "
                "without the types after a minus (Chemical=CHEM,-T126) "
                "(repeatable; overrides the registry; other labels get a profile from their "
                "mentions linked by id or name)",
            ),
        ] = None,
        layers: Annotated[
            str | None,
            typer.Option(
                help="marked templates: graph layers, comma-separated (default: the template's, "
                "parents,children,siblings,synonyms)"
            ),
        ] = None,
        concepts_per_layer: Annotated[
            int,
            typer.Option(help="marked templates: related concepts per mention and layer (budget)"),
        ] = 2,
        max_mentions: Annotated[
            int | None,
            typer.Option(help="marked templates: linked gold mentions per seed (default: all)"),
        ] = None,
        reject_invented: Annotated[
            bool,
            typer.Option(help="reject sentences with invented numbers/years/people (else count)"),
        ] = True,
        sample_file: SampleFileOpt = None,
        prompts_dir: Annotated[
            list[Path] | None, typer.Option("--prompts-dir", help="extra template folder")
        ] = None,
        heldout: Annotated[
            list[Path] | None,
            typer.Option("--heldout", help="dev/test file for the leakage check (default: beside)"),
        ] = None,
        cache: Annotated[bool, typer.Option(help="replay cached replies from disk")] = True,
        backend: BackendOpt = "embedded",
        uri: UriOpt = None,
        lenient: Annotated[
            bool,
            typer.Option(
                "--lenient",
                help="skip malformed records of the corpus (each one is reported) instead of "
                "failing",
            ),
        ] = False,
        as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
    ) -> None:
        """Write grounded synthetic sentences for the k-shot seeds (resumable, cached).

        Default template marked-rewrite-sys: one request per (seed, related concept)
        within the budget (--concepts-per-layer, --max-mentions, --layers); the
        model writes the new name in double square brackets and the toolkit
        computes spans and IOB. For real runs: hilgen llm install --model
        qwen2.5-coder-1.5b, then hilgen llm serve --model qwen2.5-coder-1.5b
        --background, and pass its --base-url with --model qwen2.5-coder-1.5b.
        """
        from hilgen_graph.agents.generate import GenerateConfig, generate_llm
        from hilgen_graph.grounding.label_groups import parse_label_groups

        names = tuple(n.strip() for n in (prompt or "").split(",") if n.strip())
        if not names:
            names = ("agent",) if agent else ("marked-rewrite-sys",)
        config = GenerateConfig(
            corpus=corpus,
            out=out,
            prompts=names,
            k=k,
            seed=seed,
            per_seed=per_seed,
            model=model,
            base_url=base_url,
            agent=agent,
            max_seeds=max_seeds,
            temperature=temperature,
            max_tokens=max_tokens,
            concurrency=concurrency,
            timeout=timeout,
            max_concepts=max_concepts,
            collapse_to=collapse_to,
            layers=tuple(x.strip() for x in (layers or "").split(",") if x.strip()),
            concepts_per_layer=concepts_per_layer,
            max_mentions=max_mentions,
            reject_invented=reject_invented,
            sample_file=sample_file,
            lenient=lenient,
            heldout=tuple(heldout) if heldout else None,
            prompts_dirs=tuple(prompts_dir or ()),
            cache=cache,
            store_ref=str(store) if store is not None else (uri or ""),
            label_groups=parse_label_groups(label_groups),
        )
        key_line = api_key_line(model, base_url)
        err_console.print(f"[dim]{safe(key_line)}[/]", highlight=False)
        with opened_store(store, backend, uri) as gs, progress_bar() as bar:
            task = bar.add_task("generating", total=None)

            def step(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            summary = generate_llm(config, gs, progress=step)
        print_skipped(summary.corpus_skipped)
        if as_json:
            print_json({**summary.to_json(), "api_key": key_line})
            return
        table = DataTable(title=f"hilgen generate llm -> {summary.out}")
        table.add_column("measure")
        table.add_column("value", justify="right")
        rows = [
            ("seed sentences", summary.seeds),
            ("requests (seed x prompt)", summary.requests),
            ("resumed from an earlier run", summary.resumed),
            ("model calls (incl. repairs)", f"{summary.calls} ({summary.repairs} repairs)"),
            ("sentences generated", summary.candidates),
            ("accepted", summary.accepted),
            ("elapsed", f"{summary.elapsed_s:.1f} s"),
            ("accepted sentences/min", f"{summary.sentences_per_min:.1f}"),
        ]
        led = summary.ledger or {}
        rows += [
            ("tokens in / out", f"{led.get('input_tokens', 0)} / {led.get('output_tokens', 0)}"),
            ("LLM calls answered from the cache", led.get("cached_calls", 0)),
        ]
        rows += [(f"accepted {k}", v) for k, v in sorted(summary.kinds.items())]
        rows += [(f"budget {k}", v) for k, v in summary.budget.items()]
        rows += [(f"rejected at {k}", v) for k, v in summary.rejected.items()]
        rows += [(f"skipped: {k}", v) for k, v in summary.skipped.items()]
        rows += [(f"failed (retried on rerun): {k}", v) for k, v in summary.failed.items()]
        for name, value in rows:
            table.add_row(name, str(value))
        console.print(table)
        run_folder = summary.out.with_name(summary.out.name.removesuffix(".jsonl") + ".run")
        console.print(
            f"rejections with raw output: {safe(summary.rejected_out)}; run folder: "
            f"{safe(run_folder)}; full report: hilgen check {safe(summary.out)}",
            highlight=False,
        )

    root.add_typer(group, name="generate")
