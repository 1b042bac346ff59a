"""Leakage and quality guard for synthetic sentences, with per-layer counts of what and why.

* A synthetic sentence identical to a dev or test sentence is flagged and, by default, dropped.
* A synthetic entity string that also occurs as a dev/test entity is counted (not dropped).
* Exact duplicates (same tokens and tags as an earlier synthetic sentence) are dropped, and so is
  a sentence identical to a gold training sentence (it adds nothing).

Sentences are compared by their normalised token text (:func:`sentence_key`), so tokenisation
differences between corpus formats do not hide a copy. :class:`HeldoutIndex` is the one held-out
(leakage) index of the toolkit: the KG arm's guard, the funnel's ``leakage`` stage (both arms)
and ``hilgen check`` use it. Dev/test files are found one way: given explicitly (``--dev`` /
``--test`` / ``--heldout``), else from the dataset registry for a known training split
(:func:`find_eval_splits`); :func:`load_heldout` reads them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hilgen_graph.corpus.records import Sentence
from hilgen_graph.graph.normalize import normalize
from hilgen_graph.settings import data_dir


class GuardReason:
    LEAKAGE = "identical to a dev/test sentence"
    DUPLICATE = "exact duplicate"
    SAME_AS_GOLD = "identical to a gold training sentence"


def sentence_key(tokens: Iterable[str]) -> str:
    return normalize(" ".join(tokens))


@dataclass(frozen=True)
class HeldoutIndex:
    """Held-out (dev/test) sentences and entity strings a synthetic corpus must not leak."""

    keys: dict[str, str] = field(default_factory=dict)  # sentence_key -> held-out sentence id
    entity_strings: frozenset[str] = frozenset()
    files: tuple[str, ...] = ()

    @classmethod
    def from_sentences(
        cls, sentences: Iterable[Sentence], files: Sequence[str] = ()
    ) -> HeldoutIndex:
        keys: dict[str, str] = {}
        ents: set[str] = set()
        for s in sentences:
            key = sentence_key(s.words)
            if key:
                keys.setdefault(key, s.id)
            ents.update(n for n in (normalize(e.text) for e in s.entities) if n)
        return cls(keys, frozenset(ents), tuple(files))

    @property
    def sentences(self) -> frozenset[str]:
        return frozenset(self.keys)

    def find(self, text: str) -> str | None:
        """The id of the held-out sentence with the same normalised text, if any."""
        return self.keys.get(normalize(text))

    def find_tokens(self, tokens: Iterable[str]) -> str | None:
        return self.keys.get(sentence_key(tokens))

    def __len__(self) -> int:
        return len(self.keys)


EvalSets = HeldoutIndex  # the name the KG arm used


def load_heldout(
    paths: Sequence[str | Path], *, format: str | None = None, collapse_to: str | None = None
) -> HeldoutIndex:
    """The held-out index of dev/test files (format detected when ``None``)."""
    from hilgen_graph.corpus.load import load_corpus

    sentences: list[Sentence] = []
    for p in paths:
        sentences.extend(load_corpus(p, format, collapse_to=collapse_to).sentences)
    return HeldoutIndex.from_sentences(sentences, [str(p) for p in paths])


def heldout_paths(
    corpus: str | Path, dev: str | Path | None = None, test: str | Path | None = None
) -> list[Path]:
    """The held-out files for a training file: ``dev``/``test`` when given, else the dataset
    registry's dev and test splits of the same dataset and form (none for other files)."""
    given = [Path(p) for p in (dev, test) if p is not None]
    if given:
        return given
    return list(find_eval_splits(corpus).values())


def find_eval_splits(corpus_path: str | Path, root: Path | None = None) -> dict[str, Path]:
    """For a file that is a known dataset split (e.g. NCBI-disease train), its dev and test
    files in the same form; ``{}`` for other files."""
    from hilgen_graph.datasets import SOURCES

    base = root or data_dir()
    try:
        target = Path(corpus_path).resolve()
    except OSError:
        return {}
    for source in SOURCES.values():
        for (split, form), rel in source.splits.items():
            if (base / rel).resolve() != target:
                continue
            found: dict[str, Path] = {}
            for other in ("dev", "test"):
                if other == split:
                    continue
                other_rel = source.splits.get((other, form))
                if other_rel is not None and (base / other_rel).is_file():
                    found[other] = base / other_rel
            return found
    return {}


@dataclass
class LayerCounts:
    """Per layer: sentences made (substitutions tried), kept (written), dropped and why."""

    made: int = 0
    kept: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    flagged_leakage: int = 0  # identical to dev/test (dropped unless the guard keeps them)
    entity_strings_in_eval: int = 0  # synthetic entity strings also in dev/test (kept)
    related: int = 0  # related names found for this layer
    filtered: Counter[str] = field(default_factory=Counter)  # related concepts/names not used
    linked_entities: int = 0  # linked gold entities with at least one sentence in this layer
    unlinked_entities: int = 0  # gold entities that could not be linked (none in any layer)

    def as_dict(self) -> dict[str, Any]:
        return {
            "made": self.made,
            "kept": self.kept,
            "dropped": sum(self.dropped.values()),
            "dropped_by_reason": dict(sorted(self.dropped.items())),
            "flagged_leakage": self.flagged_leakage,
            "entity_strings_in_eval": self.entity_strings_in_eval,
            "related": self.related,
            "filtered_by_reason": dict(sorted(self.filtered.items())),
            "linked_entities": self.linked_entities,
            "unlinked_entities": self.unlinked_entities,
        }


class Guard:
    """Decides per synthetic sentence whether it is kept, and counts per layer."""

    def __init__(
        self,
        eval_sets: HeldoutIndex | None = None,
        gold: Iterable[Sentence] = (),
        *,
        drop_leakage: bool = True,
    ) -> None:
        self.eval_sets = eval_sets or HeldoutIndex()
        self.drop_leakage = drop_leakage
        self._gold = {sentence_key(s.words) for s in gold}
        self._seen: set[tuple[tuple[str, ...], tuple[str, ...]]] = set()

    def admit(
        self,
        counts: LayerCounts,
        tokens: Sequence[str],
        tags: Sequence[str],
        entity_text: str,
    ) -> bool:
        """Count one made sentence in ``counts``; True when it is to be kept."""
        counts.made += 1
        key = sentence_key(tokens)
        if key in self.eval_sets.keys:
            counts.flagged_leakage += 1
            if self.drop_leakage:
                counts.dropped[GuardReason.LEAKAGE] += 1
                return False
        if key in self._gold:
            counts.dropped[GuardReason.SAME_AS_GOLD] += 1
            return False
        ident = (tuple(tokens), tuple(tags))
        if ident in self._seen:
            counts.dropped[GuardReason.DUPLICATE] += 1
            return False
        self._seen.add(ident)
        if normalize(entity_text) in self.eval_sets.entity_strings:
            counts.entity_strings_in_eval += 1
        counts.kept += 1
        return True

    @staticmethod
    def reject(counts: LayerCounts, reason: str) -> None:
        """Count a substitution that produced no sentence (e.g. a name with no tokens)."""
        counts.made += 1
        counts.dropped[reason] += 1
