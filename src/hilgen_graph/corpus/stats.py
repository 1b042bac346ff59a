"""Corpus statistics: documents, sentences, tokens and entities per label."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from hilgen_graph.corpus.records import Corpus, Sentence


@dataclass(frozen=True, slots=True)
class CorpusStats:
    """Counts of a corpus; ``entities`` counts the mentions as read (document level)."""

    documents: int
    sentences: int
    tokens: int
    entities: dict[str, int] = field(default_factory=dict)
    entities_in_sentences: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "sentences": self.sentences,
            "tokens": self.tokens,
            "entities": dict(self.entities),
            "entities_in_sentences": dict(self.entities_in_sentences),
        }


def _sorted(counter: Counter[str]) -> dict[str, int]:
    return dict(sorted(counter.items()))


def sentence_label_counts(sentences: list[Sentence]) -> dict[str, int]:
    """Entity mentions per label over the sentences (what an IOB file holds)."""
    return _sorted(Counter(e.label for s in sentences for e in s.entities))


def corpus_stats(corpus: Corpus) -> CorpusStats:
    """Count documents, sentences, tokens and entity mentions per label."""
    sentences = corpus.sentences
    return CorpusStats(
        documents=len(corpus.documents),
        sentences=len(sentences),
        tokens=sum(len(s.tokens) for s in sentences),
        entities=_sorted(Counter(e.label for d in corpus.documents for e in d.entities)),
        entities_in_sentences=sentence_label_counts(sentences),
    )
