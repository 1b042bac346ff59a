from __future__ import annotations

from tests.support.kg_fixtures import assert_valid_iob2

from hilgen_graph.corpus.records import Entity, Sentence
from hilgen_graph.corpus.tokenize import split_tokens_at, tokenize
from hilgen_graph.graph.normalize import normalize
from hilgen_graph.kg_arm.substitution import Mentions, SubstitutionSkip, coreferent, substitute


def _multi(sentences: list[Sentence], n: int = 40) -> list[Sentence]:
    found = [s for s in sentences if len(s.entities) >= 2]
    assert len(found) >= n
    return found[:n]


def _sentence(text: str, spans: list[tuple[str, str, tuple[str, ...]]]) -> Sentence:
    """A sentence with the entities ``(text, label, concept ids)`` at their occurrences in
    order (each mention text is found after the previous one)."""
    entities, pos = [], 0
    for mention, label, ids in spans:
        start = text.index(mention, pos)
        entities.append((start, start + len(mention), mention, label, ids))
        pos = start + len(mention)
    toks = split_tokens_at(tokenize(text), [c for a, b, *_ in entities for c in (a, b)])
    out = []
    for a, b, mention, label, ids in entities:
        inside = [i for i, t in enumerate(toks) if t.start >= a and t.end <= b]
        out.append(Entity(a, b, mention, label, ids, inside[0], inside[-1] + 1))
    return Sentence("doc:0", "doc", text, tuple(toks), tuple(out))


def test_substitution_retags_every_entity_on_real_sentences(ncbi_train: list[Sentence]) -> None:
    for sentence in _multi(ncbi_train):
        for target in sentence.entities:
            res = substitute(
                sentence, target, "Malignant hypertension (stage II)", mentions=Mentions.ONE
            )
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


def test_repeated_mentions_are_replaced_together() -> None:
    s = _sentence(
        "Midazolam reduced pain; after midazolam, aspirin and midazolam were stopped.",
        [
            ("Midazolam", "Chemical", ("D008874",)),
            ("midazolam", "Chemical", ("D008874",)),
            ("aspirin", "Chemical", ("D001241",)),
            ("midazolam", "Chemical", ("D008874",)),
        ],
    )
    res = substitute(s, s.entities[1], "diazepam")
    assert res.value is not None
    v = res.value
    assert v.text == "Diazepam reduced pain; after diazepam, aspirin and diazepam were stopped."
    assert v.replaced == 3 and v.dropped == 0
    assert v.text[v.start : v.end] == "diazepam" and v.start == v.text.index("after") + 6
    assert v.tokens[v.token_start : v.token_end] == ("diazepam",)
    assert [t for t in v.tags if t != "O"] == ["B-Chemical"] * 4
    # one mention alone: the sentence before this fix
    one = substitute(s, s.entities[1], "diazepam", mentions=Mentions.ONE).value
    assert one is not None
    assert one.text == "Midazolam reduced pain; after diazepam, aspirin and midazolam were stopped."


def test_a_parenthesised_abbreviation_goes_with_its_long_form() -> None:
    s = _sentence(
        "Neuroleptic malignant syndrome (NMS) after haloperidol; NMS resolved.",
        [
            ("Neuroleptic malignant syndrome", "Disease", ("D009459",)),
            ("NMS", "Disease", ("D009459",)),
            ("haloperidol", "Chemical", ("D006220",)),
            ("NMS", "Disease", ("D009459",)),
        ],
    )
    for target in (s.entities[0], s.entities[1], s.entities[3]):
        res = substitute(s, target, "malignant hyperthermia")
        assert res.value is not None
        v = res.value
        assert (
            v.text == "Malignant hyperthermia after haloperidol; malignant hyperthermia resolved."
        )
        assert v.replaced == 2 and v.dropped == 1
        assert_valid_iob2(list(v.tags))
        assert v.tags[: v.tokens.index("after")] == ("B-Disease", "I-Disease")
        assert v.tags[v.tokens.index("haloperidol")] == "B-Chemical"
        assert [t for t in v.tags if t.startswith("B-")] == ["B-Disease", "B-Chemical", "B-Disease"]
        assert v.text[v.start : v.end].lower() == "malignant hyperthermia"


def test_coreference_needs_the_label_and_all_the_ids() -> None:
    s = _sentence(
        "Breast and ovarian cancer, ovarian cancer and the Ovarian Cancer gene.",
        [
            ("Breast and ovarian cancer", "Disease", ("D001943", "D010051")),
            ("ovarian cancer", "Disease", ("D010051",)),
            ("Ovarian Cancer", "Gene", ()),
        ],
    )
    assert coreferent(s, s.entities[0]) == (s.entities[0],)
    assert coreferent(s, s.entities[1]) == (s.entities[1],)  # same text, other label
    res = substitute(s, s.entities[1], "ovarian neoplasm")
    assert res.value is not None and res.value.replaced == 1


