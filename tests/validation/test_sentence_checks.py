"""The sentence checks a small model's output needs, on hand-written good and bad sentences."""

from __future__ import annotations

import pytest

from hilgen_graph.corpus.alignment import AlignedSpan, AlignmentIssue
from hilgen_graph.validation.sentence_checks import (
    allowed_repeats,
    boundary_problem,
    example_leak,
    invented_specifics,
    leak_problem,
    number_variants,
    person_names,
    sentence_kind,
    sentence_problem,
    substitution_text,
)

SEED = (
    "The classical form of Coats disease is almost invariably isolated, unilateral and seen in "
    "males."
)


# --- stage `sentence`: exactly one sentence with terminal punctuation ----------------------------
@pytest.mark.parametrize(
    "text",
    [
        "Retinal telangiectasis is almost always unilateral and seen in males.",
        "Is cone dystrophy more common in males than in females?",
        "Mutations were found in two patients (see Fig. 2) with ataxia-telangiectasia.",
        "Smith et al. described cerebellar ataxia in several families.",
        'The disorder was termed "iron overload".',
        "Iron overload, i.e. excess body iron, damages the liver.",
        "The mean age at onset was 4.5 years in patients with Wilms tumor.",
    ],
)
def test_one_sentence_with_terminal_punctuation_passes(text: str) -> None:
    assert sentence_problem(text) == ""


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("Retinal telangiectasis is almost always unilateral and seen in males", "terminal"),
        ("Cone dystrophy is rare. It is seen in males.", "more than one sentence"),
        ("Cone dystrophy is rare! Males are affected.", "more than one sentence"),
        ("Cone dystrophy is rare.\nIt is seen in males.", "more than one line"),
        ("Cone dystrophy is rare and seen in [[males.", "markup"),
        ("Cone dystrophy is seen in males and...", "ellipsis"),
        ("", "empty"),
        ("Cone dystrophy " + "is rare and " * 60 + "seen in males.", "longer than one sentence"),
    ],
)
def test_not_exactly_one_sentence_is_rejected(text: str, why: str) -> None:
    assert why in sentence_problem(text)


def test_the_sentence_stage_measures_a_rewrite_against_its_seed() -> None:
    """NCBI's splitter leaves some seeds without a full stop (a 381-character sentence ending
    "... exhibiting a rhabdoid phenotype"): their faithful rewrites were all rejected."""
    seed = (
        "These results suggest that rhabdoid tumors share pathways of oncogenesis, "
        + "occurring in young children and " * 9
        + "exhibiting a rhabdoid phenotype"
    )
    rewrite = seed.replace("rhabdoid tumors", "rhabdoid sarcomas", 1)
    assert len(seed) > 300 and "terminal" in sentence_problem(rewrite)
    assert sentence_problem(rewrite, seed_text=seed) == ""
    # a long seed's rewrite may be half as long again, not more
    assert sentence_problem(rewrite + " and more words" * 3 + ".", seed_text=seed) == ""
    assert "longer than one sentence" in sentence_problem(seed + " x" * len(seed), seed_text=seed)
    # a punctuated seed still needs a punctuated rewrite; two sentences stay two
    punctuated = "Cone dystrophy is rare in males."
    assert "terminal" in sentence_problem("Cone dystrophy is rare in females", seed_text=punctuated)
    assert "more than one sentence" in sentence_problem(
        "Cone dystrophy is rare. It is seen in males", seed_text=seed
    )


# --- stage `echo`: task wording anywhere in the sentence ------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "Cone dystrophy is almost invariably isolated and seen in males.",
        "Patients received deferoxamine instead of phlebotomy.",  # 'instead of' without a quote
        "The disease was replaced by a milder phenotype in later generations.",
        "Sentences of the patients were not recorded.",
    ],
)
def test_ordinary_sentences_do_not_leak(text: str) -> None:
    assert leak_problem(text) == ""


@pytest.mark.parametrize(
    "text",
    [
        "The seed sentence rewritten with cone dystrophy in place of Coats disease.",
        "In males, the classical form is seen, with 'retinal diseases' instead of 'Coats disease'.",
        "The concept of 'Sphingolipidoses' instead of Gaucher disease is isolated.",
        "This rewrite uses cone dystrophy, which is isolated and unilateral.",
        "Cone dystrophy is seen in males (Sentence 2: unilateral).",
        "Here are the sentences: cone dystrophy is seen in males.",
        "The correlation was significant for the variable (P = Cysts).",
        "A new sentence about cone dystrophy in males.",
    ],
)
def test_instruction_leaks_are_found_anywhere(text: str) -> None:
    assert leak_problem(text) != ""


# --- stage `boundary`: mentions on word boundaries, each written once ----------------------------
def span(text: str, needle: str, label: str = "Disease") -> AlignedSpan:
    i = text.index(needle)
    return AlignedSpan(i, i + len(needle), needle, label, 0, 1)


def test_word_bounded_mentions_pass() -> None:
    text = "Renal cysts and a Cyst of the liver were seen."
    assert boundary_problem(text, [span(text, "Cyst")]) == ""


