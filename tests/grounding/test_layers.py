from __future__ import annotations

import pytest

from hilgen_graph.errors import ExpansionError
from hilgen_graph.graph.store import GraphStore
from hilgen_graph.grounding.layers import (
    LAYERS,
    DropReason,
    Expander,
    Filter,
    LayerConfig,
    check_store_supports,
    parse_layers,
    preset,
)
from hilgen_graph.grounding.linker import Linker
from hilgen_graph.grounding.records import Excluded, LayerWalk


def _expander(store: GraphStore, **cfg: object) -> Expander:
    return Expander(store, Linker(store), LayerConfig(**cfg))  # type: ignore[arg-type]


def _concept(store: GraphStore, cid: str):  # type: ignore[no-untyped-def]
    c = store.concept(cid)
    assert c is not None
    return c


def test_parse_layers() -> None:
    assert parse_layers("synonyms, parents") == ("synonyms", "parents")
    assert parse_layers(list(LAYERS)) == LAYERS
    with pytest.raises(ExpansionError, match="unknown layer.*'cousins'.*allowed: synonyms"):
        parse_layers("synonyms,cousins")
    with pytest.raises(ExpansionError, match="no layers"):
        parse_layers(" , ")


def test_synonyms_are_clean_distinct_and_true_synonyms(small_store: GraphStore) -> None:
    ex = _expander(small_store)
    res = ex.synonyms(_concept(small_store, "D003"), "Disease", "hypertension")
    assert [r.name for r in res.related] == ["high blood pressure"]
    assert res.dropped[DropReason.SAME_AS_MENTION] == 1
    assert res.dropped[DropReason.DUPLICATE_NAME] == 1  # "Blood Pressure, High"
    assert res.dropped[DropReason.NOT_A_SYNONYM] == 1  # the RELATED term
    r = res.related[0]
    assert r.relation_path == ("D003", "HAS_TERM", "High Blood Pressure")
    assert r.knowledge_source == "MSH"


def test_names_unusable_in_a_sentence_are_dropped(small_store: GraphStore) -> None:
    ex = _expander(small_store)
    res = ex.synonyms(_concept(small_store, "D007"), "Disease", "aneurysms")
    assert [r.name for r in res.related] == ["aneurysm"]
    assert res.dropped[DropReason.UNUSABLE_NAME] == 1


def test_children_use_natural_names(small_store: GraphStore) -> None:
    res = _expander(small_store).children(_concept(small_store, "D003"), "Disease", "HT")
    assert sorted(r.name for r in res.related) == ["malignant hypertension"]
    assert {r.relation_path[1] for r in res.related} == {"HAS_CHILD"}
    # "Hypertension, Renal" has no natural term of the same words: excluded, never reordered
    assert Excluded("D005", "Hypertension, Renal", Filter.NO_NATURAL_NAME) in res.excluded
    assert all(r.name != "renal hypertension" for r in res.picked)


def test_over_general_parents_are_skipped(small_store: GraphStore) -> None:
    d002 = _concept(small_store, "D002")
    assert _expander(small_store).parents(d002, "Disease", "x").related == ()
    keep = _expander(small_store, min_parent_depth=0).parents(d002, "Disease", "x")
    assert [r.concept_id for r in keep.related] == ["D001"]
    d003 = _concept(small_store, "D003")
    assert [r.concept_id for r in _expander(small_store).parents(d003, "Disease", "x").related] == [
        "D002"
    ]
    few = _expander(small_store, max_parent_descendants=3).parents(d003, "Disease", "x")
    assert few.related == () and few.dropped[DropReason.OVER_GENERAL] == 1


