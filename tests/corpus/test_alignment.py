"""Alignment of exact-text mentions to spans, corpus tokens and IOB2 tags (a pure function)."""

from __future__ import annotations

import pytest
from tests.prompts.llmgen_fixtures import ncbi_sentences

from hilgen_graph.agents.schemas import Mention
from hilgen_graph.corpus.alignment import align, spans_from_tags
from hilgen_graph.corpus.tokenize import tokenize


def M(text: str, label: str = "Disease") -> Mention:
    return Mention(text=text, label=label)


def test_hyphenated_mention_is_one_entity_over_several_tokens() -> None:
    al = align("Prader-Willi syndrome is rare.", [M("Prader-Willi syndrome")])
    assert al.words == ["Prader", "-", "Willi", "syndrome", "is", "rare", "."]
    assert al.tags == ("B-Disease", "I-Disease", "I-Disease", "I-Disease", "O", "O", "O")
    assert al.ok and al.issues == ()
    assert al.spans[0].text == "Prader-Willi syndrome" and al.spans[0].start == 0


def test_every_occurrence_is_labelled() -> None:
    al = align("WAS patients and WAS carriers.", [M("WAS")])
    assert al.tags == ("B-Disease", "O", "O", "B-Disease", "O", "O")


def test_missing_mention_is_fatal() -> None:
    al = align("Ataxia is rare.", [M("ataxia telangiectasia")])
    assert not al.ok
    assert [i.kind for i in al.issues] == ["missing"]
    assert set(al.tags) == {"O"}


def test_same_text_with_two_labels_is_ambiguous() -> None:
    al = align("Cancer risk.", [M("Cancer", "Disease"), M("Cancer", "Chemical")])
    assert not al.ok and al.issues[0].kind == "ambiguous"


def test_nested_mentions_keep_the_longer() -> None:
    al = align("Breast cancer and cancer.", [M("cancer", "Disease"), M("Breast cancer", "Disease")])
    assert al.tags == ("B-Disease", "I-Disease", "O", "B-Disease", "O")
    assert al.ok


def test_overlap_with_another_label_is_reported() -> None:
    al = align("Breast cancer.", [M("Breast", "Anatomy"), M("Breast cancer", "Disease")])
    assert al.tags == ("B-Disease", "I-Disease", "O")
    assert [i.kind for i in al.issues] == ["overlap"]
    assert al.ok  # not fatal: the flat longer span wins


def test_case_insensitive_fallback_takes_the_sentence_spelling() -> None:
    al = align("Iron overload was seen.", [M("iron Overload")])
    assert al.spans[0].text == "Iron overload"
    assert [i.kind for i in al.issues] == ["case"]
    assert al.ok


def test_partial_token_grows_to_token_boundaries() -> None:
    al = align("Lymphomas were seen.", [M("Lymphoma")])
    assert al.tags[0] == "B-Disease"
    assert al.spans[0].text == "Lymphomas"
    assert al.issues[0].kind == "partial_token"


def test_prefers_token_boundary_occurrences() -> None:
    al = align("Anemias and anemia.", [M("anemia")])
    assert al.tags == ("O", "O", "B-Disease", "O")
    assert al.issues == ()


def test_empty_mention_is_missing() -> None:
    assert not align("Text.", [M("  ")]).ok


def test_round_trip_on_real_gold_sentences() -> None:
    """Aligning a gold sentence's own mentions reproduces its IOB2 tags (real NCBI data)."""
    checked = 0
    for sent in list(ncbi_sentences().values())[:400]:
        if not sent.entities:
            continue
        mentions = [Mention(text=e.text, label=e.label) for e in sent.entities]
        al = align(sent.text, mentions)
        texts = [e.text for e in sent.entities]
        repeated = any(sent.text.count(t) > texts.count(t) for t in set(texts))
        nested = any(a != b and a in b for a in texts for b in texts)
        if repeated or nested or not al.ok:
            continue
        if list(al.words) == sent.words:
            assert list(al.tags) == sent.tags, sent.id
            checked += 1
    assert checked > 100


@pytest.mark.parametrize(
    "tags",
    [
        ["B-Disease", "I-Disease", "O", "B-Chemical"],
        ["O", "O", "O", "O"],
        ["B-Disease", "B-Disease", "I-Disease", "O"],
    ],
)
def test_spans_from_tags_inverts_align(tags: list[str]) -> None:
    text = "Iron overload and copper"
    toks = tokenize(text)
    spans = spans_from_tags(text, toks, tags)
    rebuilt = ["O"] * len(toks)
    for s in spans:
        rebuilt[s.token_start] = f"B-{s.label}"
        for i in range(s.token_start + 1, s.token_end):
            rebuilt[i] = f"I-{s.label}"
    assert rebuilt == tags