def test_grouped_substitution_on_real_sentences(ncbi_train: list[Sentence]) -> None:
    """Every mention of a sentence with repeated mentions: no member of its group is left, the
    other entities keep their text and label, and the tags are valid IOB2."""
    grouped = [s for s in ncbi_train if any(len(coreferent(s, e)) > 1 for e in s.entities)][:40]
    assert len(grouped) >= 20
    for sentence in grouped:
        for target in sentence.entities:
            group = coreferent(sentence, target)
            res = substitute(sentence, target, "xylophone syndrome")
            assert res.value is not None, res.skip
            v = res.value
            assert list(v.tokens) == [t.text for t in tokenize(v.text)]
            assert_valid_iob2(list(v.tags))
            assert v.replaced + v.dropped == len(group)
            assert normalize(v.text).count("xylophone syndrome") == v.replaced
            others = [e for e in sentence.entities if e not in group]
            assert sum(t.startswith("B-") for t in v.tags) == len(others) + v.replaced
            for e in others:
                assert e.text in v.text


def test_all_mentions_replaces_every_given_group_with_its_own_name() -> None:
    s = _sentence(
        "Neuroleptic malignant syndrome (NMS) after haloperidol; NMS resolved with dantrolene.",
        [
            ("Neuroleptic malignant syndrome", "Disease", ("D009459",)),
            ("NMS", "Disease", ("D009459",)),
            ("haloperidol", "Chemical", ("D006220",)),
            ("NMS", "Disease", ("D009459",)),
            ("dantrolene", "Chemical", ("D003620",)),
        ],
    )
    halo, dantro = s.entities[2], s.entities[4]
    co = [((halo,), "droperidol"), ((dantro,), "bromocriptine")]
    res = substitute(s, halo, "pimozide", mentions=Mentions.ALL, co=[co[1]])
    assert res.value is not None
    v = res.value
    assert v.text == (
        "Neuroleptic malignant syndrome (NMS) after pimozide; NMS resolved with bromocriptine."
    )
    assert v.co_applied == (0,)
    assert v.text[v.start : v.end] == "pimozide"
    assert [(v.text[a:b], old) for a, b, old in v.inserted] == [
        ("pimozide", "haloperidol"),
        ("bromocriptine", "dantrolene"),
    ]
    assert v.tags[v.tokens.index("bromocriptine")] == "B-Chemical"
    assert v.tags[v.tokens.index("pimozide")] == "B-Chemical"
    # the disease group (with its parenthesised abbreviation) and the other chemical too; the
    # mention's own name is the target span wherever it sits
    res = substitute(s, s.entities[1], "malignant hyperthermia", mentions=Mentions.ALL, co=co)
    assert res.value is not None
    v = res.value
    assert v.text == (
        "Malignant hyperthermia after droperidol; malignant hyperthermia resolved with "
        "bromocriptine."
    )
    assert v.co_applied == (0, 1) and v.replaced == 4 and v.dropped == 1
    assert v.text[v.start : v.end] == "Malignant hyperthermia"
    assert_valid_iob2(list(v.tags))
    assert [t for t in v.tags if t.startswith("B-")] == [
        "B-Disease",
        "B-Chemical",
        "B-Disease",
        "B-Chemical",
    ]
    # without mentions=all the co names are ignored
    group = substitute(s, halo, "pimozide", co=co).value
    assert group is not None and "dantrolene" in group.text and group.co_applied == ()


def test_all_mentions_keeps_a_mention_whose_co_name_is_unusable() -> None:
    s = _sentence(
        "Aspirin and heparin caused bleeding.",
        [
            ("Aspirin", "Chemical", ()),
            ("heparin", "Chemical", ()),
            ("bleeding", "Disease", ()),
        ],
    )
    aspirin, heparin, bleeding = s.entities
    res = substitute(
        s,
        aspirin,
        "warfarin",
        mentions=Mentions.ALL,
        co=[((heparin,), "heparin"), ((bleeding,), "   ")],
    )
    assert res.value is not None
    assert res.value.text == "Warfarin and heparin caused bleeding."
    assert res.value.co_applied == () and res.value.replaced == 1
    # a co group overlapping the mention's own edits cannot be applied consistently
    clash = substitute(s, aspirin, "warfarin", mentions=Mentions.ALL, co=[((aspirin,), "x")])
    assert clash.value is None and clash.skip is SubstitutionSkip.ENTITY_LOST


def test_all_mentions_on_real_sentences(ncbi_train: list[Sentence]) -> None:
    """Every other mention replaced: no gold mention text is left, each new name carries its
    mention's label, the tags are valid IOB2 and match the corpus tokeniser."""
    for sentence in _multi(ncbi_train):
        target = sentence.entities[0]
        group = coreferent(sentence, target)
        co, taken = [], set(group)
        for i, e in enumerate(sentence.entities):
            g = coreferent(sentence, e)
            if not taken & set(g):
                co.append((g, f"zyx syndrome {i}"))
                taken |= set(g)
        res = substitute(sentence, target, "xylophone syndrome", mentions=Mentions.ALL, co=co)
        assert res.value is not None, res.skip
        v = res.value
        assert list(v.tokens) == [t.text for t in tokenize(v.text)]
        assert_valid_iob2(list(v.tags))
        assert v.co_applied == tuple(range(len(co)))
        assert v.replaced + v.dropped == len(sentence.entities)
        assert sum(t.startswith("B-") for t in v.tags) == v.replaced
        names = [v.text[a:b].lower() for a, b, _ in v.inserted]
        assert set(names) == {"xylophone syndrome"} | {n for _, n in co}
