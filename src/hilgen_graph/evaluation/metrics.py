"""Scores for IOB2 predictions: seqeval strict IOB2 (headline), seqeval default mode and the
IO-collapsed F1 used by the paper's code; per-type P/R/F1; mean ± sd over seeds; improvement;
paired bootstrap; F1 on test mentions seen vs unseen in the training (+ synthetic) data.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
from seqeval.metrics import f1_score as seqeval_f1
from seqeval.metrics.sequence_labeling import get_entities
from seqeval.scheme import IOB2, Entities

from hilgen_graph.errors import EvaluationError

Tags = Sequence[Sequence[str]]
Span = tuple[int, str, int, int]  # (sentence index, type, start token, end token exclusive)


@dataclass(frozen=True, slots=True)
class PRF:
    precision: float
    recall: float
    f1: float
    support: int  # gold mentions
    predicted: int = 0

    @classmethod
    def from_counts(cls, tp: int, n_pred: int, n_gold: int) -> PRF:
        p = tp / n_pred if n_pred else 0.0
        r = tp / n_gold if n_gold else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return cls(p, r, f, n_gold, n_pred)


@dataclass(frozen=True, slots=True)
class Scores:
    """All the figures for one prediction set against gold."""

    strict: PRF
    default_f1: float
    io_f1: float
    per_type: dict[str, PRF] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _check(gold: Tags, pred: Tags) -> None:
    if len(gold) != len(pred):
        raise EvaluationError(f"{len(gold)} gold sentences but {len(pred)} predicted")
    for i, (g, p) in enumerate(zip(gold, pred, strict=True)):
        if len(g) != len(p):
            raise EvaluationError(f"sentence {i}: {len(g)} gold tags but {len(p)} predicted tags")


def strict_spans(tags: Tags) -> list[set[Span]]:
    """Entities per sentence under seqeval's strict IOB2 rules (ill-formed chunks dropped)."""
    out: list[set[Span]] = [set() for _ in tags]
    if not tags:
        return out
    for sent_entities in Entities([list(t) for t in tags], IOB2).entities:
        for e in sent_entities:
            out[e.sent_id].add((e.sent_id, e.tag, e.start, e.end))
    return out


def default_spans(tags: Tags) -> list[set[Span]]:
    """Entities per sentence under seqeval's default (conlleval-like, lenient) rules."""
    out: list[set[Span]] = []
    for i, t in enumerate(tags):
        out.append({(i, typ, s, e + 1) for typ, s, e in get_entities(list(t))})
    return out


def io_collapse(tags: Tags) -> list[list[str]]:
    """IO tagging as in the paper's code: every ``B-T``/``I-T`` becomes ``I-T``, so adjacent
    mentions of one type merge into one."""
    return [["O" if t == "O" else "I-" + t[2:] for t in seq] for seq in tags]


def _count(gold_spans: list[set[Span]], pred_spans: list[set[Span]]) -> np.ndarray:
    """Per sentence (tp, predicted, gold) counts, shape (n, 3)."""
    arr = np.zeros((len(gold_spans), 3), dtype=np.int64)
    for i, (g, p) in enumerate(zip(gold_spans, pred_spans, strict=True)):
        arr[i] = (len(g & p), len(p), len(g))
    return arr


def score(gold: Tags, pred: Tags) -> Scores:
    """Strict IOB2 P/R/F1 (overall and per type), seqeval default-mode F1 and IO-collapsed F1."""
    _check(gold, pred)
    gs, ps = strict_spans(gold), strict_spans(pred)
    tp, n_pred, n_gold = (int(x) for x in _count(gs, ps).sum(axis=0))
    types = sorted({s[1] for sent in gs for s in sent} | {s[1] for sent in ps for s in sent})
    per_type = {}
    for typ in types:
        g_t = [{s for s in sent if s[1] == typ} for sent in gs]
        p_t = [{s for s in sent if s[1] == typ} for sent in ps]
        c = _count(g_t, p_t).sum(axis=0)
        per_type[typ] = PRF.from_counts(int(c[0]), int(c[1]), int(c[2]))
    g_list, p_list = [list(x) for x in gold], [list(x) for x in pred]
    default = float(seqeval_f1(g_list, p_list)) if any(g_list) else 0.0
    io = float(seqeval_f1(io_collapse(gold), io_collapse(pred))) if any(g_list) else 0.0
    return Scores(PRF.from_counts(tp, n_pred, n_gold), default, io, per_type)


