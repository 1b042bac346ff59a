"""The GraphStore contract: every backend gives these answers on the fixture graph."""

from __future__ import annotations

import networkx as nx
import pytest
from tests.graph.fixture_graph import (
    CONCEPTS,
    SOURCES,
    TERMS,
    XREFS,
    expected_children,
    expected_parents,
    expected_same_type_candidates,
)

from hilgen_graph.graph.records import Concept, GraphStats, SemanticType
from hilgen_graph.graph.store import GraphStore, sample_key, sample_offset


def ids(concepts: list[Concept]) -> list[str]:
    return [c.id for c in concepts]


def test_implements_the_protocol(graph_store: GraphStore) -> None:
    assert isinstance(graph_store, GraphStore)


def test_stats_count_distinct_records_and_drop_dangling_edges(graph_store: GraphStore) -> None:
    stats = graph_store.stats()
    assert isinstance(stats, GraphStats)
    distinct_terms = {(c, t, s, tty) for c, t, s, tty, _ in TERMS}
    assert stats.as_dict() == {
        "concepts": len(CONCEPTS),
        "terms": len(distinct_terms),
        "isa": 12,  # 12 distinct (child, parent, source); the repeat and C999 -> C001 are gone
        "semantic_types": 4,
        "sources": SOURCES,
    }


@pytest.mark.parametrize("cid", sorted(CONCEPTS))
def test_concept_names_are_verbatim(graph_store: GraphStore, cid: str) -> None:
    name, tuis = CONCEPTS[cid]
    assert graph_store.concept(cid) == Concept(cid, name, tuple(sorted(tuis)))


def test_unknown_concept_gives_none_and_empty_lists(graph_store: GraphStore) -> None:
    assert graph_store.concept("C999") is None
    assert graph_store.synonyms("C999") == []
    assert graph_store.parents("C999") == []
    assert graph_store.children("C999") == []
    assert graph_store.siblings("C999") == []
    assert graph_store.ancestors("C999", 3) == []
    assert graph_store.same_semantic_type("C999") == []
    assert graph_store.neighbourhood("C999").number_of_nodes() == 0


def test_semantic_type(graph_store: GraphStore) -> None:
    assert graph_store.semantic_type("T191") == SemanticType("T191", "Neoplastic Process", "DISO")
    assert graph_store.semantic_type("T033") == SemanticType("T033", "Finding", "DISO")
    assert graph_store.semantic_type("T000") is None


def test_synonyms_preferred_first_then_by_text_and_deduplicated(graph_store: GraphStore) -> None:
    terms = graph_store.synonyms("C003")
    assert [(t.text, t.source, t.term_type, t.is_preferred) for t in terms] == [
        ("Hypertension", "MSH", "PT", True),
        ("HTN", "SNOMEDCT_US", "SY", False),
        ("High blood pressure", "MSH", "ET", False),
        ("Hypertensive disease", "SNOMEDCT_US", "PT", False),
    ]
    assert all(t.concept_id == "C003" for t in terms)
    assert terms[2].normalized == "high blood pressure"


def test_synonyms_keep_backslashes(graph_store: GraphStore) -> None:
    texts = {(t.text, t.source) for t in graph_store.synonyms("C007")}
    assert texts == {("back\\slash disease \\n", "MSH"), ("back\\slash disease \\n", "SNOMEDCT_US")}


@pytest.mark.parametrize("cid", sorted(CONCEPTS))
@pytest.mark.parametrize("source", [None, "MSH", "SNOMEDCT_US"])
def test_parents_and_children(graph_store: GraphStore, cid: str, source: str | None) -> None:
    assert ids(graph_store.parents(cid, source)) == expected_parents(cid, source)
    assert ids(graph_store.children(cid, source)) == expected_children(cid, source)


def test_parents_carry_names_and_types(graph_store: GraphStore) -> None:
    assert graph_store.parents("C004") == [Concept("C003", "Hypertension", ("T047",))]


def test_siblings_exclude_self_and_dedupe(graph_store: GraphStore) -> None:
    # C005 is a child of C003 (MSH) and of C002 (SNOMEDCT_US).
    assert ids(graph_store.siblings("C005")) == ["C003", "C004", "C006", "C007", "C009"]
    assert ids(graph_store.siblings("C005", source="MSH")) == ["C004"]
    assert ids(graph_store.siblings("C005", source="SNOMEDCT_US")) == ["C003"]
    assert ids(graph_store.siblings("C005", limit=2)) == ["C003", "C004"]
    assert graph_store.siblings("C005", limit=0) == []
    assert graph_store.siblings("C001") == []


