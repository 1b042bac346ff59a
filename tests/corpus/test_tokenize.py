from pathlib import Path

import pytest

from hilgen_graph.corpus.conll import read_conll
from hilgen_graph.corpus.records import Token
from hilgen_graph.corpus.tokenize import split_sentences, split_tokens_at, tokenize


def test_tokens_carry_exact_offsets() -> None:
    text = "Parkinson's disease after [3H]-naloxone, 5 mg/kg."
    toks = tokenize(text)
    assert [t.text for t in toks] == [
        "Parkinson", "'", "s", "disease", "after", "[", "3H", "]", "-", "naloxone", ",",
        "5", "mg", "/", "kg", ".",
    ]  # fmt: skip
    assert all(text[t.start : t.end] == t.text for t in toks)


def test_offset_shifts_every_token() -> None:
    assert tokenize("a b", offset=10) == [Token("a", 10, 11), Token("b", 12, 13)]


@pytest.mark.parametrize("rel", ["ner/bc5cdr/iob/train.tsv", "ner/ncbi_disease/conll/train.tsv"])
def test_retokenising_published_sentences_gives_their_tokens(data_root: Path, rel: str) -> None:
    # The corpus tokeniser is the published IOB files' tokeniser: other parts rely on it.
    corpus = read_conll(data_root / rel).corpus
    bad = [s.id for s in corpus.sentences if [t.text for t in tokenize(s.text)] != s.words]
    assert bad == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("It fell. Then it rose.", ["It fell.", "Then it rose."]),
        ("In rats, e.g. Wistar rats. They died.", ["In rats, e.g. Wistar rats.", "They died."]),
        ("Smith et al. Reported it. Yes.", ["Smith et al. Reported it.", "Yes."]),
        ("G6PD (EC 1.1. 1. 49) is an enzyme.", ["G6PD (EC 1.1. 1. 49) is an enzyme."]),
        ("Given to A. fumigatus cultures. Done!", ["Given to A. fumigatus cultures.", "Done!"]),
        ("Dose was 5 mg. 12 patients died.", ["Dose was 5 mg.", "12 patients died."]),
        ("EC 3.1. 2 was not split.", ["EC 3.1. 2 was not split."]),
        ("ends with no stop", ["ends with no stop"]),
        ("lower case. after a stop", ["lower case. after a stop"]),
        ("Why? Because (it said so).", ["Why?", "Because (it said so)."]),
    ],
)  # fmt: skip
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert [text[a:b] for a, b in split_sentences(text)] == expected


def test_split_sentences_inside_a_window() -> None:
    text = "Title here. Body one. Body two."
    spans = split_sentences(text, 12, len(text))
    assert [text[a:b] for a, b in spans] == ["Body one.", "Body two."]


def test_split_tokens_at_entity_boundaries() -> None:
    toks = tokenize("DA1 receptors")
    out = split_tokens_at(toks, [0, 2])
    assert [(t.text, t.start, t.end) for t in out] == [
        ("DA", 0, 2),
        ("1", 2, 3),
        ("receptors", 4, 13),
    ]
