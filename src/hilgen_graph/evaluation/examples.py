"""The one record the evaluation code trains and scores on: words with IOB2 tags."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from hilgen_graph.corpus.records import Sentence
from hilgen_graph.synthetic import SyntheticRecord


@dataclass(frozen=True, slots=True)
class TaggedSentence:
    """A sentence as words with one IOB2 tag each; ``source`` says where it came from."""

    id: str
    words: tuple[str, ...]
    tags: tuple[str, ...]
    source: str = "gold"

    def __repr__(self) -> str:
        return f"TaggedSentence({self.id!r}, {len(self.words)} words, source={self.source!r})"

    @classmethod
    def from_sentence(cls, sentence: Sentence, source: str = "gold") -> TaggedSentence:
        return cls(sentence.id, tuple(sentence.words), tuple(sentence.tags), source)

    @classmethod
    def from_synthetic(cls, record: SyntheticRecord) -> TaggedSentence:
        layer = record.provenance.layer
        return cls(
            record.id, tuple(record.tokens), tuple(record.tags), f"{record.provenance.arm}:{layer}"
        )


def entity_types(sentences: Iterable[TaggedSentence]) -> set[str]:
    """The entity types (tag suffixes) used in these sentences."""
    return {t[2:] for s in sentences for t in s.tags if t != "O"}


def tag_sequences(sentences: Sequence[TaggedSentence]) -> list[list[str]]:
    return [list(s.tags) for s in sentences]
