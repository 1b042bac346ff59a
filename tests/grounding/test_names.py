from __future__ import annotations

import pytest

from hilgen_graph.grounding.names import (
    NameOptions,
    clean_name,
    display_name,
    distinct_display_names,
    is_inverted,
    sentence_case,
    strip_qualifiers,
    uninvert,
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
        ("Tumor (benign)", "Tumor (benign)"),  # not a source qualifier: kept
    ],
)
def test_strip_qualifiers(raw: str, clean: str) -> None:
    assert strip_qualifiers(raw) == clean


@pytest.mark.parametrize(
    ("name", "inverted", "natural"),
    [
        ("Hypertension, Malignant", True, "Malignant Hypertension"),
        ("Carcinoma, Squamous Cell", True, "Squamous Cell Carcinoma"),
        ("Diabetes Mellitus, Type 2", True, "Type 2 Diabetes Mellitus"),
        ("Hypertension", False, "Hypertension"),
        ("1,2-Dichloroethane", False, "1,2-Dichloroethane"),  # comma without space
        ("Pregnancy Complications, Cardiovascular, Other", False, None),  # two commas
        ("Aspirin, (S)-isomer", False, None),  # not plain words
    ],
)
def test_inversion(name: str, inverted: bool, natural: str | None) -> None:
    assert is_inverted(name) is inverted
    assert uninvert(name) == (natural if natural is not None else name)


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


def test_display_name_prefers_natural_entry_term() -> None:
    terms = ["Hypertension, Malignant", "Malignant Hypertension", "Hypertensions, Malignant"]
    assert display_name("Hypertension, Malignant", terms) == "malignant hypertension"


def test_display_name_falls_back_to_mechanical_uninversion() -> None:
    assert display_name("Anemia, Sickle Cell", []) == "sickle cell anemia"


def test_display_name_without_cleaning_keeps_source_name() -> None:
    opts = NameOptions(clean=False)
    assert display_name("Hypertension, Malignant (disorder)", [], opts) == (
        "Hypertension, Malignant (disorder)"
    )
    assert clean_name("Pain, NOS", opts) == "Pain, NOS"


def test_distinct_display_names_collapse_inverted_and_exclude_mention() -> None:
    names = [
        "Hypertension",
        "Blood Pressure, High",
        "High Blood Pressure",
        "High blood pressure",
        "Hypertension, NOS",
    ]
    assert distinct_display_names(names, exclude=["hypertension"]) == ["high blood pressure"]
