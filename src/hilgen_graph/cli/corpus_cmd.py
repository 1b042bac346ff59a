"""CLI: `hilgen corpus` commands (stats, sample, convert). Thin: the library returns data."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from hilgen_graph.cli.console import DataTable, console, err_console, print_json, safe, status
from hilgen_graph.corpus.conll import write_conll
from hilgen_graph.corpus.jsonl import write_jsonl
from hilgen_graph.corpus.kshot import draw_sample, save_sample
from hilgen_graph.corpus.load import read_corpus
from hilgen_graph.corpus.report import IssueKind, LoadReport, LoadResult
from hilgen_graph.corpus.sampling import SCHEMES, select
from hilgen_graph.corpus.stats import corpus_stats
from hilgen_graph.errors import ConfigError

FormatOpt = Annotated[
    str | None,
    typer.Option("--format", "-f", help="conll | pubtator | jsonl (detected when omitted)"),
]
CollapseOpt = Annotated[
    bool, typer.Option("--collapse", help="collapse every entity type to 'Disease'")
]
CollapseToOpt = Annotated[
    str | None, typer.Option("--collapse-to", help="collapse every entity type to this label")
]
LenientOpt = Annotated[
    bool,
    typer.Option(
        "--lenient", help="skip malformed records (each one is reported) instead of failing"
    ),
]
# the one sample file every stage can take (written by `hilgen corpus sample --out`)
SampleFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--sample",
        help="the sample file of `hilgen corpus sample` (its k, seed, scheme and "
        "collapse are used instead of --k/--seed/--collapse-to)",
    ),
]
MAX_ISSUES_SHOWN = 50
PathArg = Annotated[Path, typer.Argument(help="corpus file (plain or .gz)")]


def _load(
    path: Path, fmt: str | None, collapse: bool, collapse_to: str | None, lenient: bool, quiet: bool
) -> LoadResult:
    if collapse and collapse_to and collapse_to != "Disease":
        raise ConfigError("give either --collapse (to 'Disease') or --collapse-to LABEL, not both")
    label = collapse_to or ("Disease" if collapse else None)
    if quiet:
        return read_corpus(path, fmt, collapse_to=label, lenient=lenient)
    with status(f"reading {path} ..."):
        return read_corpus(path, fmt, collapse_to=label, lenient=lenient)


def _report_dict(report: LoadReport) -> dict[str, object]:
    return {
        "counts": report.counts(),
        "skipped": [i.describe() for i in report.skipped],
        "dropped_entities": [i.describe() for i in report.dropped_entities],
    }


def _print_report(report: LoadReport) -> None:
    counts = report.counts()
    if not counts:
        return
    err_console.print(
        "[bold]reader report:[/] " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items())),
        highlight=False,
    )
    shown = sorted(
        report.issues,
        key=lambda i: i.kind not in (IssueKind.SKIPPED_RECORD, IssueKind.DROPPED_ENTITY),
    )
    for issue in shown[:MAX_ISSUES_SHOWN]:
        err_console.print(f"  {issue.describe()}", highlight=False, markup=False)
    if len(shown) > MAX_ISSUES_SHOWN:
        err_console.print(
            f"  ... and {len(shown) - MAX_ISSUES_SHOWN} more (use --json for the full list)"
        )


def stats(
    path: PathArg,
    fmt: FormatOpt = None,
    collapse: CollapseOpt = False,
    collapse_to: CollapseToOpt = None,
    lenient: LenientOpt = False,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Count documents, sentences, tokens and entities per label."""
    result = _load(path, fmt, collapse, collapse_to, lenient, quiet=as_json)
    st = corpus_stats(result.corpus)
    if as_json:
        out = st.to_dict()
        out["format"] = result.report.format
        out["report"] = _report_dict(result.report)
        print_json(out)
        return
    table = DataTable(title=f"{path} ({result.report.format})")
    table.add_column("what")
    table.add_column("count", justify="right")
    for key in ("documents", "sentences", "tokens"):
        table.add_row(key, str(getattr(st, key)))
    for label, n in st.entities.items():
        in_sent = st.entities_in_sentences.get(label, 0)
        extra = "" if in_sent == n else f" ({in_sent} in sentences)"
        table.add_row(f"entities: {label}", f"{n}{extra}")
    console.print(table)
    _print_report(result.report)


