"""One entry point for every corpus format, with format autodetection."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from hilgen_graph.corpus.conll import read_conll
from hilgen_graph.corpus.io import empty_corpus, iter_lines
from hilgen_graph.corpus.jsonl import read_jsonl
from hilgen_graph.corpus.pubtator import TEXT_LINE, read_pubtator
from hilgen_graph.corpus.records import Corpus
from hilgen_graph.corpus.report import LoadResult
from hilgen_graph.errors import ConfigError, CorpusFormatError

Reader = Callable[..., LoadResult]
READERS: dict[str, Reader] = {
    "conll": read_conll,
    "pubtator": read_pubtator,
    "jsonl": read_jsonl,
}
FORMAT_ALIASES = {"iob": "conll", "bio": "conll", "tsv": "conll", "json": "jsonl"}
FORMATS = tuple(READERS)


def normalise_format(fmt: str) -> str:
    key = FORMAT_ALIASES.get(fmt.lower(), fmt.lower())
    if key not in READERS:
        raise ConfigError(
            f"unknown corpus format {fmt!r}; allowed: {', '.join(FORMATS)} "
            f"(aliases: {', '.join(sorted(FORMAT_ALIASES))})"
        )
    return key


def detect_format(path: str | Path, *, probe_lines: int = 50) -> str:
    """Guess ``conll``, ``pubtator`` or ``jsonl`` from the first non-blank lines of a file."""
    p = Path(path)
    seen = False
    for lineno, line in iter_lines(p):
        text = line.strip()
        if not text:
            continue
        seen = True
        if TEXT_LINE.match(text):
            return "pubtator"
        if text.startswith("{"):
            try:
                json.loads(text)
            except ValueError:
                pass
            else:
                return "jsonl"
        cols = text.split("\t") if "\t" in text else text.split()
        if cols[0] == "-DOCSTART-" or (len(cols) >= 2 and _looks_like_tag(cols[-1])):
            return "conll"
        if lineno >= probe_lines:
            break
    if not seen:
        raise empty_corpus(p)
    raise CorpusFormatError(
        "cannot tell the corpus format from the first lines",
        path=str(p),
        fix="pass the format explicitly (--format conll|pubtator|jsonl)",
    )


def _looks_like_tag(tag: str) -> bool:
    return tag == "O" or (len(tag) > 2 and tag[:2] in ("B-", "I-"))


def read_corpus(
    path: str | Path,
    format: str | None = None,  # noqa: A002 - the public API names it so
    *,
    collapse_to: str | None = None,
    lenient: bool = False,
) -> LoadResult:
    """Read a corpus file and return it with a :class:`LoadReport` of what was skipped/changed."""
    fmt = normalise_format(format) if format else detect_format(path)
    return READERS[fmt](path, collapse_to=collapse_to, lenient=lenient)


def load_corpus(
    path: str | Path,
    format: str | None = None,  # noqa: A002
    *,
    collapse_to: str | None = None,
    lenient: bool = False,
) -> Corpus:
    """Read a corpus file (CoNLL/IOB, PubTator or JSONL; plain or gzip) into a ``Corpus``.

    ``format`` is detected when omitted. ``collapse_to`` replaces every entity type. Malformed
    input raises ``CorpusFormatError``; with ``lenient=True`` bad records are skipped: call
    :func:`read_corpus` instead to get the report saying which and why.
    """
    return read_corpus(path, format, collapse_to=collapse_to, lenient=lenient).corpus
