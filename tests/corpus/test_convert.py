"""Our PubTator -> IOB conversion against the published IOB files (issue 2, "Must show").

Per-type entity counts must agree exactly; beyond counts, every entity whose tokens differ from
the published file is listed below with its cause.
"""

from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from hilgen_graph.corpus.conll import read_conll, write_conll
from hilgen_graph.corpus.pubtator import read_pubtator
from hilgen_graph.corpus.records import Corpus
from hilgen_graph.corpus.stats import sentence_label_counts
from hilgen_graph.datasets import dataset_path

# Causes of the entity-level differences (counts per type are still equal unless noted):
# TOKEN: the official annotation ends inside a word ("DA" in "DA1", "5-HT" in "5-HT6", "Cl" in
#   "2Cl", "Ca" in "Ca2+"); we split the token at the entity boundary so the entity is exact, the
#   published file tags the whole token.
# TRUNCATED: the official NCBI offsets cut the last letter ("disorde", "complemen"); we keep the
#   annotation as given, the published file tags the whole word.
# SENTENCE: the published file breaks "St. Anthony's fire" after "St." and so holds two Disease
#   entities for one annotation; we merge sentences an entity crosses (+2 Disease in published).
DIFFERENCES: dict[
    tuple[str, str], tuple[dict[tuple[str, str], int], dict[tuple[str, str], int]]
] = {
    ("bc5cdr", "train"): ({}, {}),
    ("bc5cdr", "dev"): (
        {
            ("Chemical", "DA"): 2,  # TOKEN
            ("Chemical", "5 - HT"): 5,  # TOKEN
            ("Chemical", "Cl"): 2,  # TOKEN
            ("Chemical", "5 - hydroxytryptamine"): 1,  # TOKEN
            ("Disease", "St . Anthony ' s fire"): 2,  # SENTENCE
        },
        {
            ("Chemical", "DA1"): 1,
            ("Chemical", "DA2"): 1,
            ("Chemical", "5 - HT6"): 5,
            ("Chemical", "2Cl"): 2,
            ("Chemical", "5 - hydroxytryptamine1a"): 1,
            ("Disease", "St ."): 2,
            ("Disease", "Anthony ' s fire"): 2,
        },
    ),
    ("bc5cdr", "test"): (
        {("Chemical", "Ca"): 4, ("Chemical", "gamma - aminobutyric acid"): 1},  # TOKEN
        {("Chemical", "Ca2"): 4, ("Chemical", "gamma - aminobutyric acidA"): 1},
    ),
    ("ncbi_disease", "train"): (
        {
            ("Disease", "autosomal dominant disorde"): 1,  # TRUNCATED (train file line 2216)
            ("Disease", "absence of the seventh component of complemen"): 1,  # line 4941
        },
        {
            ("Disease", "autosomal dominant disorder"): 1,
            ("Disease", "absence of the seventh component of complement"): 1,
        },
    ),
    ("ncbi_disease", "dev"): ({}, {}),
    ("ncbi_disease", "test"): ({}, {}),
}


def _mentions(corpus: Corpus) -> Counter[tuple[str, str]]:
    return Counter(
        (e.label, " ".join(s.words[e.token_start : e.token_end]))
        for s in corpus.sentences
        for e in s.entities
    )


@cache
def _convert(name: str, split: str) -> Corpus:
    collapse = "Disease" if name == "ncbi_disease" else None
    result = read_pubtator(dataset_path(name, split, "pubtator"), collapse_to=collapse)
    assert result.report.dropped_entities == [] and result.report.skipped == []
    return result.corpus


@cache
def _published(name: str, split: str) -> Corpus:
    return read_conll(dataset_path(name, split, "iob")).corpus


def test_bc5cdr_train_conversion_counts_match_published(tmp_path: Path) -> None:
    ours = _convert("bc5cdr", "train")
    out = tmp_path / "bc5cdr_train.tsv"
    write_conll(ours, out)
    written = read_conll(out).corpus
    published = _published("bc5cdr", "train")
    expected = {"Chemical": 5203, "Disease": 4182}
    assert sentence_label_counts(written.sentences) == expected
    assert sentence_label_counts(published.sentences) == expected
    # Same tokens too: 118,170 in both.
    assert sum(len(s.tokens) for s in written.sentences) == 118170
    assert sum(len(s.tokens) for s in published.sentences) == 118170


def test_ncbi_train_collapsed_conversion_counts_match_published(tmp_path: Path) -> None:
    ours = _convert("ncbi_disease", "train")
    out = tmp_path / "ncbi_train.tsv"
    write_conll(ours, out)
    written = read_conll(out).corpus
    published = _published("ncbi_disease", "train")
    assert sentence_label_counts(written.sentences) == {"Disease": 5145}
    assert sentence_label_counts(published.sentences) == {"Disease": 5145}


@pytest.mark.parametrize(("name", "split"), sorted(DIFFERENCES))
def test_every_entity_difference_is_listed_with_its_cause(name: str, split: str) -> None:
    ours = _mentions(_convert(name, split))
    published = _mentions(_published(name, split))
    ours_only, published_only = DIFFERENCES[(name, split)]
    assert dict(ours - published) == ours_only
    assert dict(published - ours) == published_only
