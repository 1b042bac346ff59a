"""Ensembles of taggers trained on different data variants.

- ``weighted_vote``: per token, the label with the largest summed member weight (weights are
  the members' dev F1), repaired to valid IOB2.
- ``intersection``: a non-O label only where every member predicts that same label.
- ``span_vote``: a (strict) mention is kept when members holding more than half of the total
  weight predict exactly that span; overlaps resolved by weight, then length.

``choose_best`` scores every candidate ensemble on dev and picks the best there; the test F1 of
the candidate that is best on *test* is an oracle and is returned separately, labelled so.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from hilgen_graph.errors import EvaluationError
from hilgen_graph.evaluation.labels import repair_iob2
from hilgen_graph.evaluation.metrics import strict_f1, strict_spans

Predictions = Sequence[Sequence[str]]
METHODS = ("weighted_vote", "intersection", "span_vote")


def _check_members(members: Mapping[str, Predictions]) -> list[str]:
    if not members:
        raise EvaluationError("an ensemble needs at least one member")
    names = list(members)
    lengths = {len(members[n]) for n in names}
    if len(lengths) != 1:
        raise EvaluationError(f"ensemble members disagree on the number of sentences: {lengths}")
    return names


def weighted_vote(
    members: Mapping[str, Predictions], weights: Mapping[str, float] | None = None
) -> list[list[str]]:
    """Token-level weighted voting; ties go to ``O``, then to the alphabetically first label."""
    names = _check_members(members)
    w = {n: (weights or {}).get(n, 1.0) for n in names}
    out = []
    for i in range(len(members[names[0]])):
        length = len(members[names[0]][i])
        tags = []
        for t in range(length):
            votes: dict[str, float] = defaultdict(float)
            for n in names:
                votes[members[n][i][t]] += w[n]
            top = max(votes.values())
            winners = sorted(lab for lab, v in votes.items() if v == top)
            tags.append("O" if "O" in winners else winners[0])
        out.append(repair_iob2(tags))
    return out


def intersection(members: Mapping[str, Predictions]) -> list[list[str]]:
    """A token keeps a non-O label only when all members give it that label."""
    names = _check_members(members)
    out = []
    for i in range(len(members[names[0]])):
        seqs = [members[n][i] for n in names]
        tags = [s0 if all(s[t] == s0 for s in seqs) else "O" for t, s0 in enumerate(seqs[0])]
        out.append(repair_iob2(tags))
    return out


def span_vote(
    members: Mapping[str, Predictions], weights: Mapping[str, float] | None = None
) -> list[list[str]]:
    """Mention-level voting: keep spans backed by more than half of the total weight."""
    names = _check_members(members)
    w = {n: (weights or {}).get(n, 1.0) for n in names}
    total = sum(w.values())
    spans_by_member = {n: strict_spans(members[n]) for n in names}
    out = []
    for i in range(len(members[names[0]])):
        support: dict[tuple[str, int, int], float] = defaultdict(float)
        for n in names:
            for _, typ, s, e in spans_by_member[n][i]:
                support[(typ, s, e)] += w[n]
        chosen = sorted(
            (k for k, v in support.items() if v > total / 2),
            key=lambda k: (-support[k], -(k[2] - k[1]), k[1]),
        )
        tags = ["O"] * len(members[names[0]][i])
        for typ, s, e in chosen:
            if all(tags[t] == "O" for t in range(s, e)):
                tags[s] = f"B-{typ}"
                for t in range(s + 1, e):
                    tags[t] = f"I-{typ}"
        out.append(tags)
    return out


def combine(
    method: str, members: Mapping[str, Predictions], weights: Mapping[str, float]
) -> list[list[str]]:
    if method == "weighted_vote":
        return weighted_vote(members, weights)
    if method == "intersection":
        return intersection(members)
    if method == "span_vote":
        return span_vote(members, weights)
    raise EvaluationError(f"unknown ensemble method {method!r}; available: {list(METHODS)}")


@dataclass(frozen=True)
class EnsembleCandidate:
    name: str  # e.g. "weighted_vote[all]"
    method: str
    members: tuple[str, ...]
    dev_f1: float
    test_f1: float
    test_tags: list[list[str]]


@dataclass(frozen=True)
class EnsembleChoice:
    best_on_dev: EnsembleCandidate
    oracle_best_on_test: EnsembleCandidate  # for reference only: chosen by looking at test
    candidates: list[EnsembleCandidate]


def member_sets(dev_f1: Mapping[str, float], baseline: str = "baseline") -> dict[str, list[str]]:
    """Candidate member sets: all variants, the augmented ones, and the top three on dev."""
    names = sorted(dev_f1)
    sets: dict[str, list[str]] = {"all": names}
    augmented = [n for n in names if n != baseline]
    if len(augmented) >= 2:
        sets["augmented"] = augmented
    top3 = sorted(names, key=lambda n: (-dev_f1[n], n))[:3]
    if len(top3) >= 2:
        sets["top3-dev"] = top3
    return sets


def choose_best(
    dev_gold: Predictions,
    dev_preds: Mapping[str, Predictions],
    test_gold: Predictions,
    test_preds: Mapping[str, Predictions],
    dev_f1: Mapping[str, float],
) -> EnsembleChoice:
    """Build every (method × member set) candidate, choose the best on dev."""
    if set(dev_preds) != set(test_preds):
        raise EvaluationError("ensemble: dev and test predictions cover different variants")
    candidates = []
    weights = {n: max(f, 1e-6) for n, f in dev_f1.items()}
    for set_name, names in member_sets(dev_f1).items():
        for method in METHODS:
            dev_c = combine(method, {n: dev_preds[n] for n in names}, weights)
            test_c = combine(method, {n: test_preds[n] for n in names}, weights)
            candidates.append(
                EnsembleCandidate(
                    f"{method}[{set_name}]",
                    method,
                    tuple(names),
                    strict_f1(dev_gold, dev_c),
                    strict_f1(test_gold, test_c),
                    test_c,
                )
            )
    if not candidates:
        raise EvaluationError("no ensemble candidate: need at least one trained variant")
    best = max(candidates, key=lambda c: (c.dev_f1, -len(c.members)))
    oracle = max(candidates, key=lambda c: c.test_f1)
    return EnsembleChoice(best, oracle, candidates)