def strict_f1(gold: Tags, pred: Tags) -> float:
    _check(gold, pred)
    tp, n_pred, n_gold = (int(x) for x in _count(strict_spans(gold), strict_spans(pred)).sum(0))
    return PRF.from_counts(tp, n_pred, n_gold).f1


@dataclass(frozen=True, slots=True)
class MeanSD:
    mean: float
    sd: float
    n: int

    def __str__(self) -> str:
        return f"{100 * self.mean:.2f} ± {100 * self.sd:.2f}"


def mean_sd(values: Iterable[float]) -> MeanSD:
    """Mean and sample standard deviation (0 for a single value)."""
    vals = [float(v) for v in values]
    if not vals:
        return MeanSD(math.nan, math.nan, 0)
    sd = statistics.stdev(vals) if len(vals) > 1 else 0.0
    return MeanSD(statistics.fmean(vals), sd, len(vals))


@dataclass(frozen=True, slots=True)
class Improvement:
    absolute_points: float  # F1 points (0-100 scale)
    relative_percent: float  # % of the baseline F1; nan when the baseline is 0


def improvement(baseline: float, new: float) -> Improvement:
    """Gain over baseline as absolute F1 points and as relative % (both reported; the paper's
    '% improvement' is ambiguous)."""
    rel = (new - baseline) / baseline * 100 if baseline > 0 else math.nan
    return Improvement(100 * (new - baseline), rel)


@dataclass(frozen=True, slots=True)
class BootstrapResult:
    delta_f1: float  # system minus baseline, observed
    p_value: float  # one-sided: share of resamples where the system is not better
    ci_low: float
    ci_high: float
    samples: int


def _f1_from_counts(c: np.ndarray) -> np.ndarray:
    tp, npred, ngold = c[..., 0], c[..., 1], c[..., 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = npred + ngold
        f = np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0)
    return f


def paired_bootstrap(
    gold: Tags, baseline: Tags, system: Tags, *, samples: int = 1000, seed: int = 0
) -> BootstrapResult:
    """Paired bootstrap over test sentences of strict F1(system) - F1(baseline).

    Deterministic for a given ``seed``. ``p_value`` is the share of resamples in which the
    system's F1 is not higher than the baseline's."""
    _check(gold, baseline)
    _check(gold, system)
    gs = strict_spans(gold)
    ca = _count(gs, strict_spans(baseline))
    cb = _count(gs, strict_spans(system))
    observed = float(_f1_from_counts(cb.sum(0)) - _f1_from_counts(ca.sum(0)))
    n = len(gold)
    if n == 0:
        return BootstrapResult(0.0, 1.0, 0.0, 0.0, 0)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(samples, n))
    sa = ca[idx].sum(axis=1)
    sb = cb[idx].sum(axis=1)
    deltas = _f1_from_counts(sb) - _f1_from_counts(sa)
    p = float((deltas <= 0).mean())
    lo, hi = np.percentile(deltas, [2.5, 97.5])
    return BootstrapResult(observed, p, float(lo), float(hi), samples)


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def mention_texts(words: Sequence[Sequence[str]], tags: Tags) -> set[str]:
    """Lower-cased, whitespace-normalised texts of the (strict) mentions in these sentences."""
    out = set()
    for sent_spans, w in zip(strict_spans(tags), words, strict=True):
        for _, _, s, e in sent_spans:
            out.add(_norm(" ".join(w[s:e])))
    return out


@dataclass(frozen=True, slots=True)
class SeenUnseen:
    seen: PRF
    unseen: PRF


def seen_unseen(
    words: Sequence[Sequence[str]], gold: Tags, pred: Tags, known_mentions: set[str]
) -> SeenUnseen:
    """Strict P/R/F1 split by whether a mention's text occurs among ``known_mentions`` (the
    mentions of the training + synthetic data). Gold and predicted mentions are split by the
    same rule, so precision and recall are both defined on each side."""
    _check(gold, pred)
    gs, ps = strict_spans(gold), strict_spans(pred)
    counts = {True: [0, 0, 0], False: [0, 0, 0]}
    for w, g, p in zip(words, gs, ps, strict=True):

        def seen(span: Span, w: Sequence[str] = w) -> bool:
            return _norm(" ".join(w[span[2] : span[3]])) in known_mentions

        for span in g & p:
            counts[seen(span)][0] += 1
        for span in p:
            counts[seen(span)][1] += 1
        for span in g:
            counts[seen(span)][2] += 1
    return SeenUnseen(PRF.from_counts(*counts[True]), PRF.from_counts(*counts[False]))
