"""Fine-tuning a token classifier (``AutoModelForTokenClassification``) on few-shot data.

Two budget rules, chosen by the config:

* **Fixed budget with gold oversampling** (``steps`` and ``gold_per_batch`` set; the shipped
  CPU configs): every variant of a seed trains for the same ``steps`` optimisation steps, and
  every batch holds ``min(gold_per_batch, n_gold)`` gold k-shot sentences (drawn epoch by epoch
  from a seeded permutation of the gold set) plus ``batch_size - that`` synthetic sentences
  (drawn the same way from the synthetic set; none for the baseline). So each gold sentence is
  seen exactly as often in every variant as in the baseline, however many synthetic sentences
  a variant adds, and the learning-rate schedule is the same for all of them. With
  ``synthetic_balance: seed_sentence`` the synthetic part of each batch is drawn seed sentence
  by seed sentence (a seeded round over the seed sentences, each giving its next synthetic
  sentence), so a gold sentence with four mentions and 120 substitutions does not fill the
  batches with copies of its unchanged context; ``none`` draws from the synthetic set as a whole.
  ``synthetic_per_batch`` = M puts M synthetic sentences in each batch instead of the rest of
  ``batch_size`` (a smaller synthetic share of every step; the gold part is unchanged).
  ``gold_finish_steps`` = N leaves the synthetic part out of the last N batches (two-stage
  training: gold + synthetic, then gold only, so the classifier ends on the gold distribution);
  the gold part of every batch is unchanged, so the gold passes still equal the baseline's.
* **Epoch rule** (``steps`` unset; the ``paper`` config): gold and synthetic sentences are
  shuffled together and ``steps = min(max_steps, max(min_steps, epochs * ceil(n / batch)))``.

The dev set (a fixed subset of the dev split, never the test split) is scored every
``eval_every`` steps (or at ``eval_points`` evenly spaced steps); each model family keeps the
checkpoint with the best dev strict F1 (ties go to the later step), and the whole dev curve is
returned (``history``). The classification head is initialised from the seed alone (the same
initial head for every variant of a seed; its digest is returned as ``initial_head``). Torch uses
``os.cpu_count()`` threads (or the configured number) and the GPU when one is present.
``precision: bf16`` runs every forward pass (training, dev and test) under bfloat16 autocast
(``auto``: where the hardware has it; see ``precision``); the loss, gradients, weights and the
optimiser state stay float32. The nnshot family's support set is every training sentence, or
with ``nnshot_support: gold`` the gold k-shot sentences only (training is the same either way).
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import torch

from hilgen_graph.errors import EvaluationError
from hilgen_graph.evaluation.encoders import offline
from hilgen_graph.evaluation.examples import TaggedSentence
from hilgen_graph.evaluation.labels import IGNORE_INDEX, LabelSet, align_labels
from hilgen_graph.evaluation.metrics import strict_f1
from hilgen_graph.evaluation.nnshot import SupportSet, Transitions
from hilgen_graph.evaluation.precision import autocast, resolve_precision
from hilgen_graph.evaluation.predict import (
    Encoded,
    build_support,
    decode_linear,
    decode_nnshot,
    encode,
)

Family = Literal["linear", "nnshot"]
FAMILIES: tuple[str, ...] = ("linear", "nnshot")
# nnshot's support sentences: every training sentence (gold + synthetic) or the gold ones only
NnshotSupport = Literal["train", "gold"]


@dataclass(frozen=True)
class TrainSettings:
    lr: float = 5e-5
    batch_size: int = 32
    max_length: int = 128
    epochs: int = 10
    min_steps: int = 30
    max_steps: int = 200
    eval_points: int = 4
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    eval_batch_size: int = 64
    nnshot_viterbi: bool = True
    nnshot_temperature: float = 0.05
    device: str = "auto"  # auto | cpu | cuda
    threads: int | None = None  # default: $HILGEN_TORCH_THREADS, else os.cpu_count()
    steps: int | None = None  # fixed budget: the same number of steps for every variant
    gold_per_batch: int | None = None  # gold sentences in every batch (fixed-budget rule)
    eval_every: int | None = None  # dev check every N steps (else eval_points spaced evenly)
    synthetic_balance: str = "none"  # none | seed_sentence (see the module docstring)
    gold_finish_steps: int = 0  # the last N batches hold gold sentences only (fixed budget)
    synthetic_per_batch: int | None = None  # fixed budget: default batch_size - the gold ones
    precision: str = "fp32"  # fp32 | bf16 | auto (bf16 where native; see ``precision``)
    nnshot_support: NnshotSupport = "train"

    def support_sentences(
        self, train: Sequence[TaggedSentence], n_gold: int
    ) -> Sequence[TaggedSentence]:
        """The sentences whose tokens form the nnshot support set: every training sentence, or
        with ``nnshot_support="gold"`` only the first ``n_gold`` (the k-shot sample)."""
        return train[:n_gold] if self.nnshot_support == "gold" else train

    def steps_for(self, n_train: int) -> int:
        if self.steps is not None:
            return self.steps
        per_epoch = math.ceil(n_train / self.batch_size)
        return min(self.max_steps, max(self.min_steps, self.epochs * per_epoch))

    def eval_steps(self, steps: int) -> list[int]:
        """The steps after which the dev subset is scored (always including the last one)."""
        if self.eval_every is not None:
            return sorted({*range(self.eval_every, steps + 1, self.eval_every), steps})
        return sorted(
            {max(1, round(steps * i / self.eval_points)) for i in range(1, self.eval_points + 1)}
        )

    def batch_plan(
        self,
        n_gold: int,
        n_synthetic: int,
        steps: int,
        seed: int,
        synthetic_groups: Sequence[str] | None = None,
    ) -> list[list[int]]:
        """Indices into ``gold + synthetic`` for each step (see the module docstring);
        ``synthetic_groups`` names each synthetic sentence's seed sentence (for the balance)."""
        if self.gold_per_batch is None:
            return _batches(n_gold + n_synthetic, self.batch_size, steps, seed)
        g = min(self.gold_per_batch, n_gold, self.batch_size)
        gold = _batches(n_gold, g, steps, seed)
        n_syn = (
            self.batch_size - g
            if self.synthetic_per_batch is None
            else min(self.synthetic_per_batch, self.batch_size - g)
        )
        if not n_synthetic or n_syn <= 0:
            return gold
        if self.synthetic_balance == "seed_sentence":
            if synthetic_groups is None or len(synthetic_groups) != n_synthetic:
                raise EvaluationError(
                    "synthetic_balance seed_sentence needs the seed sentence of every synthetic "
                    "sentence"
                )
            syn = _balanced_batches(synthetic_groups, n_syn, steps, seed + 1)
        else:
            syn = _batches(n_synthetic, n_syn, steps, seed + 1)
        mixed = max(0, steps - self.gold_finish_steps)  # the steps whose batches hold synthetic
        return [
            a + [n_gold + j for j in b] if step < mixed else a
            for step, (a, b) in enumerate(zip(gold, syn, strict=True))
        ]


