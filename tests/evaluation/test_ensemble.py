"""Ensembles on tiny hand-made predictions."""

from __future__ import annotations

import pytest

from hilgen_graph.errors import EvaluationError
from hilgen_graph.evaluation.ensemble import (
    choose_best,
    intersection,
    span_vote,
    weighted_vote,
)

A = [["B-D", "I-D", "O", "O"]]
B = [["B-D", "O", "O", "B-D"]]
C = [["O", "O", "O", "B-D"]]


def test_weighted_vote_follows_weights() -> None:
    members = {"a": A, "b": B, "c": C}
    # equal weights: token0 B-D (a,b) ; token1 O (b,c) ; token3 B-D (b,c)
    assert weighted_vote(members) == [["B-D", "O", "O", "B-D"]]
    # a heavy: a's I-D wins token 1 (0.9 vs 0.2) and O wins token 3 (0.9 vs 0.2)
    assert weighted_vote(members, {"a": 0.9, "b": 0.1, "c": 0.1}) == [["B-D", "I-D", "O", "O"]]


def test_weighted_vote_repairs_orphan_inside_tags() -> None:
    members = {"a": [["O", "I-D"]], "b": [["O", "I-D"]], "c": [["B-D", "O"]]}
    assert weighted_vote(members) == [["O", "B-D"]]


def test_intersection_keeps_only_unanimous_labels() -> None:
    assert intersection({"a": A, "b": B}) == [["B-D", "O", "O", "O"]]
    assert intersection({"a": A, "c": C}) == [["O", "O", "O", "O"]]


def test_span_vote_majority_of_weight() -> None:
    # spans: a {(0,2)}, b {(0,1),(3,4)}, c {(3,4)} -> only (3,4) has 2 of 3 votes
    assert span_vote({"a": A, "b": B, "c": C}) == [["O", "O", "O", "B-D"]]
    assert span_vote({"a": A, "b": B, "c": C}, {"a": 5.0, "b": 1.0, "c": 1.0}) == [
        ["B-D", "I-D", "O", "O"]
    ]


def test_members_must_agree_on_sentences() -> None:
    with pytest.raises(EvaluationError):
        weighted_vote({"a": A, "b": A + A})


def test_choose_best_uses_dev_and_labels_the_oracle() -> None:
    dev_gold = [["B-D", "I-D", "O", "O"]]
    test_gold = [["O", "O", "O", "B-D"]]
    dev = {"baseline": A, "kg:x": A, "kg:y": C}
    test = {"baseline": B, "kg:x": C, "kg:y": C}
    choice = choose_best(dev_gold, dev, test_gold, test, {"baseline": 0.5, "kg:x": 0.5, "kg:y": 0})
    assert choice.best_on_dev.dev_f1 == pytest.approx(1.0)
    assert choice.oracle_best_on_test.test_f1 >= choice.best_on_dev.test_f1
    assert {c.method for c in choice.candidates} == {"weighted_vote", "intersection", "span_vote"}
