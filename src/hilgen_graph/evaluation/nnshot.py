"""Nearest-neighbour token decoding (NNShot, Yang & Katiyar 2020; the paper's "DANN" family).

Each query token gets the label of its nearest support token in the encoder's L2-normalised
hidden-state space. The support set is every token (first sub-token) of the support sentences
(the whole training data, or the gold k-shot sentences only: ``TrainSettings.nnshot_support``),
scored with chunked matrix products so memory stays bounded. Optionally a StructShot-style
Viterbi step turns the per-token scores into a valid IOB2 sequence, with transition
log-probabilities estimated from the training tags.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from hilgen_graph.errors import EvaluationError
from hilgen_graph.evaluation.labels import LabelSet

NEG_INF = float("-inf")


@dataclass(frozen=True)
class SupportSet:
    """Normalised token embeddings (N, H) and their label ids (N,)."""

    embeddings: torch.Tensor
    label_ids: torch.Tensor
    num_labels: int

    def __repr__(self) -> str:
        return f"SupportSet({self.embeddings.shape[0]} tokens, {self.num_labels} labels)"

    @classmethod
    def build(
        cls, embeddings: Sequence[torch.Tensor], tag_ids: Sequence[Sequence[int]], num_labels: int
    ) -> SupportSet:
        """From per-sentence (n_words, H) embeddings and tag ids; rows of words lost to
        truncation must already be dropped (pass tag ids only for kept words)."""
        if not embeddings:
            raise EvaluationError("the nnshot support set is empty: there is no training token")
        emb = torch.cat([e for e in embeddings], dim=0)
        lab = torch.tensor([i for ids in tag_ids for i in ids], dtype=torch.long)
        if emb.shape[0] != lab.shape[0]:
            raise EvaluationError(
                f"support set: {emb.shape[0]} embeddings but {lab.shape[0]} labels"
            )
        emb = torch.nn.functional.normalize(emb.float(), dim=-1)
        return cls(emb, lab, num_labels)

    def label_counts(self) -> list[int]:
        return torch.bincount(self.label_ids, minlength=self.num_labels).tolist()

    def missing_labels(self, labels: LabelSet) -> list[str]:
        """Labels with no support token: they can never be predicted by nearest neighbour."""
        return [labels.labels[i] for i, c in enumerate(self.label_counts()) if c == 0]


def label_scores(queries: torch.Tensor, support: SupportSet, chunk: int = 8192) -> torch.Tensor:
    """(M, L) cosine similarity of each query to its nearest support token of each label;
    ``-inf`` for labels without support. Computed over support chunks of ``chunk`` rows."""
    q = torch.nn.functional.normalize(queries.float(), dim=-1)
    m = q.shape[0]
    best = torch.full((m, support.num_labels), NEG_INF)
    lab = support.label_ids
    for start in range(0, support.embeddings.shape[0], chunk):
        sims = q @ support.embeddings[start : start + chunk].T  # (M, C)
        ids = lab[start : start + chunk]
        expanded = ids.unsqueeze(0).expand(m, -1)
        chunk_best = torch.full((m, support.num_labels), NEG_INF)
        chunk_best = chunk_best.scatter_reduce(1, expanded, sims, reduce="amax")
        best = torch.maximum(best, chunk_best)
    return best


def nearest_labels(queries: torch.Tensor, support: SupportSet, chunk: int = 8192) -> list[int]:
    """Label id of the nearest support token for each query row."""
    if queries.shape[0] == 0:
        return []
    return label_scores(queries, support, chunk).argmax(dim=1).tolist()


def _allowed(prev: str, cur: str) -> bool:
    """IOB2: ``I-T`` may only follow ``B-T`` or ``I-T``."""
    return not cur.startswith("I-") or (prev != "O" and prev[2:] == cur[2:])


@dataclass(frozen=True)
class Transitions:
    """Log-probabilities: ``start[j]`` of the first tag, ``matrix[i, j]`` of tag j after tag i.
    Transitions that IOB2 forbids are ``-inf``."""

    start: torch.Tensor
    matrix: torch.Tensor

    @classmethod
    def estimate(
        cls, tag_sequences: Sequence[Sequence[str]], labels: LabelSet, smoothing: float = 1.0
    ) -> Transitions:
        """Counts of tag bigrams in the training tags, add-``smoothing`` over allowed moves."""
        n = len(labels)
        start = torch.full((n,), smoothing)
        mat = torch.full((n, n), smoothing)
        for seq in tag_sequences:
            ids = labels.ids(seq, where="transition estimate:")
            if ids:
                start[ids[0]] += 1
            for a, b in zip(ids, ids[1:], strict=False):
                mat[a, b] += 1
        for j, cur in enumerate(labels.labels):
            if not _allowed("O", cur):
                start[j] = 0.0
            for i, prev in enumerate(labels.labels):
                if not _allowed(prev, cur):
                    mat[i, j] = 0.0
        start_lp = torch.log(start / start.sum())
        mat_lp = torch.log(mat / mat.sum(dim=1, keepdim=True))
        return cls(start_lp, mat_lp)


def viterbi(emissions: torch.Tensor, transitions: Transitions, weight: float = 1.0) -> list[int]:
    """Best label path for (T, L) emission log-scores plus ``weight`` × transition log-probs."""
    t_len, n = emissions.shape
    if t_len == 0:
        return []
    start = transitions.start * weight
    trans = transitions.matrix * weight
    score = start + emissions[0]
    back = torch.zeros((t_len, n), dtype=torch.long)
    for t in range(1, t_len):
        cand = score.unsqueeze(1) + trans  # (prev, cur)
        score, back[t] = cand.max(dim=0)
        score = score + emissions[t]
    path = [int(score.argmax())]
    for t in range(t_len - 1, 0, -1):
        path.append(int(back[t, path[-1]]))
    return path[::-1]


def viterbi_batch(
    emissions: Sequence[torch.Tensor], transitions: Transitions, weight: float = 1.0
) -> list[list[int]]:
    """``viterbi`` for many sentences at once (numpy, vectorised over sentences); same result
    as calling ``viterbi`` on each."""
    if not emissions:
        return []
    n_lab = transitions.start.shape[0]
    lengths = np.array([e.shape[0] for e in emissions])
    t_max = int(lengths.max()) if len(lengths) else 0
    b = len(emissions)
    em = np.zeros((b, max(t_max, 1), n_lab))
    for i, e in enumerate(emissions):
        em[i, : e.shape[0]] = e.numpy()
    start = transitions.start.numpy() * weight
    trans = transitions.matrix.numpy() * weight
    score = start[None, :] + em[:, 0]
    back = np.zeros((b, max(t_max, 1), n_lab), dtype=np.int64)
    with np.errstate(invalid="ignore"):
        for t in range(1, t_max):
            cand = score[:, :, None] + trans[None]  # (b, prev, cur)
            best_prev = cand.argmax(axis=1)
            new = np.take_along_axis(cand, best_prev[:, None, :], axis=1)[:, 0] + em[:, t]
            active = (t < lengths)[:, None]
            score = np.where(active, new, score)
            back[:, t] = np.where(active, best_prev, 0)
    out: list[list[int]] = []
    for i, length in enumerate(lengths):
        if length == 0:
            out.append([])
            continue
        path = [int(score[i].argmax())]
        for t in range(int(length) - 1, 0, -1):
            path.append(int(back[i, t, path[-1]]))
        out.append(path[::-1])
    return out


def emission_log_probs(scores: torch.Tensor, temperature: float = 0.05) -> torch.Tensor:
    """Nearest-neighbour similarities turned into log-probabilities over labels (softmax with a
    temperature; labels without support keep probability 0)."""
    return torch.log_softmax(scores / temperature, dim=-1)
