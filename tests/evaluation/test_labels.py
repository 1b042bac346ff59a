"""First-sub-token label alignment and IOB2 repair: truth tables."""

from __future__ import annotations

import pytest

from hilgen_graph.errors import EvaluationError
from hilgen_graph.evaluation.labels import (
    IGNORE_INDEX,
    LabelSet,
    align_labels,
    first_subtoken_positions,
    repair_iob2,
)

X = IGNORE_INDEX


@pytest.mark.parametrize(
    ("word_ids", "word_labels", "expected"),
    [
        # [CLS] w0 w1 [SEP]: one sub-token per word
        ([None, 0, 1, None], [1, 0], [X, 1, 0, X]),
        # w0 split in three pieces: only the first carries the label
        ([None, 0, 0, 0, 1, None], [1, 2], [X, 1, X, X, 2, X]),
        # truncation: word 2 never appears
        ([None, 0, 1, 1, None], [0, 1, 2], [X, 0, 1, X, X]),
        # no special tokens at all
        ([0, 1, 1, 2], [2, 1, 0], [2, 1, X, 0]),
        # empty input
        ([], [], []),
    ],
)
def test_align_labels_truth_table(
    word_ids: list[int | None], word_labels: list[int], expected: list[int]
) -> None:
    assert align_labels(word_ids, word_labels) == expected


def test_first_subtoken_positions_marks_truncated_words() -> None:
    assert first_subtoken_positions([None, 0, 0, 1, None], 3) == [1, 3, -1]


def test_labelset_order_and_maps() -> None:
    ls = LabelSet.from_types(["Disease", "Chemical", "Disease"])
    assert ls.labels == ("O", "B-Chemical", "I-Chemical", "B-Disease", "I-Disease")
    assert ls.label2id["B-Disease"] == 3
    assert ls.id2label[4] == "I-Disease"
    assert ls.types == ["Chemical", "Disease"]


def test_labelset_rejects_unknown_tag_with_allowed_list() -> None:
    ls = LabelSet.from_types(["Disease"])
    with pytest.raises(EvaluationError, match="B-Chemical.*not in the label set"):
        ls.ids(["O", "B-Chemical"], where="sentence s1:")


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (["I-D", "I-D", "O"], ["B-D", "I-D", "O"]),
        (["B-C", "I-D"], ["B-C", "B-D"]),
        (["O", "I-D", "B-D", "I-D"], ["O", "B-D", "B-D", "I-D"]),
        (["B-D", "I-D", "I-D"], ["B-D", "I-D", "I-D"]),
    ],
)
def test_repair_iob2(tags: list[str], expected: list[str]) -> None:
    assert repair_iob2(tags) == expected
