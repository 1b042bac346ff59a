from __future__ import annotations

import random
from pathlib import Path

import pytest

from hilgen_graph.errors import ExpansionError
from hilgen_graph.graph.normalize import normalize
from hilgen_graph.grounding.term_index import TermIndex, trigram_jaccard


def test_finds_variants_of_real_mentions(free_index: TermIndex) -> None:
    cases = {
        "ovarian cancers": "D010051",  # Ovarian Neoplasms
        "hemangioblastomas": "D018325",
        "phaeochromocytomas": "D010673",  # British spelling
        "Prader Willi syndrom": "D011218",  # typo
    }
    for query, cid in cases.items():
        matches = free_index.search(query, threshold=0.5, limit=5)
        assert matches, query
        assert matches[0].concept_id == cid, (query, matches)


def test_scores_are_trigram_jaccard_and_respect_threshold(free_index: TermIndex) -> None:
    for query in ("hereditary breast cancer", "colon carcinomas", "renal failure acute"):
        matches = free_index.search(query, threshold=0.6, limit=20)
        assert matches
        scores = [m.score for m in matches]
        assert scores == sorted(scores, reverse=True)
        for m in matches:
            assert m.score >= 0.6
            assert m.score == pytest.approx(trigram_jaccard(normalize(query), m.text))


def _grams(text: str) -> set[bytes]:
    """Oracle: padded byte trigrams, written independently of the index."""
    b = f" {text} ".encode()
    return {b[i : i + 3] for i in range(len(b) - 2)}


def test_search_agrees_with_brute_force(free_index: TermIndex) -> None:
    """The prefix filter must not lose the best match: compare with scoring every term of a
    3000-term index built from real MeSH terms."""
    rng = random.Random(7)
    texts = sorted({free_index.term(i)[0] for i in range(len(free_index))} - {""})
    sample = rng.sample(texts, 3000)
    index = TermIndex.build([f"X{i}" for i in range(len(sample))], sample)
    grams = [_grams(t) for t in sample]
    checked = 0
    for text in rng.sample(sample, 80):
        chars = list(text)
        i = rng.randrange(len(chars))
        chars[i] = "x" if chars[i] != "x" else "y"  # one typo
        query = "".join(chars)
        q = _grams(query)
        best = max(len(q & g) / len(q | g) for g in grams)
        got = index.search(query, threshold=0.5, limit=1)
        if best < 0.5:
            assert not got
            continue
        checked += 1
        assert got, query
        assert got[0].score == pytest.approx(best), (query, got, best)
    assert checked >= 40


def test_save_and_load_round_trip(free_index: TermIndex, tmp_path: Path) -> None:
    path = free_index.save(tmp_path / "ix.npz")
    loaded = TermIndex.load(path)
    assert len(loaded) == len(free_index)
    q = "pheochromocytomas of the adrenal"
    assert loaded.search(q) == free_index.search(q)


def test_bad_input() -> None:
    with pytest.raises(ExpansionError, match="parallel"):
        TermIndex.build(["C1", "C2"], ["a"])
    empty = TermIndex.build([], [])
    assert empty.search("anything") == []
    tiny = TermIndex.build(["C1", "C2"], ["", "ab"])
    assert tiny.search("") == []
    assert tiny.search("ab")[0].concept_id == "C2"


def test_corrupt_cache_file_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not an index")
    with pytest.raises(ExpansionError, match="delete it to rebuild"):
        TermIndex.load(bad)
