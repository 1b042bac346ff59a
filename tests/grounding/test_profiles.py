"""Label profiles from evidence: the registry, the user's mapping, or the semantic types of the
label's mentions linked by corpus id or name; a label without a profile is never matched
approximately and never expanded."""

from __future__ import annotations

import pytest

from hilgen_graph.corpus.records import Entity, Sentence
from hilgen_graph.errors import ConfigError
from hilgen_graph.graph.store import GraphStore
from hilgen_graph.grounding.grounder import Grounder
from hilgen_graph.grounding.label_groups import parse_label_groups
from hilgen_graph.grounding.layers import Expander
from hilgen_graph.grounding.linker import Linker, LinkMethod
from hilgen_graph.grounding.records import ProfileSource
from hilgen_graph.grounding.term_index import TermIndex

VARIANT = "-4825 gene insertion/deletion"


def _sentence(sid: str, text: str, mention: str, label: str, ids: tuple[str, ...] = ()) -> Sentence:
    start = text.index(mention)
    ent = Entity(start, start + len(mention), mention, label, ids)
    return Sentence(sid, sid, text, (), (ent,))


def test_parse_label_groups() -> None:
    assert parse_label_groups(["Gene=GENE,CHEM", "Disease=DISO"]) == {
        "Gene": ("GENE", "CHEM"),
        "Disease": ("DISO",),
    }
    assert parse_label_groups({"Organism": ["LIVB"]}) == {"Organism": ("LIVB",)}
    with pytest.raises(ConfigError, match="LABEL=GROUP"):
        parse_label_groups(["Disease"])


def test_parse_label_groups_exclusions() -> None:
    assert parse_label_groups(["Chemical=CHEM,-T116"]) == {"Chemical": ("CHEM", "-T116")}
    with pytest.raises(ConfigError, match="'-protein' is not an excluded semantic type"):
        parse_label_groups(["Chemical=CHEM,-protein"])
    with pytest.raises(ConfigError, match="only excluded types"):
        parse_label_groups(["Chemical=-T116"])


def test_excluded_types_keep_concepts_out_of_links_and_layers(free_store: GraphStore) -> None:
    """NF-kappa B carries "Organic Chemical" beside "Amino Acid, Peptide, or Protein" in the
    free store: the CHEM group admits it; ``-T116`` keeps it out, and no layer offers a
    protein for a drug."""
    plain = Linker(free_store)
    narrow = Linker(free_store, label_groups={"Chemical": ("CHEM", "-T116")})
    nfkb, dox = free_store.concept("D016328"), free_store.concept("D004317")
    assert nfkb is not None and dox is not None and "T116" in nfkb.semantic_types
    assert plain.in_profile(nfkb, "Chemical") and not narrow.in_profile(nfkb, "Chemical")
    assert narrow.in_profile(dox, "Chemical")
    prof = narrow.profile("Chemical")
    assert prof.excluded_types == {"T116"} and "without types T116" in prof.describe()
    assert type(prof).from_dict(prof.as_dict()) == prof
    assert "excluded_types" not in plain.profile("Chemical").as_dict()  # older form kept
    for linker in (plain, narrow):
        picked = [
            free_store.concept(r.concept_id)
            for w in Expander(free_store, linker).walk(dox, "Chemical", "doxorubicin")
            for r in w.picked
        ]
        assert picked
        proteins = [c for c in picked if c is not None and "T116" in c.semantic_types]
        assert bool(proteins) == (linker is plain), [c.preferred_name for c in proteins]


def test_registry_user_and_none_profiles(free_store: GraphStore) -> None:
    linker = Linker(free_store, label_groups={"Organism": ("LIVB",)})
    assert linker.profile("Disease").source is ProfileSource.REGISTRY
    assert linker.profile("Disease").groups == {"DISO"}
    assert linker.profile("Organism").source is ProfileSource.USER
    assert linker.profile("T047").groups == {"DISO"}  # a TUI label
    assert not linker.profile("DNAMutation").known


