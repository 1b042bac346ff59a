"""The ``free`` preset: MeSH + Disease Ontology + Semantic Network keyed by MeSH id."""

from __future__ import annotations

import re

from tests.graph_loader.stream_contract import StreamSummary


def test_keyed_by_bare_mesh_descriptor_ids(free_stream: StreamSummary) -> None:
    s = free_stream
    assert len(s.concepts) == 30_764
    assert all(re.fullmatch(r"D\d{6,9}", cid) for cid in s.concepts)
    assert set(s.sources) == {"MSH", "DOID", "UMLS_SEMANTIC_NETWORK"}
    assert len(s.types) == 127


def test_hypertension_has_umls_cui_through_disease_ontology(free_stream: StreamSummary) -> None:
    s = free_stream
    refs = s.xrefs["D006973"]
    assert ("UMLS", "C0020538") in refs
    assert ("DOID", "DOID:10763") in refs
    assert ("SNOMEDCT_US", "38341003") in refs
    assert "D014652" in s.parents("D006973", "MSH")
    assert "D006974" in s.children("D006973", "MSH")
    # DO synonyms become extra (never preferred) terms of the MeSH concept
    do_terms = {t.text for t in s.terms["D006973"] if t.source == "DOID"}
    assert {"hypertension", "HTN"} <= do_terms
    assert [t.text for t in s.terms["D006973"] if t.is_preferred] == ["Hypertension"]
    assert s.has_types["D006973"] == {"T047"}


def test_disease_ontology_links(free_stream: StreamSummary) -> None:
    s = free_stream
    with_cui = [cid for cid, refs in s.xrefs.items() if any(db == "UMLS" for db, _ in refs)]
    assert len(with_cui) > 2_000
    do_isa = [e for e in s.isa if e.source == "DOID"]
    assert do_isa and all(re.fullmatch(r"D\d+", e.parent) for e in do_isa)
