from __future__ import annotations

import re

import pytest

from hilgen_graph.corpus.records import Entity, Sentence
from hilgen_graph.corpus.sampling import sample_kshot, select
from hilgen_graph.graph.store import GraphStore
from hilgen_graph.grounding.linker import Linker, LinkMethod, parse_corpus_id
from hilgen_graph.grounding.term_index import TermIndex

MESH_DESCRIPTOR = re.compile(r"^(MESH:)?D\d{6}(\d{3})?$")


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        ("D006973", ("MSH", "D006973")),
        ("MESH:D006973", ("MSH", "D006973")),
        ("MeSH:D006973", ("MSH", "D006973")),
        (" D006973", ("MSH", "D006973")),  # the stray space of one NCBI id
        ("C538265", ("MSH", "C538265")),  # MeSH supplementary record
        ("C000656484", ("MSH", "C000656484")),
        ("C0020538", ("UMLS", "C0020538")),  # UMLS CUI: C + 7 digits
        ("UMLS:C0020538", ("UMLS", "C0020538")),
        ("OMIM:601665", ("OMIM", "601665")),
        ("601665", ("OMIM", "601665")),
        ("DOID:1324", ("DOID", "1324")),
        ("-1", None),
        ("", None),
    ],
)
def test_parse_corpus_id(raw: str, parsed: tuple[str, str] | None) -> None:
    assert parse_corpus_id(raw) == parsed


def _ent(text: str, label: str, ids: tuple[str, ...] = ()) -> Entity:
    return Entity(0, len(text), text, label, ids)


def test_methods_in_order(small_store: GraphStore) -> None:
    index = TermIndex.build(["D003", "D004"], ["hypertension", "malignant hypertension"])
    linker = Linker(small_store, index=index)
    by_id = linker.link(_ent("blood pressure", "Disease", ("MESH:D003",)))
    assert by_id.method is LinkMethod.CORPUS_ID and by_id.concepts[0].id == "D003"
    exact = linker.link(_ent("Hypertension", "Disease"))
    assert exact.method is LinkMethod.EXACT and exact.concepts[0].id == "D003"
    norm = linker.link(_ent("high-blood pressure", "Disease"))
    assert norm.method is LinkMethod.NORMALIZED and norm.concepts[0].id == "D003"
    approx = linker.link(_ent("malignant hypertensions", "Disease"))
    assert approx.method is LinkMethod.APPROXIMATE and approx.concepts[0].id == "D004"
    assert 0.5 <= approx.score < 1.0


def test_xref_ids_resolve(small_store: GraphStore) -> None:
    link = Linker(small_store).link(_ent("HTN", "Disease", ("UMLS:C0020538",)))
    assert link.method is LinkMethod.CORPUS_ID and link.concepts[0].id == "D003"


def test_label_groups_constrain_string_candidates(small_store: GraphStore) -> None:
    linker = Linker(small_store)
    assert linker.link(_ent("Aspirin", "Chemical")).concepts[0].id == "D009"
    wrong = linker.link(_ent("Aspirin", "Disease"))
    assert wrong.method is LinkMethod.UNLINKED
    assert "'Aspirin'" in wrong.reason and "DISO" in wrong.reason
    custom = Linker(small_store, label_groups={"Disease": ("DISO", "CHEM")})
    assert custom.link(_ent("Aspirin", "Disease")).concepts[0].id == "D009"
    # TUI labels (MedMentions) use the group of that type
    assert Linker(small_store).link(_ent("Kidney", "T023")).concepts[0].id == "D008"


def test_unlinked_entities_are_reported_with_id_and_text(small_store: GraphStore) -> None:
    linker = Linker(small_store)
    s = Sentence("d:0", "d", "Zebra fever.", (), (_ent("Zebra fever", "Disease", ("OMIM:1",)),))
    report = linker.link_sentences([s])
    assert report.by_method["unlinked"] == 1
    entry = report.as_dict()["unlinked_entities"][0]
    assert entry["text"] == "Zebra fever" and entry["corpus_ids"] == ["OMIM:1"]
    assert "OMIM:1 not in the graph" in entry["reason"]
    assert "approximate matching unavailable" in entry["reason"]


def test_every_mesh_descriptor_of_ncbi_5shot_links(
    ncbi_train: list[Sentence], free_store: GraphStore, free_index: TermIndex
) -> None:
    sample = select(ncbi_train, sample_kshot(ncbi_train, 5, 1, "hilgen"))
    report = Linker(free_store, index=free_index).link_sentences(sample)
    with_descriptor = [
        link
        for link in report.links
        if any(MESH_DESCRIPTOR.match(i) for i in link.entity.concept_ids)
    ]
    assert with_descriptor
    for link in with_descriptor:
        assert link.method is LinkMethod.CORPUS_ID, link
        ids = {i.removeprefix("MESH:") for i in link.entity.concept_ids}
        assert {c.id for c in link.concepts} <= ids
    for link in report.unlinked:
        assert link.reason and link.entity.text


def test_every_mesh_descriptor_of_ncbi_train_links(
    ncbi_train: list[Sentence], free_store: GraphStore
) -> None:
    """The whole training split: no mention with a D-id falls back to string matching."""
    linker = Linker(free_store)
    ids = {
        i for s in ncbi_train for e in s.entities for i in e.concept_ids if MESH_DESCRIPTOR.match(i)
    }
    missing = sorted(i for i in ids if not linker.resolve_id(i))
    assert not missing
