"""Helpers for the knowledge-source tests: fixture folders and the stream-contract checker."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from hilgen_graph.graph.normalize import normalize
from hilgen_graph.graph.records import (
    Concept,
    GraphRecord,
    HasType,
    Isa,
    SemanticType,
    SourceInfo,
    Term,
    Xref,
)

TESTS_DIR = Path(__file__).resolve().parents[1]
RRF_FIXTURES = TESTS_DIR / "fixtures" / "rrf"
LOADER_FIXTURES = Path(__file__).resolve().parent / "fixtures"


@dataclass
class StreamSummary:
    """What a stream yielded, indexed for assertions."""

    records: list[GraphRecord]
    sources: dict[str, str] = field(default_factory=dict)
    concepts: dict[str, Concept] = field(default_factory=dict)
    terms: dict[str, list[Term]] = field(default_factory=dict)
    types: dict[str, SemanticType] = field(default_factory=dict)
    has_types: dict[str, set[str]] = field(default_factory=dict)
    isa: list[Isa] = field(default_factory=list)
    xrefs: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)

    def parents(self, concept_id: str, source: str | None = None) -> set[str]:
        return {
            e.parent
            for e in self.isa
            if e.child == concept_id and (source is None or e.source == source)
        }

    def children(self, concept_id: str, source: str | None = None) -> set[str]:
        return {
            e.child
            for e in self.isa
            if e.parent == concept_id and (source is None or e.source == source)
        }

    def texts(self, concept_id: str) -> set[str]:
        return {t.text for t in self.terms.get(concept_id, [])}


def check_stream_contract(records: Iterable[GraphRecord]) -> StreamSummary:
    """Assert the record contract of graph/records.py and return an index of the stream.

    SourceInfo first; each Concept exactly once; Terms, HasType, Isa and Xref only about
    concepts yielded before them; Term.normalized = normalize(text); no duplicate
    (concept, text, source) term; exactly one preferred term per concept that has terms;
    SemanticType before any HasType that uses it.
    """
    summary = StreamSummary(records=list(records))
    assert summary.records, "the stream is empty"
    assert isinstance(summary.records[0], SourceInfo), "a stream starts with SourceInfo"
    term_keys: set[tuple[str, str, str]] = set()
    header = True
    for rec in summary.records:
        summary.counts[type(rec).__name__] += 1
        if not isinstance(rec, SourceInfo):
            header = False
        elif not header and summary.concepts:
            raise AssertionError(f"{rec} comes after the stream's concepts")
        if isinstance(rec, SourceInfo):
            summary.sources[rec.name] = rec.version
        elif isinstance(rec, SemanticType):
            assert rec.tui not in summary.types, f"semantic type {rec.tui} twice"
            summary.types[rec.tui] = rec
        elif isinstance(rec, Concept):
            assert rec.id not in summary.concepts, f"concept {rec.id} yielded twice"
            assert rec.preferred_name, f"concept {rec.id} has no name"
            summary.concepts[rec.id] = rec
        elif isinstance(rec, Term):
            assert rec.concept_id in summary.concepts, f"term of unknown concept: {rec}"
            assert rec.normalized == normalize(rec.text), rec
            key = (rec.concept_id, rec.text, rec.source)
            assert key not in term_keys, f"duplicate term {key}"
            term_keys.add(key)
            summary.terms.setdefault(rec.concept_id, []).append(rec)
        elif isinstance(rec, HasType):
            assert rec.concept_id in summary.concepts, f"HasType of unknown concept: {rec}"
            assert rec.tui in summary.types, f"HasType before its SemanticType: {rec}"
            summary.has_types.setdefault(rec.concept_id, set()).add(rec.tui)
        elif isinstance(rec, Isa):
            assert rec.child in summary.concepts and rec.parent in summary.concepts, rec
            assert rec.child != rec.parent, rec
            summary.isa.append(rec)
        elif isinstance(rec, Xref):
            assert rec.concept_id in summary.concepts, f"xref of unknown concept: {rec}"
            summary.xrefs.setdefault(rec.concept_id, set()).add((rec.db, rec.code))
        else:  # pragma: no cover - the union is closed
            raise AssertionError(f"unknown record {rec!r}")
    for concept_id, terms in summary.terms.items():
        preferred = [t for t in terms if t.is_preferred]
        assert len(preferred) == 1, f"{concept_id} has {len(preferred)} preferred terms"
    edges = [(e.child, e.parent, e.source) for e in summary.isa]
    assert len(edges) == len(set(edges)), "duplicate is-a edges"
    return summary
