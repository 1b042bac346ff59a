from __future__ import annotations

import random
from pathlib import Path

import pytest

from hilgen_graph.errors import ExpansionError
from hilgen_graph.expansion.term_index import TermIndex, trigram_jaccard
from hilgen_graph.graph.normalize import normalize


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


def test_search_agrees_with_brute_force(free_index: TermIndex) -> None:
    """The prefix filter must not lose the best match: compare with scoring every term."""
    rng = random.Random(7)
    terms = [free_index.term(i) for i in range(len(free_index))]
    texts = sorted({t for t, _ in terms if t})
    queries = []
    for text in rng.sample(texts, 60):
        chars = list(text)
        i = rng.randrange(len(chars))
        chars[i] = "x" if chars[i] != "x" else "y"  # one typo
        queries.append("".join(chars))
    small = texts  # exhaustive over every distinct text
    for q in queries:
        best = max(trigram_jaccard(q, t) for t in small)
        if best < 0.5:
            continue
        got = free_index.search(q, threshold=0.5, limit=1)
        assert got, q
        assert got[0].score == pytest.approx(best), (q, got, best)


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
