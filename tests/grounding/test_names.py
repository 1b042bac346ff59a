from __future__ import annotations

import pytest

from hilgen_graph.graph.store import GraphStore
from hilgen_graph.grounding.names import (
    NameIssue,
    NameOptions,
    display_name,
    distinct_display_names,
    grammatical_number,
    is_inverted,
    natural_term,
    render,
    sentence_case,
    strip_qualifiers,
)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Hypertension, NOS", "Hypertension"),
        ("Pain NOS", "Pain"),
        ("Asthma (disorder)", "Asthma"),
        ("Fever (finding)", "Fever"),
        ("Ulcer (morphologic abnormality)", "Ulcer"),
        ("Hypotension [Ambiguous]", "Hypotension"),
        ("Diabetes mellitus, NOS (disorder)", "Diabetes mellitus"),
        ("Hodgkin disease", "Hodgkin disease"),
        ("Man (Taxonomy)", "Man"),  # a MeSH disambiguation qualifier
        ("Depression (Psychology)", "Depression"),
        ("Tumor (benign)", "Tumor (benign)"),  # not a source qualifier: kept
        ("Maturity-onset diabetes (MODY)", "Maturity-onset diabetes (MODY)"),  # an acronym
    ],
)
def test_strip_qualifiers(raw: str, clean: str) -> None:
    assert strip_qualifiers(raw) == clean


@pytest.mark.parametrize(
    ("name", "inverted"),
    [
        ("Hypertension, Malignant", True),
        ("Infant, Newborn, Diseases", True),
        ("Deafness Permanent", True),  # a MeSH permuted term without its comma
        ("Permanent Deafness", False),
        ("Hypertension", False),
        ("1,2-Dichloroethane", False),  # comma without space
    ],
)
def test_inversion(name: str, inverted: bool) -> None:
    assert is_inverted(name) is inverted


@pytest.mark.parametrize(
    ("name", "cased"),
    [
        ("Malignant Hypertension", "malignant hypertension"),
        ("HIV Infections", "HIV infections"),
        ("BRCA1 Protein", "BRCA1 protein"),
        ("IgA Deficiency", "IgA deficiency"),
        ("Non-Hodgkin Lymphoma", "non-hodgkin lymphoma"),
    ],
)
def test_sentence_case(name: str, cased: str) -> None:
    assert sentence_case(name) == cased


def test_inverted_heading_uses_the_natural_term_of_the_same_words() -> None:
    terms = ["Hypertension, Malignant", "Malignant Hypertension", "Hypertensions, Malignant"]
    assert display_name("Hypertension, Malignant", terms) == "malignant hypertension"
    r = render("Hypertension, Malignant", terms)
    assert r.ok and r.via == "Malignant Hypertension"
    # function words may differ ("of"), content words may not
    assert natural_term("Metal Metabolism, Inborn Errors", ["Inborn Errors of Metal Metabolism"])
    assert natural_term("Metal Metabolism, Inborn Errors", ["metal metabolism disorder"]) is None


@pytest.mark.parametrize(
    "heading",
    ["Metal Metabolism, Inborn Errors", "Infant, Newborn, Diseases", "Anemia, Sickle Cell"],
)
def test_inverted_heading_without_a_natural_term_is_not_rendered(heading: str) -> None:
    """Never reorder words mechanically ("inborn errors metal metabolism"): skip and say why."""
    r = render(heading, [heading, "Neonatal Diseases", "metal metabolism disorder"])
    assert r.name is None and r.issue is NameIssue.INVERTED
    assert display_name(heading, []) is None


def test_permuted_term_without_comma_is_not_rendered_unless_a_natural_twin_exists() -> None:
    terms = ["Deafness", "Deafness Permanent", "Permanent, Deafness", "Acquired Deafness"]
    assert render("Deafness Permanent", terms).issue is NameIssue.INVERTED
    assert render("Permanent, Deafness", terms).issue is NameIssue.INVERTED
    assert display_name("Deafness, Acquired", terms) == "acquired deafness"


def test_unusable_characters_and_empty_names_are_not_rendered() -> None:
    assert render("Smith & Wesson syndrome").issue is NameIssue.UNUSABLE
    assert render("Ca lesser curvature - stomach (disorder)").issue is NameIssue.UNUSABLE
    assert render("beta-thalassemia").ok
    assert render(" (disorder)").issue is NameIssue.EMPTY


def test_display_name_without_cleaning_keeps_source_name() -> None:
    opts = NameOptions(clean=False)
    assert display_name("Hypertension, Malignant (disorder)", [], opts) == (
        "Hypertension, Malignant (disorder)"
    )


def test_distinct_display_names_collapse_inverted_skip_unrenderable_and_exclude_mention() -> None:
    names = [
        "Hypertension",
        "Blood Pressure, High",
        "High Blood Pressure",
        "High blood pressure",
        "Hypertension, NOS",
        "Pressure, Arterial, High",  # no natural term with these words: skipped
    ]
    assert distinct_display_names(names, exclude=["hypertension"]) == ["high blood pressure"]


def test_real_mesh_headings_render_from_the_store(free_store: GraphStore) -> None:
    """The free store's inverted headings: the natural entry term, or not rendered at all."""
    for cid, want in [
        ("D006974", "malignant hypertension"),  # Hypertension, Malignant
        ("D008664", None),  # Metal Metabolism, Inborn Errors: no natural term of the same words
        ("D007232", None),  # Infant, Newborn, Diseases
    ]:
        c = free_store.concept(cid)
        assert c is not None
        terms = [t.text for t in free_store.synonyms(cid)]
        assert display_name(c.preferred_name, terms) == want
    man = [t.text for t in free_store.synonyms("D006801")]
    assert display_name("Man (Taxonomy)", man) == "man"


@pytest.mark.parametrize(
    ("name", "number"),
    [
        ("pyridines", "plural"),
        ("heavy metals", "plural"),
        ("anti-inflammatory agents", "plural"),
        ("arrhythmias", "plural"),
        ("NSAIDs", "plural"),
        ("propofol", "singular"),
        ("diabetes mellitus", "singular"),
        ("diabetes", "singular"),
        ("psoriasis", "singular"),
        ("tetanus", "singular"),
        ("rabies", "singular"),
        ("AIDS", "singular"),
        ("5-FU", "singular"),
        ("K", "singular"),
        ("Parkinson's disease", "singular"),
        ("prostaglandin F2 alpha", "singular"),
        ("", "singular"),
    ],
)
def test_grammatical_number_reads_the_head_word(name: str, number: str) -> None:
    assert grammatical_number(name) == number
