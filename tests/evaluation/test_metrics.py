"""Metrics against hand-computed oracles."""

from __future__ import annotations

import math

import pytest

from hilgen_graph.errors import EvaluationError
from hilgen_graph.evaluation.metrics import (
    improvement,
    mean_sd,
    mention_texts,
    paired_bootstrap,
    score,
    seen_unseen,
    strict_f1,
)

GOLD = [
    ["B-D", "I-D", "O", "B-C"],
    ["O", "B-D", "O", "O"],
]
# sentence 1: D span exact (tp), C missed (fn), sentence 2: D shifted (fp + fn)
PRED = [
    ["B-D", "I-D", "O", "O"],
    ["O", "O", "B-D", "O"],
]


def test_strict_scores_hand_computed() -> None:
    s = score(GOLD, PRED)
    # tp=1, predicted=2, gold=3 -> P=1/2, R=1/3, F1=2*(1/6)/(5/6)=0.4
    assert s.strict.precision == pytest.approx(0.5)
    assert s.strict.recall == pytest.approx(1 / 3)
    assert s.strict.f1 == pytest.approx(0.4)
    assert s.per_type["D"].f1 == pytest.approx(0.5)  # tp1 pred2 gold2
    assert s.per_type["C"].f1 == 0.0 and s.per_type["C"].support == 1


def test_strict_drops_ill_formed_chunk_but_default_keeps_it() -> None:
    gold = [["B-D", "I-D", "O"]]
    pred = [["I-D", "I-D", "O"]]  # starts with I-: invalid IOB2
    s = score(gold, pred)
    assert s.strict.f1 == 0.0  # strict: no entity is predicted
    assert s.default_f1 == pytest.approx(1.0)  # conlleval-style: I-D I-D is one D chunk


def test_io_collapsed_merges_adjacent_mentions() -> None:
    gold = [["B-D", "B-D", "O"]]  # two one-token mentions
    pred = [["B-D", "I-D", "O"]]  # one two-token mention
    s = score(gold, pred)
    assert s.strict.f1 == 0.0
    assert s.io_f1 == pytest.approx(1.0)  # IO view: both are one D run over tokens 0-1


def test_strict_f1_matches_score() -> None:
    assert strict_f1(GOLD, PRED) == pytest.approx(score(GOLD, PRED).strict.f1)


def test_length_mismatch_is_an_error() -> None:
    with pytest.raises(EvaluationError, match="sentence 0"):
        score([["O", "O"]], [["O"]])


def test_mean_sd_and_improvement() -> None:
    m = mean_sd([0.2, 0.4, 0.6])
    assert m.mean == pytest.approx(0.4)
    assert m.sd == pytest.approx(0.2)
    assert str(m) == "40.00 ± 20.00"
    imp = improvement(0.2, 0.3)
    assert imp.absolute_points == pytest.approx(10.0)
    assert imp.relative_percent == pytest.approx(50.0)
    assert math.isnan(improvement(0.0, 0.3).relative_percent)


def test_paired_bootstrap_is_deterministic_and_sided() -> None:
    gold = [["B-D", "O"]] * 20
    weak = [["O", "O"]] * 20
    strong = [["B-D", "O"]] * 15 + [["O", "O"]] * 5
    a = paired_bootstrap(gold, weak, strong, samples=300, seed=7)
    b = paired_bootstrap(gold, weak, strong, samples=300, seed=7)
    assert a == b
    assert a.delta_f1 == pytest.approx(2 * 15 / 35)  # F1 of strong: 2*15/(15+20)
    assert a.p_value == 0.0
    reverse = paired_bootstrap(gold, strong, weak, samples=300, seed=7)
    assert reverse.p_value == 1.0


def test_seen_unseen_split() -> None:
    words = [["renal", "failure", "and", "gout"]]
    gold = [["B-D", "I-D", "O", "B-D"]]
    pred = [["B-D", "I-D", "O", "O"]]
    known = mention_texts([["Renal", "failure", "x"]], [["B-D", "I-D", "O"]])
    assert known == {"renal failure"}
    su = seen_unseen(words, gold, pred, known)
    assert su.seen.f1 == pytest.approx(1.0)
    assert su.unseen.recall == 0.0 and su.unseen.support == 1