def test_unknown_label_is_not_linked_approximately(
    free_store: GraphStore, free_index: TermIndex
) -> None:
    """The "-4825 gene insertion/deletion" case: on a corpus whose labels the registry does
    not know, string similarity alone once linked a sequence variant to "insertional
    mutagenesis" and expanded it."""
    sent = _sentence("s1", f"The {VARIANT} polymorphism was studied.", VARIANT, "DNAMutation")
    linker = Linker(free_store, index=free_index)
    profiles = linker.learn_profiles([sent])
    assert profiles["DNAMutation"].source is ProfileSource.NONE
    link = linker.link(sent.entities[0], sent.id)
    assert link.method is LinkMethod.UNLINKED
    assert "no profile" in link.reason and "not matched approximately" in link.reason
    # the approximate stage runs once the label has a profile (a spelling variant links) ...
    mapped = Linker(free_store, index=free_index, label_groups={"DNAMutation": ("PHYS",)})
    typo = Entity(0, 26, "insertion deletion mutaton", "DNAMutation")  # a typo
    hit = mapped.link(typo)
    assert hit.method is LinkMethod.APPROXIMATE and hit.concepts[0].id == "D054643"  # INDEL
    # ... but never to a term that drops the variant's words ("gene insertion")
    variant = mapped.link(sent.entities[0], sent.id)
    assert not variant.linked
    assert any(c.concept_id == "D016254" for c in variant.candidates)  # seen, not taken


def test_evidence_profile_from_exact_links_keeps_other_types_out(
    free_store: GraphStore, free_index: TermIndex
) -> None:
    """An "organism" label learns its types from the sample ("mice" -> Mammal); "patients"
    (Population Group) is then outside it, and so are population groups in its walk."""
    mice = _sentence("s1", "Treated mice developed tumours.", "mice", "Organism")
    linker = Linker(free_store, index=free_index)
    prof = linker.learn_profiles([mice])["Organism"]
    assert prof.source is ProfileSource.EVIDENCE and prof.types == {"T015"}
    assert prof.evidence == ("D051379",)
    patients = _sentence("s2", "Most patients recovered quickly.", "patients", "Organism")
    link = linker.link(patients.entities[0], patients.id)
    assert not link.linked
    assert any(c.concept_id == "D010361" and not c.fits_profile for c in link.candidates)
    d_mice = free_store.concept("D051379")
    assert d_mice is not None
    walks = Expander(free_store, linker).walk(d_mice, "Organism", "mice")
    picked = [r for w in walks for r in w.picked]
    assert picked  # the label is expanded, inside its profile only
    for r in picked:
        c = free_store.concept(r.concept_id)
        assert c is not None and "T015" in c.semantic_types


def test_corpus_id_evidence_and_grounder(free_store: GraphStore) -> None:
    sent = _sentence(
        "s1", "Huntington disease is inherited.", "Huntington disease", "Trait", ("MESH:D006816",)
    )
    g = Grounder.for_store(free_store)
    prof = g.learn([sent])["Trait"]
    assert prof.source is ProfileSource.EVIDENCE and prof.evidence == ("D006816",)
    concept = g.concept_of(sent.entities[0])
    assert concept is not None and concept.id == "D006816"
    related = g.related(concept, "Trait", "Huntington disease", ["parents", "siblings"], 6)
    assert related and all(", " not in r.name for r in related)
    assert all(r.source_concept_id == "D006816" and r.relation_path for r in related)


@pytest.mark.parametrize(
    ("mention", "ids", "wrong"),
    [("Pendred syndrome", ("C536648",), "D013577"), ("C7 deficiency", ("OMIM:610102",), "D013734")],
)
def test_approximate_link_never_drops_or_changes_a_word(
    free_store: GraphStore,
    free_index: TermIndex,
    mention: str,
    ids: tuple[str, ...],
    wrong: str,
) -> None:
    """NCBI mentions whose ids the graph lacks once linked to MeSH "Syndrome" and to
    "Androgen-Insensitivity Syndrome" ("AR deficiency") and were expanded from there."""
    sent = _sentence("s1", f"{mention} is a disorder.", mention, "SpecificDisease", ids)
    link = Linker(free_store, index=free_index).link(sent.entities[0], sent.id)
    assert all(c.id != wrong for c in link.concepts)
    assert any(c.concept_id == wrong for c in link.candidates)  # seen, not taken
