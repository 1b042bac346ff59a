"""Typed records for corpora: documents, sentences (tokens with offsets) and entity spans.

Offsets are 0-based, end-exclusive character offsets. A ``Sentence``'s token and entity offsets are
relative to ``Sentence.text``; a ``Document``'s entity offsets are relative to ``Document.text``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Token:
    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Entity:
    """An entity mention: character span, label and the concept ids the corpus gives it.

    ``concept_ids`` is empty when the corpus gives none (``-1``); composite ids are split.
    ``token_start``/``token_end`` (end-exclusive) are set for entities inside a ``Sentence``.
    """

    start: int
    end: int
    text: str
    label: str
    concept_ids: tuple[str, ...] = ()
    token_start: int = -1
    token_end: int = -1


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence: its id (``doc_id:index`` for PubTator, ``split:index`` for CoNLL)."""

    id: str
    doc_id: str
    text: str
    tokens: tuple[Token, ...]
    entities: tuple[Entity, ...] = ()

    @property
    def words(self) -> list[str]:
        return [t.text for t in self.tokens]

    @property
    def tags(self) -> list[str]:
        """IOB2 tags, one per token."""
        tags = ["O"] * len(self.tokens)
        for ent in self.entities:
            if ent.token_start < 0:
                continue
            tags[ent.token_start] = f"B-{ent.label}"
            for i in range(ent.token_start + 1, ent.token_end):
                tags[i] = f"I-{ent.label}"
        return tags


@dataclass(frozen=True, slots=True)
class Document:
    id: str
    text: str
    entities: tuple[Entity, ...] = ()
    sentences: tuple[Sentence, ...] = ()
    title: str = ""
    relations: tuple[tuple[str, ...], ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Corpus:
    """A named collection of documents (one file or split)."""

    name: str
    documents: tuple[Document, ...]

    @property
    def sentences(self) -> list[Sentence]:
        return [s for d in self.documents for s in d.sentences]
