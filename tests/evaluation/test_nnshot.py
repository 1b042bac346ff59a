"""Nearest-neighbour decoding and the Viterbi step on tiny tensors."""

from __future__ import annotations

import pytest
import torch

from hilgen_graph.errors import EvaluationError
from hilgen_graph.evaluation.labels import LabelSet
from hilgen_graph.evaluation.nnshot import (
    SupportSet,
    Transitions,
    emission_log_probs,
    label_scores,
    nearest_labels,
    viterbi,
)

LABELS = LabelSet.from_types(["D"])  # O, B-D, I-D


def _support() -> SupportSet:
    emb = [torch.tensor([[1.0, 0.0], [0.0, 1.0]]), torch.tensor([[-1.0, 0.1], [0.7, 0.7]])]
    tags = [[0, 1], [2, 0]]
    return SupportSet.build(emb, tags, len(LABELS))


def test_nearest_label_over_all_support_tokens_in_chunks() -> None:
    sup = _support()
    q = torch.tensor([[0.9, 0.1], [0.1, 0.9], [-2.0, 0.0], [1.0, 1.0]])
    expected = [0, 1, 2, 0]  # last one: nearest is the O token at (0.7, 0.7)
    assert nearest_labels(q, sup) == expected
    assert nearest_labels(q, sup, chunk=1) == expected  # chunking does not change the answer


def test_label_scores_are_max_cosine_per_label_and_inf_when_missing() -> None:
    emb = [torch.tensor([[1.0, 0.0], [0.0, 2.0]])]
    sup = SupportSet.build(emb, [[0, 1]], len(LABELS))
    s = label_scores(torch.tensor([[1.0, 1.0]]), sup)
    assert s[0, 0].item() == pytest.approx(2**-0.5)
    assert s[0, 1].item() == pytest.approx(2**-0.5)
    assert s[0, 2].item() == float("-inf")
    assert sup.missing_labels(LABELS) == ["I-D"]  # reported, not silently mapped to O


def test_empty_support_is_an_error() -> None:
    with pytest.raises(EvaluationError, match="empty"):
        SupportSet.build([], [], 3)


def test_transitions_forbid_invalid_iob2() -> None:
    tr = Transitions.estimate([["O", "B-D", "I-D", "O"], ["B-D", "O"]], LABELS)
    o, b, i = 0, 1, 2
    assert tr.start[i] == float("-inf")
    assert tr.matrix[o, i] == float("-inf")
    assert tr.matrix[b, i] > float("-inf")
    assert torch.exp(tr.matrix[b]).sum().item() == pytest.approx(1.0)


def test_viterbi_makes_output_valid_iob2() -> None:
    tr = Transitions.estimate([["O", "B-D", "I-D", "O"]], LABELS)
    # token 0 prefers I-D (invalid at the start); token 1 prefers I-D
    em = torch.log(torch.tensor([[0.1, 0.3, 0.6], [0.1, 0.1, 0.8]]))
    path = viterbi(em, tr)
    assert [LABELS.labels[i] for i in path] == ["B-D", "I-D"]
    # argmax alone would give an invalid I- start
    assert em.argmax(dim=1).tolist() == [2, 2]


def test_emission_log_probs_keep_missing_labels_impossible() -> None:
    lp = emission_log_probs(torch.tensor([[0.5, 0.4, float("-inf")]]))
    assert lp[0, 2].item() == float("-inf")
    assert torch.exp(lp).sum().item() == pytest.approx(1.0)


def test_viterbi_batch_equals_one_by_one() -> None:
    from hilgen_graph.evaluation.nnshot import viterbi_batch

    tr = Transitions.estimate([["O", "B-D", "I-D", "O"], ["B-D", "B-D"]], LABELS)
    gen = torch.Generator().manual_seed(0)
    ems = [torch.log_softmax(torch.randn(n, 3, generator=gen), -1) for n in (5, 1, 0, 9)]
    assert viterbi_batch(ems, tr) == [viterbi(e, tr) for e in ems]