def test_siblings_filter_group_and_cap_fanout(small_store: GraphStore) -> None:
    d003 = _concept(small_store, "D003")
    res = _expander(small_store).siblings(d003, "Disease", "hypertension")
    assert [r.concept_id for r in res.related] == ["D006", "D007"]  # D008 is anatomy
    assert res.dropped[Filter.OUTSIDE_PROFILE] == 1
    assert [e.concept_id for e in res.excluded if e.filter == Filter.OUTSIDE_PROFILE] == ["D008"]
    assert res.related[0].relation_path == ("D003", "ISA", "D002", "HAS_CHILD", "D006")
    anyg = _expander(small_store, keep_label_group=False).siblings(d003, "Disease", "h")
    assert [r.concept_id for r in anyg.related] == ["D006", "D007", "D008"]
    capped = _expander(small_store, sibling_fanout=1).siblings(d003, "Disease", "h")
    assert [r.concept_id for r in capped.related] == ["D006"]
    assert capped.dropped[DropReason.FANOUT] == 2


def test_top_k_is_a_seeded_sample(free_store: GraphStore) -> None:
    hyp = _concept(free_store, "D006973")
    a = _expander(free_store, top_k=3, seed=1).siblings(hyp, "Disease", "hypertension")
    b = _expander(free_store, top_k=3, seed=1).siblings(hyp, "Disease", "hypertension")
    c = _expander(free_store, top_k=3, seed=2).siblings(hyp, "Disease", "hypertension")
    assert a.related == b.related and len(a.related) == 3
    assert [r.concept_id for r in a.related] != [r.concept_id for r in c.related]
    assert a.dropped[DropReason.NOT_SAMPLED] > 0


def test_real_hierarchy_of_hypertension(free_store: GraphStore) -> None:
    ex = _expander(free_store, top_k=50)
    hyp = _concept(free_store, "D006973")
    parents = ex.parents(hyp, "Disease", "hypertension").related
    assert [(r.concept_id, r.name) for r in parents] == [("D014652", "vascular diseases")]
    assert parents[0].knowledge_source == "MSH"
    children = {r.name for r in ex.children(hyp, "Disease", "hypertension").related}
    assert "malignant hypertension" in children
    same = ex.semantic_type(hyp, "Disease", "hypertension").related
    assert same and all(r.concept_id != "D006973" for r in same)
    assert all(r.relation_path[1:3] == ("HAS_TYPE", "T047") for r in same)


def test_exact_semantic_type_keeps_proteins_away_from_a_drug(free_store: GraphStore) -> None:
    """MeSH puts NF-kappa B under Macromolecular Substances (D05, approximated as "Organic
    Chemical") and under Proteins (D12): it shares a type with doxorubicin, not its types."""
    dox = _concept(free_store, "D004317")
    assert set(dox.semantic_types) == {"T109"}
    shared = _expander(free_store, top_k=10, seed=1).semantic_type(dox, "Chemical", "doxorubicin")
    exact = _expander(free_store, top_k=10, seed=1, semantic_type_match="exact").semantic_type(
        dox, "Chemical", "doxorubicin"
    )
    types = {
        r.concept_id: set(_concept(free_store, r.concept_id).semantic_types) for r in shared.related
    }
    assert any(t != {"T109"} for t in types.values())  # the shared match mixes in other types
    assert len(exact.related) == 10
    assert all(
        set(_concept(free_store, r.concept_id).semantic_types) == {"T109"} for r in exact.related
    )
    assert exact.dropped[Filter.OTHER_TYPES] > 0
    with pytest.raises(ExpansionError, match="semantic_type_match.*'close'"):
        LayerConfig(semantic_type_match="close")


def test_store_without_isa_is_refused(flat_store: GraphStore) -> None:
    check_store_supports(flat_store, ("synonyms", "semantic_type"), LayerConfig())
    with pytest.raises(ExpansionError, match="no is-a edges.*parents.*allowed without them"):
        check_store_supports(flat_store, ("synonyms", "parents"), LayerConfig())