def test_a_mention_inside_a_word_is_rejected() -> None:
    text = "Renal Cysts were seen in most patients."
    assert "inside a word" in boundary_problem(text, [span(text, "Cyst")])


def test_an_inside_word_issue_from_the_parser_is_rejected() -> None:
    text = "Renal Cysts were seen in most patients."
    issue = AlignmentIssue("inside_word", "Cyst", "Disease", "the mark ends inside 'Cysts'")
    assert "inside a word" in boundary_problem(text, [], [issue])


def test_the_same_mention_twice_is_a_circular_sentence() -> None:
    text = "In males, retinal diseases can be caused by retinal diseases."
    first = span(text, "retinal diseases")
    j = text.rindex("retinal diseases")
    second = AlignedSpan(j, j + 16, "retinal diseases", "Disease", 5, 7)
    assert "2 times" in boundary_problem(text, [first, second])


# --- stage `invented`: numbers, years, percentages, people not in the seed -----------------------
def test_specifics_of_the_seed_or_of_a_name_are_not_invented() -> None:
    seed = "Two of 12 patients with type 2 diabetes carried BRCA1 mutations."
    text = "Two of 12 patients with maturity-onset diabetes carried BRCA1 mutations."
    assert invented_specifics(text, seed) == []
    text2 = "Patients with type 2 diabetes often carry BRCA1 variants."
    assert invented_specifics(text2, seed, [span(text2, "type 2 diabetes")]) == []


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Coats disease was first described in 1908 in young males.", "year 1908"),
        ("About 45% of the patients with cone dystrophy were males.", "percentage 45%"),
        ("Cone dystrophy was seen in 17 patients.", "number 17"),
        ("Cone dystrophy was first described by Dr. John Doe in males.", "person Dr. John Doe"),
        ("Miller et al. reported cone dystrophy in males.", "person Miller et al."),
        ("Jones and colleagues saw cone dystrophy in males.", "person Jones and colleagues"),
    ],
)
def test_invented_specifics_are_found(text: str, kind: str) -> None:
    assert kind in invented_specifics(text, SEED)


def test_person_names_need_a_cue() -> None:
    assert person_names("Gaucher disease is seen in Ashkenazi Jews.") == []


# --- sentence kind: rewrite / new context / the KG arm's substitution ----------------------------
def test_sentence_kind() -> None:
    i = SEED.index("Coats disease")
    subs = substitution_text(SEED, i, i + len("Coats disease"), "cone dystrophy")
    assert subs == SEED.replace("Coats disease", "cone dystrophy")
    assert sentence_kind(subs, SEED, subs) == "substitution"
    rewrite = "Cone dystrophy, in its classical form, is almost always isolated and seen in males."
    assert sentence_kind(rewrite, SEED, subs) == "rewrite"
    new = "Electroretinography is used to diagnose cone dystrophy."
    assert sentence_kind(new, SEED, subs) == "new_context"


def test_a_mention_may_recur_as_often_as_in_the_seed() -> None:
    text = "One more melanoma was found among 28 melanomas analyzed."
    a = span(text, "melanoma")
    j = text.index("melanomas")
    b = AlignedSpan(j, j + 9, "melanomas", "Disease", 7, 8)
    assert "2 times" in boundary_problem(text, [a, b])
    seed = "The same mutation was found in one additional melanoma among 28 melanomas analyzed."
    assert allowed_repeats(["melanoma", "melanomas"], seed) == 2
    assert allowed_repeats(["thrombocytopenia"], "thrombocytopenia and thrombocytopenia.") == 2
    assert allowed_repeats(["melanoma"], "One melanoma was found.") == 1
    assert boundary_problem(text, [a, b], max_repeats=2) == ""


def test_number_variants() -> None:
    assert number_variants("melanoma") == {"melanoma", "melanomas"}
    assert number_variants("foot deformity") == {"foot deformity", "foot deformities"}
    assert "cysts" in number_variants("cyst") and "cyst" in number_variants("cysts")


def test_a_copied_worked_example_is_an_echo() -> None:
    terms = ["BRCA1", "young women", "ovarian cancer"]
    seed = "In Armenian patients, MEFV mutations cause familial Mediterranean fever."
    bad = "Young women with Behcet syndrome develop ovarian cancer."
    assert "young women" in example_leak(bad, seed, terms, ["Behcet syndrome"])
    copied = "Armenian patients with Behcet syndrome develop ovarian cancer."
    assert "ovarian cancer" in example_leak(copied, seed, terms, ["Behcet syndrome"])
    assert example_leak(copied, seed, terms, ["ovarian cancer"]) == ""  # the name asked for
    good = "MEFV mutations cause Behcet syndrome in Armenian patients."
    assert example_leak(good, seed, terms, ["Behcet syndrome"]) == ""
    # a term the seed itself has is not a copy
    assert example_leak("BRCA1 mutations cause gliomas.", "BRCA1 mutations cause X.", terms) == ""
