"""The knowledge-graph record model that every source streams and every store consumes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Concept:
    """A concept: UMLS CUI, or a bare MeSH descriptor id (``D006973``) in the ``free`` graph."""

    id: str
    preferred_name: str
    semantic_types: tuple[str, ...] = ()  # TUIs, e.g. ("T047",)


@dataclass(frozen=True, slots=True)
class Term:
    concept_id: str
    text: str
    normalized: str
    source: str  # SAB, e.g. "MSH", "SNOMEDCT_US", "DOID"
    term_type: str = ""  # TTY, e.g. "PT", "SY", "ET"
    is_preferred: bool = False


@dataclass(frozen=True, slots=True)
class SemanticType:
    tui: str
    name: str
    group: str = ""  # semantic group abbreviation, e.g. "DISO", "CHEM"


@dataclass(frozen=True, slots=True)
class HasType:
    """``concept_id`` has semantic type ``tui`` (streams join MRSTY this way, not via Concept)."""

    concept_id: str
    tui: str


@dataclass(frozen=True, slots=True)
class Isa:
    """``child`` is-a ``parent`` according to ``source``."""

    child: str
    parent: str
    source: str


@dataclass(frozen=True, slots=True)
class Xref:
    """A cross-reference from a concept to a code in another vocabulary (UMLS, MSH, SNOMEDCT_US)."""

    concept_id: str
    db: str
    code: str


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """A knowledge source and its version (from MRSAB, an OBO header, or a dataset README)."""

    name: str
    version: str


GraphRecord = Concept | Term | SemanticType | HasType | Isa | Xref | SourceInfo


@dataclass(frozen=True, slots=True)
class TableBlock:
    """Many records of one kind as a ``pyarrow.Table`` whose columns are the record's fields:
    ``table_name`` is ``"concept"`` (id, preferred_name), ``"term"``, ``"xref"``, ``"hastype"``
    (:class:`HasType`) or ``"isa"``. Only a source's ``columnar_records()`` yields these, and
    only the embedded bulk loader asks for them."""

    table_name: str
    table: Any  # pyarrow.Table (kept untyped so this module does not import pyarrow)


@dataclass(frozen=True, slots=True)
class GraphStats:
    concepts: int
    terms: int
    isa: int
    semantic_types: int
    sources: dict[str, str]  # source name -> version

    def as_dict(self) -> dict[str, object]:
        return {
            "concepts": self.concepts,
            "terms": self.terms,
            "isa": self.isa,
            "semantic_types": self.semantic_types,
            "sources": dict(self.sources),
        }