def test_paper_code_preset(small_store: GraphStore) -> None:
    with pytest.raises(ExpansionError, match="SNOMEDCT_US.*MSH"):
        check_store_supports(small_store, ("parents",), preset("paper-code"))
    cfg = preset("paper-code", isa_source="MSH", top_k=2)
    check_store_supports(small_store, ("parents",), cfg)
    ex = Expander(small_store, Linker(small_store), cfg)
    d003 = _concept(small_store, "D003")
    parents = ex.parents(d003, "Disease", "hypertension").related
    children = ex.children(d003, "Disease", "hypertension").related
    assert [r.name for r in parents] == ["Vascular Diseases"]  # names verbatim
    assert len(parents) + len(children) == 2  # parents then children, top_k in total
    sibs = ex.siblings(d003, "Disease", "hypertension").related
    ids = {r.concept_id for r in sibs}
    assert len(ids) == 2 and ids <= {"D006", "D007", "D008"}  # no group filter, top-2 sample
    with pytest.raises(ExpansionError, match="unknown preset 'paper'.*paper-code"):
        preset("paper")


def test_walk_records_picked_and_excluded_with_provenance(small_store: GraphStore) -> None:
    d003 = _concept(small_store, "D003")
    walks = _expander(small_store).walk(d003, "Disease", "hypertension", ["siblings", "parents"])
    assert [w.layer for w in walks] == ["siblings", "parents"]
    assert all(isinstance(w, LayerWalk) and w.source_concept_id == "D003" for w in walks)
    sib = walks[0].picked[0]
    assert (sib.layer, sib.source_concept_id, sib.knowledge_source) == ("siblings", "D003", "MSH")
    assert "label profile" in sib.decisions
    assert walks[0].as_dict()["excluded"][0]["filter"] == Filter.OUTSIDE_PROFILE


def test_label_without_profile_is_not_expanded(small_store: GraphStore) -> None:
    """A label neither the registry, the user nor the evidence knows: no related concepts."""
    d003 = _concept(small_store, "D003")
    walk = _expander(small_store).layer("children", d003, "SequenceVariant", "x")
    assert walk.picked == ()
    assert [e.filter for e in walk.excluded] == [Filter.NO_PROFILE]


def test_synonyms_skip_machine_made_permutations(free_store: GraphStore) -> None:
    """MeSH PM terms ("Polyposis Colus", "Immunodeficiency 2s") are no editor's synonyms."""
    for cid, mention, bad in [
        ("D011125", "familial adenomatous polyposis", "polyposis colus"),
        ("D014923", "Wiskott-Aldrich syndrome", "immunodeficiency 2s"),
    ]:
        walk = _expander(free_store, top_k=50).synonyms(
            _concept(free_store, cid), "Disease", mention
        )
        assert walk.picked and bad not in {r.name for r in walk.picked}
        assert walk.dropped[Filter.MACHINE_TERM] > 0


def test_number_agreement_keeps_class_names_away_from_a_drug(free_store: GraphStore) -> None:
    """Doxorubicin's same-type concepts, siblings and parents in MeSH include classes in the
    plural ("anthracyclines"); with number agreement a singular mention gets singular names only."""
    from hilgen_graph.grounding.names import grammatical_number

    dox = _concept(free_store, "D004317")
    layers = ("semantic_type", "siblings", "parents")
    plain = _expander(free_store, top_k=10, seed=1)
    agree = _expander(free_store, top_k=10, seed=1, number_agreement=True)
    plain_names = [
        r.name for x in layers for r in plain.layer(x, dox, "Chemical", "doxorubicin").related
    ]
    walks = [agree.layer(x, dox, "Chemical", "doxorubicin") for x in layers]
    names = [r.name for w in walks for r in w.related]
    assert any(grammatical_number(n) == "plural" for n in plain_names)
    assert names and all(grammatical_number(n) == "singular" for n in names)
    assert sum(w.dropped[Filter.OTHER_NUMBER] for w in walks) > 0
    # a plural mention keeps plural names only
    plural = agree.semantic_type(dox, "Chemical", "anthracyclines")
    assert all(grammatical_number(r.name) == "plural" for r in plural.related)
