from __future__ import annotations

from tests.support.kg_fixtures import assert_valid_iob2

from hilgen_graph.corpus.records import Sentence
from hilgen_graph.corpus.tokenize import tokenize
from hilgen_graph.kg_arm.substitution import SubstitutionSkip, substitute


def _multi(sentences: list[Sentence], n: int = 40) -> list[Sentence]:
    found = [s for s in sentences if len(s.entities) >= 2]
    assert len(found) >= n
    return found[:n]


def test_substitution_retags_every_entity_on_real_sentences(ncbi_train: list[Sentence]) -> None:
    for sentence in _multi(ncbi_train):
        for target in sentence.entities:
            res = substitute(sentence, target, "Malignant hypertension (stage II)")
            assert res.value is not None, res.skip
            v = res.value
            assert list(v.tokens) == [t.text for t in tokenize(v.text)]
            assert_valid_iob2(list(v.tags))
            span = v.tags[v.token_start : v.token_end]
            assert span[0] == f"B-{target.label}"
            assert all(t == f"I-{target.label}" for t in span[1:])
            inserted = v.text[v.start : v.end]
            assert inserted.lower() == "malignant hypertension (stage ii)"
            assert list(v.tokens[v.token_start : v.token_end]) == [
                t.text for t in tokenize(inserted)
            ]
            # the other entities keep their text and label, in order
            others = [e for e in sentence.entities if e != target]
            assert sum(t.startswith("B-") for t in v.tags) == len(others) + 1
            shift = len(v.text) - len(sentence.text)
            for e in others:
                start = e.start if e.end <= target.start else e.start + shift
                assert v.text[start : start + (e.end - e.start)] == e.text


def test_entities_glued_to_punctuation_stay_separate(ncbi_train: list[Sentence]) -> None:
    sentence = next(s for s in ncbi_train if s.entities)
    ent = sentence.entities[0]
    res = substitute(sentence, ent, "X-linked")
    assert res.value is not None
    v = res.value
    assert v.tokens[v.token_start : v.token_end] == ("X", "-", "linked")
    assert_valid_iob2(list(v.tags))


def test_sentence_initial_mention_keeps_capital(ncbi_train: list[Sentence]) -> None:
    sentence = next(
        s for s in ncbi_train if s.entities and s.entities[0].start == 0 and s.text[0].isupper()
    )
    res = substitute(sentence, sentence.entities[0], "malignant hypertension")
    assert res.value is not None
    assert res.value.text.startswith("Malignant hypertension")


def test_name_without_tokens_is_refused(ncbi_train: list[Sentence]) -> None:
    sentence = next(s for s in ncbi_train if s.entities)
    for name in ("", "   ", "\t"):
        res = substitute(sentence, sentence.entities[0], name)
        assert res.value is None
        assert res.skip is SubstitutionSkip.EMPTY_NAME


def test_same_name_is_refused(ncbi_train: list[Sentence]) -> None:
    sentence = next(s for s in ncbi_train if s.entities)
    ent = sentence.entities[0]
    assert substitute(sentence, ent, ent.text).skip is SubstitutionSkip.SAME_AS_MENTION


def test_substitution_is_deterministic(ncbi_train: list[Sentence]) -> None:
    sentence = _multi(ncbi_train, 1)[0]
    a = substitute(sentence, sentence.entities[1], "renal hypertension")
    b = substitute(sentence, sentence.entities[1], "renal hypertension")
    assert a == b
