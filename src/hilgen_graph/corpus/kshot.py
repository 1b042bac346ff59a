"""The one k-shot sample every stage reads: sentence ids plus how they were drawn.

``hilgen corpus sample`` writes it; ``hilgen augment kg``, ``hilgen generate llm``,
``hilgen graph explore --sample`` and ``hilgen evaluate`` read it (``--sample FILE``) or draw
exactly the same one from the same arguments through :func:`sample_corpus`. Labels are collapsed
*before* sampling everywhere (a collapsed corpus has one type, so the HILGEN scheme draws ``k``
sentences, not ``k`` per fine type).

The file is JSON::

    {"format": "hilgen-sample/1", "corpus": "NCBItrainset_corpus.txt", "pool": 5432,
     "k": 5, "seed": 1, "scheme": "hilgen", "collapse_to": "Disease",
     "sentence_ids": ["...", ...]}

A bare JSON list of ids (the format of earlier releases) still reads, as a sample whose drawing
parameters are unknown.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hilgen_graph.atomic import write_json
from hilgen_graph.corpus.records import Sentence
from hilgen_graph.corpus.sampling import sample_kshot, select
from hilgen_graph.errors import ConfigError, CorpusFormatError, DataMissingError

SAMPLE_FORMAT = "hilgen-sample/1"


@dataclass(frozen=True, slots=True)
class KShotSample:
    """A drawn k-shot sample. ``k == 0`` means the drawing parameters are unknown (a bare id
    list); ``collapse_to`` is the label every entity type was collapsed to before drawing."""

    sentence_ids: tuple[str, ...]
    k: int = 0
    seed: int = 0
    scheme: str = "hilgen"
    collapse_to: str | None = None
    corpus: str = ""  # file name of the corpus drawn from
    pool: int = 0  # sentences in that corpus

    def describe(self) -> str:
        how = f"{self.scheme} {self.k}-shot, seed {self.seed}" if self.k else "given ids"
        collapse = f", collapsed to {self.collapse_to}" if self.collapse_to else ""
        return f"{len(self.sentence_ids)} sentences ({how}{collapse})"

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": SAMPLE_FORMAT,
            "corpus": self.corpus,
            "pool": self.pool,
            "k": self.k,
            "seed": self.seed,
            "scheme": self.scheme,
            "collapse_to": self.collapse_to,
            "sentence_ids": list(self.sentence_ids),
        }


def draw_sample(
    sentences: Sequence[Sentence],
    k: int,
    seed: int,
    scheme: str = "hilgen",
    *,
    collapse_to: str | None = None,
    corpus: str = "",
) -> KShotSample:
    """Draw from ``sentences``, which must already carry the collapsed labels (read the corpus
    with ``load_corpus(..., collapse_to=...)``); ``collapse_to`` is recorded, and checked."""
    if collapse_to is not None:
        other = sorted({e.label for s in sentences for e in s.entities} - {collapse_to})
        if other:
            raise ConfigError(
                f"the sentences to sample still carry labels {other[:5]} besides {collapse_to!r}; "
                "collapse before sampling: load_corpus(path, collapse_to=LABEL)"
            )
    ids = sample_kshot(sentences, k, seed, scheme)
    return KShotSample(tuple(ids), k, seed, scheme, collapse_to, corpus, len(sentences))


def save_sample(sample: KShotSample, path: str | Path) -> None:
    """Write the sample file (atomically)."""
    write_json(path, sample.as_dict(), indent=1)


def load_sample(path: str | Path) -> KShotSample:
    """Read a sample file written by :func:`save_sample` (or a bare JSON list of ids)."""
    p = Path(path)
    if not p.is_file():
        raise DataMissingError(
            f"sample file not found: {p}; create it with `hilgen corpus sample ... --out FILE`"
        )
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        raise CorpusFormatError(
            f"not a JSON sample file: {err}",
            path=str(p),
            fix="write it with `hilgen corpus sample --out FILE`",
        ) from err
    if isinstance(data, list):
        return KShotSample(_ids(data, p))
    if not isinstance(data, dict) or data.get("format") != SAMPLE_FORMAT:
        raise CorpusFormatError(
            f"not a {SAMPLE_FORMAT} sample file",
            path=str(p),
            text=str(data)[:120],
            fix="write it with `hilgen corpus sample --out FILE`",
        )
    try:
        return KShotSample(
            _ids(data.get("sentence_ids"), p),
            int(data.get("k", 0)),
            int(data.get("seed", 0)),
            str(data.get("scheme", "hilgen")),
            data.get("collapse_to") or None,
            str(data.get("corpus", "")),
            int(data.get("pool", 0)),
        )
    except (TypeError, ValueError) as err:
        raise CorpusFormatError(
            f"bad field in the sample file: {err}",
            path=str(p),
            fix="k, seed and pool are integers; write it with `hilgen corpus sample --out FILE`",
        ) from err


def _ids(data: object, p: Path) -> tuple[str, ...]:
    if not isinstance(data, list) or not all(isinstance(i, str) for i in data):
        raise CorpusFormatError(
            "the sample's sentence ids must be a JSON list of strings",
            path=str(p),
            text=str(data)[:120],
            fix="write it with `hilgen corpus sample --out FILE`",
        )
    return tuple(data)


@dataclass(frozen=True, slots=True)
class SampledCorpus:
    """A corpus read with the sample's collapse, the sample, and its sentences in sample order."""

    sentences: list[Sentence]  # the whole (collapsed) corpus
    sample: KShotSample
    seeds: list[Sentence]
    skipped: tuple[str, ...] = ()  # malformed records skipped (lenient), as the reader says