THREADS_ENV = "HILGEN_TORCH_THREADS"


def torch_threads(configured: int | None = None) -> int:
    """Threads for torch: the config's value, else ``$HILGEN_TORCH_THREADS``, else the
    machine's CPU count. (On a CPU shared with other busy processes one thread is often faster
    than two: OpenMP threads wait for each other.)"""
    if configured:
        return configured
    env = os.environ.get(THREADS_ENV)
    if env:
        try:
            return max(1, int(env))
        except ValueError as err:
            raise EvaluationError(f"{THREADS_ENV}={env!r} is not a number of threads") from err
    return os.cpu_count() or 1


def set_seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def pick_device(name: str = "auto") -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise EvaluationError("device 'cuda' asked for but no GPU is visible; use 'auto' or 'cpu'")
    return torch.device(name)


def load_tokenizer(encoder_dir: Path) -> object:
    offline()
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(str(encoder_dir), local_files_only=True)
    except (OSError, ValueError) as err:
        raise EvaluationError(f"{encoder_dir}: cannot load the tokenizer: {err}") from err


def load_model(encoder_dir: Path, labels: LabelSet) -> torch.nn.Module:
    """A token-classification model with a fresh head; ``id2label``/``label2id`` in its config."""
    offline()
    from transformers import AutoModelForTokenClassification
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # "some weights newly initialised" is expected here
    hf_logging.disable_progress_bar()
    try:
        model = AutoModelForTokenClassification.from_pretrained(
            str(encoder_dir),
            num_labels=len(labels),
            id2label=labels.id2label,
            label2id=labels.label2id,
            local_files_only=True,
        )
    except (OSError, ValueError) as err:
        raise EvaluationError(f"{encoder_dir}: cannot load the encoder: {err}") from err
    return model