def test_ancestors_nearest_first(graph_store: GraphStore) -> None:
    assert ids(graph_store.ancestors("C004", 1)) == ["C003"]
    assert ids(graph_store.ancestors("C004", 2)) == ["C003", "C002"]
    assert ids(graph_store.ancestors("C004", 5)) == ["C003", "C002", "C001"]
    # C005 reaches C002 in one hop (SNOMEDCT_US) and in two (via C003): one hop counts.
    assert ids(graph_store.ancestors("C005", 3)) == ["C002", "C003", "C001"]


def test_lookup_exact_then_normalised(graph_store: GraphStore) -> None:
    assert ids(graph_store.lookup("Hypertension")) == ["C003"]
    assert ids(graph_store.lookup("HYPERTENSION!")) == ["C003"]
    assert ids(graph_store.lookup("high-blood pressure")) == ["C003"]
    assert ids(graph_store.lookup("MATCH (n) DETACH DELETE n")) == ["C006", "C008"]
    assert ids(graph_store.lookup('O\'Brien "quoted" syndrome')) == ["C006"]
    assert ids(graph_store.lookup("Meniere's disease - unicode")) == ["C009"]
    assert ids(graph_store.lookup("`backtick` {brace} $param")) == ["C011"]
    assert graph_store.lookup("no such thing") == []
    assert graph_store.lookup("!!!") == []


def test_the_graph_survives_injection_like_names(graph_store: GraphStore) -> None:
    assert graph_store.stats().concepts == len(CONCEPTS)
    assert ids(graph_store.lookup("RETURN 1; DROP DATABASE neo4j //")) == ["C010"]


@pytest.mark.parametrize("cid", ["C003", "C006", "C008", "C012", "C013"])
@pytest.mark.parametrize("seed", [0, 1, 7])
def test_same_semantic_type_follows_the_seeded_rule(
    graph_store: GraphStore, cid: str, seed: int
) -> None:
    offset = sample_offset(seed, cid)
    expected = sorted(expected_same_type_candidates(cid), key=lambda o: sample_key(o, offset))
    assert ids(graph_store.same_semantic_type(cid, limit=3, seed=seed)) == expected[:3]
    assert ids(graph_store.same_semantic_type(cid, limit=100, seed=seed)) == expected


def test_same_semantic_type_depends_on_the_seed(graph_store: GraphStore) -> None:
    orders = {tuple(ids(graph_store.same_semantic_type("C003", 8, seed))) for seed in range(6)}
    assert len(orders) > 1


def test_neighbourhood_graph(graph_store: GraphStore) -> None:
    g = graph_store.neighbourhood("C003", depth=1)
    assert isinstance(g, nx.DiGraph)
    assert sorted(g.nodes) == ["C002", "C003", "C004", "C005", "C006"]
    assert g.nodes["C006"] == {
        "name": 'O\'Brien "quoted" syndrome',
        "semantic_types": ("T047", "T191"),
    }
    assert sorted(g.edges) == [
        ("C003", "C002"),
        ("C004", "C003"),
        ("C005", "C002"),
        ("C005", "C003"),
        ("C006", "C003"),
    ]
    assert g.edges["C003", "C002"]["source"] == "MSH,SNOMEDCT_US"
    deeper = graph_store.neighbourhood("C003", depth=2)
    assert sorted(deeper.nodes) == ["C001", "C002", "C003", "C004", "C005", "C006", "C007", "C009"]
    capped = graph_store.neighbourhood("C003", depth=2, limit=3)
    assert sorted(capped.nodes) == ["C002", "C003", "C004"]


def test_orphan_concept(graph_store: GraphStore) -> None:
    assert graph_store.concept("C013") == Concept("C013", "Orphan concept", ())
    assert graph_store.same_semantic_type("C013") == []
    g = graph_store.neighbourhood("C013", depth=2)
    assert list(g.nodes) == ["C013"] and g.number_of_edges() == 0


def test_xrefs_when_the_backend_has_them(graph_store: GraphStore) -> None:
    xrefs = getattr(graph_store, "xrefs", None)
    if xrefs is None:
        pytest.skip("this backend has no xref queries")
    assert [(x.db, x.code) for x in xrefs("C003")] == sorted(
        (db, code) for c, db, code in XREFS if c == "C003"
    )
    assert ids(graph_store.by_xref("UMLS", "C0020540")) == ["C004"]


def test_term_columns_hold_every_normalised_term_once(graph_store: GraphStore) -> None:
    cids, norms = graph_store.term_columns()
    pairs = sorted(zip(cids.to_pylist(), norms.to_pylist(), strict=True))
    assert len(pairs) == len(set(pairs)) > 0
    expected = {
        (c, t.normalized)
        for c in {p[0] for p in pairs}
        for t in graph_store.synonyms(c)
        if t.normalized
    }
    assert set(pairs) == expected
