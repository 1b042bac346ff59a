"""Label sets and first-sub-token label alignment (as in transformers' ``run_ner.py``).

The first sub-token of each word carries the word's label; every other sub-token and every
special token gets ``IGNORE_INDEX`` (-100) so the loss and the scores skip it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from hilgen_graph.errors import EvaluationError

IGNORE_INDEX = -100


@dataclass(frozen=True, slots=True)
class LabelSet:
    """IOB2 labels in a fixed order: ``O`` first, then ``B-T``, ``I-T`` per sorted type ``T``."""

    labels: tuple[str, ...]

    @classmethod
    def from_types(cls, types: Iterable[str]) -> LabelSet:
        ordered = sorted(set(types))
        labels = ["O"]
        for t in ordered:
            labels += [f"B-{t}", f"I-{t}"]
        return cls(tuple(labels))

    @property
    def types(self) -> list[str]:
        return [lab[2:] for lab in self.labels if lab.startswith("B-")]

    @property
    def label2id(self) -> dict[str, int]:
        return {lab: i for i, lab in enumerate(self.labels)}

    @property
    def id2label(self) -> dict[int, str]:
        return dict(enumerate(self.labels))

    def __len__(self) -> int:
        return len(self.labels)

    def ids(self, tags: Sequence[str], *, where: str = "") -> list[int]:
        """Map tags to ids; an unknown tag raises ``EvaluationError`` naming the allowed ones."""
        l2i = self.label2id
        out = []
        for i, tag in enumerate(tags):
            if tag not in l2i:
                raise EvaluationError(
                    f"{where} token {i}: tag {tag!r} is not in the label set "
                    f"{list(self.labels)}; how to fix: use one label set for train, synthetic "
                    "and test data (set `collapse_to` in the config to merge types)"
                )
            out.append(l2i[tag])
        return out


def align_labels(word_ids: Sequence[int | None], word_label_ids: Sequence[int]) -> list[int]:
    """Label per sub-token: the first sub-token of word *w* gets ``word_label_ids[w]``,
    continuation sub-tokens and special tokens (``None``) get ``IGNORE_INDEX``.

    Words cut off by truncation simply do not appear in ``word_ids``.
    """
    out: list[int] = []
    previous: int | None = None
    for wid in word_ids:
        if wid is None:
            out.append(IGNORE_INDEX)
        elif wid != previous:
            out.append(word_label_ids[wid])
        else:
            out.append(IGNORE_INDEX)
        previous = wid
    return out


def first_subtoken_positions(word_ids: Sequence[int | None], n_words: int) -> list[int]:
    """Position of each word's first sub-token, or -1 for words lost to truncation."""
    pos = [-1] * n_words
    previous: int | None = None
    for i, wid in enumerate(word_ids):
        if wid is not None and wid != previous and wid < n_words:
            pos[wid] = i
        previous = wid
    return pos


def repair_iob2(tags: Sequence[str]) -> list[str]:
    """Make a tag sequence valid IOB2: an ``I-T`` that does not continue a ``T`` becomes ``B-T``."""
    out: list[str] = []
    prev = "O"
    for tag in tags:
        if tag.startswith("I-") and prev[2:] != tag[2:]:
            tag = "B-" + tag[2:]
        out.append(tag)
        prev = tag
    return out