def sample(
    path: PathArg,
    k: Annotated[int, typer.Option("--k", help="shots per entity type")] = 5,
    seed: Annotated[int, typer.Option("--seed", help="random seed")] = 1,
    scheme: Annotated[str, typer.Option("--scheme", help="hilgen | greedy")] = "hilgen",
    out: Annotated[
        Path, typer.Option("--out", help="the sample file (ids, k, seed, scheme, collapse)")
    ] = Path("sample.json"),
    fmt: FormatOpt = None,
    collapse: CollapseOpt = False,
    collapse_to: CollapseToOpt = None,
    lenient: LenientOpt = False,
) -> None:
    """Draw a seeded k-shot sample (labels collapsed first) and save it as the sample file that
    `augment kg`, `generate llm`, `graph explore` and `evaluate` read with --sample."""
    if scheme not in SCHEMES:
        raise ConfigError(f"unknown --scheme {scheme!r}; allowed: {', '.join(SCHEMES)}")
    result = _load(path, fmt, collapse, collapse_to, lenient, quiet=False)
    sentences = result.corpus.sentences
    drawn = draw_sample(
        sentences,
        k,
        seed,
        scheme,
        collapse_to=collapse_to or ("Disease" if collapse else None),
        corpus=path.name,
    )
    save_sample(drawn, out)
    ids = drawn.sentence_ids
    chosen = select(sentences, ids)
    mentions = Counter(e.label for s in chosen for e in s.entities)
    with_type = Counter(label for s in chosen for label in {e.label for e in s.entities})
    table = DataTable(title=f"{scheme} {k}-shot sample, seed {seed}: {len(ids)} sentences -> {out}")
    table.add_column("label")
    table.add_column("sentences", justify="right")
    table.add_column("mentions", justify="right")
    for label in sorted(mentions):
        table.add_row(label, str(with_type[label]), str(mentions[label]))
    console.print(table)
    _print_report(result.report)


def convert(
    path: PathArg,
    to: Annotated[str, typer.Option("--to", help="conll | jsonl")] = "conll",
    out: Annotated[Path, typer.Option("--out", help="output file")] = Path("corpus.tsv"),
    fmt: FormatOpt = None,
    collapse: CollapseOpt = False,
    collapse_to: CollapseToOpt = None,
    lenient: LenientOpt = False,
    docstart: Annotated[
        bool, typer.Option("--docstart", help="conll: write -DOCSTART- before each document")
    ] = False,
) -> None:
    """Convert a corpus to CoNLL (token<TAB>IOB2 tag) or JSONL (one sentence per line)."""
    target = to.lower()
    if target not in ("conll", "jsonl"):
        raise ConfigError(f"unknown --to {to!r}; allowed: conll, jsonl")
    result = _load(path, fmt, collapse, collapse_to, lenient, quiet=False)
    if target == "conll":
        n = write_conll(result.corpus, out, docstart=docstart)
    else:
        n = write_jsonl(result.corpus, out)
    report = result.report
    console.print(
        f"wrote {n} sentences with {report.entities_in_sentences} of {report.entities_read} "
        f"entities to {safe(out)} ({target})",
        highlight=False,
    )
    _print_report(report)


def register(root: typer.Typer) -> None:
    """Attach this module's commands to the root app."""
    group = typer.Typer(
        help="Read, count, sample and convert NER corpora (CoNLL/IOB, PubTator, JSONL).",
        no_args_is_help=True,
    )
    group.command("stats")(stats)
    group.command("sample")(sample)
    group.command("convert")(convert)
    root.add_typer(group, name="corpus")