def load_drawn(sample_file: str | Path, collapse_to: str | None = None) -> KShotSample:
    """:func:`load_sample`, refusing a ``collapse_to`` other than the one the file was drawn
    with (a bare id list records none, so any is accepted)."""
    given = load_sample(sample_file)
    if given.k > 0 and collapse_to not in (None, given.collapse_to):
        raise ConfigError(
            f"the sample file {sample_file} was drawn with collapse_to={given.collapse_to!r}, "
            f"but {collapse_to!r} was asked for; drop the collapse option (the sample file's is "
            "used) or draw a new sample"
        )
    return given


def sample_corpus(
    path: str | Path,
    fmt: str | None = None,
    *,
    k: int = 5,
    seed: int = 1,
    scheme: str = "hilgen",
    collapse_to: str | None = None,
    sample_file: str | Path | None = None,
    lenient: bool = False,
) -> SampledCorpus:
    """Read ``path`` and take its k-shot sample: the one in ``sample_file`` when given (its k,
    seed, scheme and collapse win over the arguments, and its collapse is applied before
    reading), else drawn from the arguments exactly as ``hilgen corpus sample`` draws it."""
    from hilgen_graph.corpus.load import read_corpus

    given = load_drawn(sample_file, collapse_to) if sample_file is not None else None
    fixed = given is not None and given.k > 0  # the file records how it was drawn
    collapse = given.collapse_to if fixed and given is not None else collapse_to
    read = read_corpus(path, fmt, collapse_to=collapse, lenient=lenient)
    skipped = tuple(i.describe() for i in read.report.skipped)
    sentences = read.corpus.sentences
    if not sentences:
        raise CorpusFormatError(
            "the corpus has no sentences", path=str(path), fix="check the file and its format"
        )
    if given is None:
        sample = draw_sample(
            sentences, k, seed, scheme, collapse_to=collapse, corpus=Path(path).name
        )
    else:
        sample = given
        if sample.pool and sample.pool != len(sentences):
            raise ConfigError(
                f"the sample file {sample_file} was drawn from a corpus of {sample.pool} "
                f"sentences ({sample.corpus or 'unnamed'}); {path} has {len(sentences)}: give the "
                "corpus the sample was drawn from, or draw a new sample"
            )
    return SampledCorpus(sentences, sample, select(sentences, sample.sentence_ids), skipped)


def outside_sample(seed_ids: Iterable[str], sample: KShotSample) -> list[str]:
    """The seed sentence ids (in order, once each) that are not in the sample."""
    inside = frozenset(sample.sentence_ids)
    return list(dict.fromkeys(i for i in seed_ids if i not in inside))