def head_digest(model: torch.nn.Module) -> str:
    """A short digest of the classification head's weights (to show that every variant of a
    seed starts from the same head)."""
    head = getattr(model, "classifier", None)
    params = head.state_dict() if isinstance(head, torch.nn.Module) else model.state_dict()
    h = hashlib.sha256()
    for name in sorted(params):
        h.update(name.encode())
        h.update(params[name].detach().to("cpu").contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


@dataclass
class FamilyResult:
    best_step: int
    dev_f1: float
    dev_tags: list[list[str]]
    state: dict[str, torch.Tensor] | None = None
    support: SupportSet | None = None  # nnshot: the support set of this checkpoint


@dataclass
class TrainedTagger:
    """A fine-tuned model with the dev-selected checkpoint of each family."""

    model: torch.nn.Module
    tokenizer: object
    labels: LabelSet
    settings: TrainSettings
    train: list[TaggedSentence]
    families: dict[str, FamilyResult]
    steps: int
    history: list[dict[str, float]] = field(default_factory=list)
    initial_head: str = ""  # sha256 prefix of the freshly initialised head (same per seed)
    n_gold: int = 0
    gold_passes: int = 0  # gold sentence passes over the whole run
    train_seconds: float = 0.0
    train_sentence_passes: int = 0
    eval_seconds: float = 0.0
    missing_support_labels: list[str] = field(default_factory=list)

    @property
    def train_sentences_per_second(self) -> float:
        return self.train_sentence_passes / self.train_seconds if self.train_seconds else 0.0

    def transitions(self) -> Transitions | None:
        if not self.settings.nnshot_viterbi:
            return None
        return Transitions.estimate([s.tags for s in self.train], self.labels)

    def predict(
        self, words: Sequence[Sequence[str]]
    ) -> tuple[dict[str, list[list[str]]], dict[str, float]]:
        """Tags for each family from its selected checkpoint, and timing figures."""
        out: dict[str, list[list[str]]] = {}
        timing: dict[str, float] = {}
        cache: dict[int, Encoded] = {}
        for fam, res in self.families.items():
            if res.state is not None:
                self.model.load_state_dict(res.state)
            enc = cache.get(res.best_step)
            if enc is None:
                enc = encode(
                    self.model,
                    self.tokenizer,
                    words,
                    max_length=self.settings.max_length,
                    batch_size=self.settings.eval_batch_size,
                    want_hidden="nnshot" in self.families,
                    precision=self.settings.precision,
                )
                cache[res.best_step] = enc
                timing["inference_seconds"] = timing.get("inference_seconds", 0.0) + enc.seconds
                timing["inference_sentences"] = timing.get("inference_sentences", 0) + len(words)
                timing["truncated_words"] = float(enc.truncated_words)
            if fam == "linear":
                out[fam] = decode_linear(enc, self.labels)
            else:
                support = res.support or build_support(
                    self.model,
                    self.tokenizer,
                    self.settings.support_sentences(self.train, self.n_gold),
                    self.labels,
                    max_length=self.settings.max_length,
                    batch_size=self.settings.eval_batch_size,
                    precision=self.settings.precision,
                )
                dec = decode_nnshot(
                    enc,
                    support,
                    self.labels,
                    transitions=self.transitions(),
                    temperature=self.settings.nnshot_temperature,
                )
                out[fam] = dec.tags
                timing["nnshot_tokens"] = float(dec.tokens)
                timing["nnshot_decode_seconds"] = dec.seconds
                timing["nnshot_support_tokens"] = float(support.embeddings.shape[0])
        return out, timing


def _batches(n: int, batch_size: int, steps: int, seed: int) -> list[list[int]]:
    """``steps`` batches drawn epoch by epoch from a seeded permutation (no replacement within
    an epoch; a set smaller than the batch gives batches of the whole set)."""
    rng = random.Random(seed)
    out: list[list[int]] = []
    perm: list[int] = []
    while len(out) < steps:
        if len(perm) < min(batch_size, n):
            perm += rng.sample(range(n), n)
        out.append(perm[:batch_size])
        perm = perm[batch_size:]
    return out


def _balanced_batches(
    groups: Sequence[str], batch_size: int, steps: int, seed: int
) -> list[list[int]]:
    """``steps`` batches of synthetic indices drawn group by group: rounds over the groups in
    a seeded order, each group giving the next index of its own seeded permutation (refilled
    when used up), so every group is drawn equally often whatever its size."""
    rng = random.Random(seed)
    members: dict[str, list[int]] = {}
    for i, grp in enumerate(groups):
        members.setdefault(grp, []).append(i)
    names = sorted(members)
    queues: dict[str, list[int]] = {n: [] for n in names}
    order: list[str] = []
    out: list[list[int]] = []
    for _ in range(steps):
        batch: list[int] = []
        while len(batch) < min(batch_size, len(groups)):
            if not order:
                order = rng.sample(names, len(names))
            name = order.pop()
            if not queues[name]:
                queues[name] = rng.sample(members[name], len(members[name]))
            batch.append(queues[name].pop())
        out.append(batch)
    return out


def train_tagger(
    train: Sequence[TaggedSentence],
    dev: Sequence[TaggedSentence],
    labels: LabelSet,
    encoder_dir: Path,
    settings: TrainSettings,
    *,
    seed: int,
    families: Sequence[str] = ("linear",),
    on_step: Callable[[int, int], None] | None = None,
    synthetic: Sequence[TaggedSentence] = (),
    synthetic_groups: Sequence[str] | None = None,
) -> TrainedTagger:
    """Fine-tune on the gold ``train`` sentences plus ``synthetic`` ones, select each family's
    checkpoint on ``dev``; return the tagger.

    ``on_step(done, total)`` is called after every optimisation step (for progress bars)."""
    if not train:
        raise EvaluationError("no training sentences: the k-shot sample is empty")
    unknown = [f for f in families if f not in FAMILIES]
    if unknown:
        raise EvaluationError(f"unknown model family {unknown}; available: {list(FAMILIES)}")
    torch.set_num_threads(torch_threads(settings.threads))
    set_seed(seed)
    device = pick_device(settings.device)
    # the precision this run uses ("auto" resolved), kept in the tagger's settings for predict()
    settings = dataclasses.replace(
        settings, precision=resolve_precision(settings.precision, device)
    )
    tokenizer = load_tokenizer(encoder_dir)
    model = load_model(encoder_dir, labels).to(device)
    initial_head = head_digest(model)

    n_gold = len(train)
    train = list(train) + list(synthetic)
    label_ids = [labels.ids(s.tags, where=f"training sentence {s.id}:") for s in train]
    features = []
    for s, ids in zip(train, label_ids, strict=True):
        enc = tokenizer(
            list(s.words),
            is_split_into_words=True,
            truncation=True,  # type: ignore[operator]
            max_length=settings.max_length,
        )
        features.append((enc["input_ids"], align_labels(enc.word_ids(), ids)))

    steps = settings.steps_for(len(train))
    eval_at = set(settings.eval_steps(steps))
    plan = settings.batch_plan(n_gold, len(train) - n_gold, steps, seed, synthetic_groups)
    gold_passes = sum(1 for b in plan for i in b if i < n_gold)
    no_decay = ("bias", "LayerNorm.weight", "layer_norm.weight")
    params = [
        {
            "params": [p for n, p in model.named_parameters() if not any(k in n for k in no_decay)],
            "weight_decay": settings.weight_decay,
        },
        {
            "params": [p for n, p in model.named_parameters() if any(k in n for k in no_decay)],
            "weight_decay": 0.0,
        },
    ]
    # the fused AdamW kernel (one pass over all parameters, as `transformers.Trainer` uses)
    optim = torch.optim.AdamW(params, lr=settings.lr, fused=True)
    warmup = int(settings.warmup_ratio * steps)

    def lr_lambda(step: int) -> float:
        if step < warmup:
            return (step + 1) / max(1, warmup)
        return max(0.0, (steps - step) / max(1, steps - warmup))

    sched = torch.optim.lr_scheduler.LambdaLR(optim, lr_lambda)
    pad_id = getattr(tokenizer, "pad_token_id", 0) or 0
    dev_words = [d.words for d in dev]
    dev_gold = [list(d.tags) for d in dev]
    transitions = (
        Transitions.estimate([s.tags for s in train], labels) if settings.nnshot_viterbi else None
    )
    best: dict[str, FamilyResult] = {}
    history: list[dict[str, float]] = []
    train_seconds = 0.0
    eval_seconds = 0.0
    passes = 0
    missing: list[str] = []
    model.train()
    for step, batch_idx in enumerate(plan, 1):
        t0 = time.perf_counter()
        width = max(len(features[i][0]) for i in batch_idx)
        inp = torch.full((len(batch_idx), width), pad_id, dtype=torch.long)
        att = torch.zeros((len(batch_idx), width), dtype=torch.long)
        lab = torch.full((len(batch_idx), width), IGNORE_INDEX, dtype=torch.long)
        for r, i in enumerate(batch_idx):
            x, y = features[i]
            inp[r, : len(x)] = torch.tensor(x)
            att[r, : len(x)] = 1
            lab[r, : len(y)] = torch.tensor(y)
        with autocast(device, settings.precision):
            out = model(
                input_ids=inp.to(device), attention_mask=att.to(device), labels=lab.to(device)
            )
        loss = out.loss
        if not torch.isfinite(loss):
            raise EvaluationError(f"training diverged at step {step}: loss {float(loss)}")
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optim.step()
        sched.step()
        optim.zero_grad(set_to_none=True)
        train_seconds += time.perf_counter() - t0
        passes += len(batch_idx)
        if on_step is not None:
            on_step(step, steps)
        if step not in eval_at:
            continue
        t1 = time.perf_counter()
        record: dict[str, float] = {"step": step, "loss": loss.item()}
        enc = encode(
            model,
            tokenizer,
            dev_words,
            max_length=settings.max_length,
            batch_size=settings.eval_batch_size,
            want_hidden="nnshot" in families,
            precision=settings.precision,
        )
        for fam in families:
            if fam == "linear":
                tags = decode_linear(enc, labels)
            else:
                support: SupportSet = build_support(
                    model,
                    tokenizer,
                    settings.support_sentences(train, n_gold),
                    labels,
                    max_length=settings.max_length,
                    batch_size=settings.eval_batch_size,
                    precision=settings.precision,
                )
                missing = support.missing_labels(labels)
                tags = decode_nnshot(
                    enc,
                    support,
                    labels,
                    transitions=transitions,
                    temperature=settings.nnshot_temperature,
                ).tags
            f1 = strict_f1(dev_gold, tags) if dev_gold else 0.0
            record[f"dev_f1_{fam}"] = f1
            if fam not in best or f1 >= best[fam].dev_f1:
                state = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
                best[fam] = FamilyResult(
                    step, f1, tags, state, support if fam == "nnshot" else None
                )
        history.append(record)
        eval_seconds += time.perf_counter() - t1
        model.train()
    model.eval()
    # share one state dict between families that chose the same step
    by_step: dict[int, dict[str, torch.Tensor]] = {}
    for res in best.values():
        if res.state is not None:
            res.state = by_step.setdefault(res.best_step, res.state)
    return TrainedTagger(
        model=model,
        tokenizer=tokenizer,
        labels=labels,
        settings=settings,
        train=train,
        families=best,
        steps=steps,
        history=history,
        initial_head=initial_head,
        n_gold=n_gold,
        gold_passes=gold_passes,
        train_seconds=train_seconds,
        train_sentence_passes=passes,
        eval_seconds=eval_seconds,
        missing_support_labels=missing,
    )
