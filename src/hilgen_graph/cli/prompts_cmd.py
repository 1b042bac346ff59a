"""CLI: ``hilgen prompts list|show|compare`` — inspect prompt templates and compare them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import TaskID
from rich.syntax import Syntax

from hilgen_graph.cli.console import (
    DataTable,
    console,
    err_console,
    print_json,
    safe,
    visible,
)
from hilgen_graph.cli.corpus_cmd import SampleFileOpt

PromptsDirOpt = Annotated[
    list[Path] | None,
    typer.Option("--prompts-dir", help="extra template folder (also $HILGEN_PROMPTS_DIR)"),
]


def _share(extra: dict[str, object], report: object) -> float:
    """Invented specifics (rejected or flagged) per candidate sentence."""
    total = int(getattr(report, "total", 0) or 0)
    n = int(str(extra.get("invented_rejected", 0))) + int(str(extra.get("invented_flagged", 0)))
    return n / total if total else 0.0


def register(root: typer.Typer) -> None:
    """Attach the ``prompts`` group to the root app."""
    group = typer.Typer(
        help="Prompt templates: list them, show one, compare several on the same seeds.",
        no_args_is_help=True,
    )

    @group.command("list")
    def list_cmd(
        prompts_dir: PromptsDirOpt = None,
        as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    ) -> None:
        """List every template by name, with family, style, version and file."""
        from hilgen_graph.prompts import list_templates

        templates = list_templates(prompts_dir or ())
        if as_json:
            print_json(
                [
                    {
                        "name": t.name,
                        "family": t.family,
                        "style": t.style,
                        "output": t.output,
                        "grounded": t.grounded,
                        "version": t.version,
                        "path": str(t.path),
                        "description": t.description,
                    }
                    for t in templates
                ]
            )
            return
        table = DataTable(title="prompt templates")
        for col in ("name", "family", "style", "output", "version"):
            table.add_column(col, no_wrap=True)
        table.add_column("description", overflow="fold", ratio=1)
        for t in templates:
            table.add_row(t.name, t.family, t.style, t.output, t.short_version, t.description)
        console.print(table)

    @group.command("show")
    def show(
        name: Annotated[str, typer.Argument(help="template name")],
        prompts_dir: PromptsDirOpt = None,
    ) -> None:
        """Print one template file with its version hash."""
        from hilgen_graph.prompts import load_template

        t = load_template(name, prompts_dir or ())
        console.print(
            f"[bold]{safe(t.name)}[/] family={safe(t.family)} style={safe(t.style)} "
            f"output={safe(t.output)} version sha256:{safe(t.version)}\n{safe(t.path)}",
            highlight=False,
        )
        text = visible(t.path.read_text(encoding="utf-8"))  # a Syntax is not a str: no net
        console.print(Syntax(text, "yaml", word_wrap=True))

    @group.command("compare")
    def compare(
        names: Annotated[list[str], typer.Argument(help="template names to compare")],
        corpus: Annotated[Path, typer.Option("--corpus", help="training corpus file")],
        store: Annotated[Path | None, typer.Option("--store", help="graph store folder")] = None,
        k: Annotated[int, typer.Option("--k", help="shots per entity type")] = 5,
        seed: Annotated[int, typer.Option("--seed", help="sampling and model seed")] = 1,
        model: Annotated[str, typer.Option("--model", help="model name")] = "qwen2.5-coder-0.5b",
        base_url: Annotated[
            str | None, typer.Option("--base-url", help="OpenAI-compatible endpoint")
        ] = None,
        per_seed: Annotated[int, typer.Option("--per-seed", help="sentences per seed")] = 3,
        max_seeds: Annotated[
            int | None, typer.Option("--max-seeds", help="use only the first N seeds")
        ] = None,
        temperature: Annotated[float, typer.Option(help="sampling temperature")] = 0.7,
        max_tokens: Annotated[int, typer.Option(help="reply length limit in tokens")] = 512,
        concurrency: Annotated[int, typer.Option(help="LLM calls in flight at once")] = 1,
        timeout: Annotated[float, typer.Option(help="seconds allowed per LLM call")] = 300.0,
        collapse_to: Annotated[
            str | None,
            typer.Option(help="collapse every label to this one (e.g. Disease) before sampling"),
        ] = None,
        sample_file: SampleFileOpt = None,
        layers: Annotated[
            str | None,
            typer.Option(help="marked templates: graph layers, comma-separated"),
        ] = None,
        concepts_per_layer: Annotated[
            int, typer.Option(help="marked templates: related concepts per mention and layer")
        ] = 2,
        max_mentions: Annotated[
            int | None, typer.Option(help="marked templates: linked mentions per seed")
        ] = None,
        reject_invented: Annotated[
            bool, typer.Option(help="reject invented numbers/years/people (else only count)")
        ] = True,
        out_dir: Annotated[
            Path | None,
            typer.Option("--out-dir", help="where each template's JSONL goes (default: runs/)"),
        ] = None,
        prompts_dir: PromptsDirOpt = None,
        backend: Annotated[str, typer.Option(help="graph backend")] = "embedded",
        uri: Annotated[str | None, typer.Option(help="Neo4j Bolt URI")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    ) -> None:
        """Run each template on the same seed sentences; compare the funnel side by side."""
        from hilgen_graph.agents.generate import GenerateConfig, compare_prompts
        from hilgen_graph.cli.generate_cmd import opened_store, progress_bar

        folder = out_dir or Path("runs") / f"prompts-compare-k{k}-seed{seed}"
        config = GenerateConfig(
            corpus=corpus,
            out=folder / "unused.jsonl",
            k=k,
            seed=seed,
            per_seed=per_seed,
            model=model,
            base_url=base_url,
            max_seeds=max_seeds,
            temperature=temperature,
            max_tokens=max_tokens,
            concurrency=concurrency,
            timeout=timeout,
            collapse_to=collapse_to,
            sample_file=sample_file,
            layers=tuple(x.strip() for x in (layers or "").split(",") if x.strip()),
            concepts_per_layer=concepts_per_layer,
            max_mentions=max_mentions,
            reject_invented=reject_invented,
            prompts_dirs=tuple(prompts_dir or ()),
            store_ref=str(store) if store is not None else (uri or ""),
        )
        with opened_store(store, backend, uri) as gs, progress_bar() as bar:
            tasks: dict[str, TaskID] = {}

            def step(name: str, done: int, total: int) -> None:
                if name not in tasks:
                    tasks[name] = bar.add_task(name, total=total)
                bar.update(tasks[name], completed=done, total=total)

            reports = compare_prompts(config, names, gs, folder, progress=step)
        if as_json:
            print_json({name: r.to_json() for name, r in reports.items()})
            return
        table = DataTable(title=f"prompt comparison (k={k}, seed={seed}, model={model})")
        table.add_column("measure")
        for name in reports:
            table.add_column(name, justify="right", overflow="fold")

        def row(label: str, values: list[str]) -> None:
            table.add_row(label, *values)

        rs = list(reports.values())
        row("sentences", [str(r.total) for r in rs])
        row("accepted", [f"{r.accepted} ({r.acceptance:.0%})" for r in rs])
        for i, stage in enumerate(rs[0].stages if rs else []):
            row(
                f"passed {stage.stage}",
                [
                    f"{r.stages[i].passed}/{r.stages[i].entered}"
                    if r.stages[i].entered
                    else ("skipped" if r.stages[i].skipped else "-")
                    for r in rs
                ],
            )
        row("entities -> intended concept", [f"{r.grounding.entity_share:.1%}" for r in rs])
        row("sentences mention intended", [f"{r.grounding.sentence_share:.1%}" for r in rs])
        ex = [r.extra for r in rs]
        row("requests", [str(e.get("requests", "-")) for e in ex])
        row("model calls", [str(e.get("calls", "-")) for e in ex])
        for kind in ("rewrite", "new_context"):
            row(f"accepted {kind}", [str(e.get("kinds", {}).get(kind, 0)) for e in ex])
        row(
            "invented specifics (rejected / flagged)",
            [
                f"{e.get('invented_rejected', 0)} / {e.get('invented_flagged', 0)}"
                + (f" ({_share(e, r):.0%})" if r.total else "")
                for e, r in zip(ex, rs, strict=True)
            ],
        )
        row(
            "tokens in / out",
            [f"{e.get('input_tokens', 0)} / {e.get('output_tokens', 0)}" for e in ex],
        )
        row("generation time", [f"{e.get('elapsed_s', 0):.0f} s" for e in ex])
        row("distinct-1", [f"{r.diversity.distinct_1:.3f}" for r in rs])
        row("distinct-2", [f"{r.diversity.distinct_2:.3f}" for r in rs])
        row("self-BLEU", [f"{r.diversity.self_bleu:.3f}" for r in rs])
        row(
            "accepted sentences/min",
            [f"{r.sentences_per_min:.1f}" if r.sentences_per_min is not None else "-" for r in rs],
        )
        console.print(table)
        err_console.print(f"outputs: {safe(folder)}", highlight=False)

    root.add_typer(group, name="prompts")
