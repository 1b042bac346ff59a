"""Forward passes of a token classifier over words, and decoding to IOB2 tags.

One forward pass gives, per sentence, the head's logits and the last hidden state at each word's
first sub-token; the linear family decodes the logits (argmax), the nnshot family decodes the
hidden states against a support set (see ``nnshot``). Sentences are batched sorted by length.
Words cut off by the ``max_length`` limit are tagged ``O`` and counted in ``truncated_words``.
With ``precision="bf16"`` the forward pass runs under bfloat16 autocast (``precision``); logits
and hidden states are handed on as float32 either way.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from hilgen_graph.evaluation.examples import TaggedSentence
from hilgen_graph.evaluation.labels import LabelSet, first_subtoken_positions, repair_iob2
from hilgen_graph.evaluation.nnshot import (
    SupportSet,
    Transitions,
    emission_log_probs,
    label_scores,
    viterbi_batch,
)
from hilgen_graph.evaluation.precision import autocast


@dataclass
class Encoded:
    """Per sentence: logits (n_kept, L), hidden (n_kept, H), and which words were kept."""

    logits: list[torch.Tensor]
    hidden: list[torch.Tensor]
    kept: list[list[int]]  # word indices that have a first sub-token
    n_words: list[int]
    seconds: float

    @property
    def truncated_words(self) -> int:
        return sum(n - len(k) for n, k in zip(self.n_words, self.kept, strict=True))


def encode(
    model: torch.nn.Module,
    tokenizer: object,
    words: Sequence[Sequence[str]],
    *,
    max_length: int = 128,
    batch_size: int = 64,
    device: torch.device | None = None,
    want_hidden: bool = True,
    precision: str = "fp32",
) -> Encoded:
    """Run the model over ``words`` (one list of words per sentence) in inference mode."""
    dev = device or next(model.parameters()).device
    n = len(words)
    logits: list[torch.Tensor | None] = [None] * n
    hidden: list[torch.Tensor | None] = [None] * n
    kept: list[list[int]] = [[] for _ in range(n)]
    order = sorted(range(n), key=lambda i: len(words[i]))
    was_training = model.training
    model.eval()
    started = time.perf_counter()
    with torch.inference_mode(), autocast(dev, precision):
        for b in range(0, n, batch_size):
            idx = order[b : b + batch_size]
            batch = tokenizer(  # type: ignore[operator]
                [list(words[i]) for i in idx],
                is_split_into_words=True,
                truncation=True,
                max_length=max_length,
                padding=True,
                return_tensors="pt",
            )
            out = model(
                input_ids=batch["input_ids"].to(dev),
                attention_mask=batch["attention_mask"].to(dev),
                output_hidden_states=want_hidden,
            )
            for j, i in enumerate(idx):
                pos = first_subtoken_positions(batch.word_ids(j), len(words[i]))
                keep = [w for w, p in enumerate(pos) if p >= 0]
                rows = torch.tensor([pos[w] for w in keep], dtype=torch.long, device=dev)
                kept[i] = keep
                logits[i] = out.logits[j].index_select(0, rows).float().cpu()
                if want_hidden:
                    hidden[i] = out.hidden_states[-1][j].index_select(0, rows).float().cpu()
                else:
                    hidden[i] = torch.empty(0)
    if was_training:
        model.train()
    seconds = time.perf_counter() - started
    return Encoded(
        [x for x in logits if x is not None],
        [x for x in hidden if x is not None],
        kept,
        [len(w) for w in words],
        seconds,
    )


def _expand(ids: list[int], kept: list[int], n_words: int, labels: LabelSet) -> list[str]:
    tags = ["O"] * n_words
    for w, i in zip(kept, ids, strict=True):
        tags[w] = labels.labels[i]
    return repair_iob2(tags)


def decode_linear(enc: Encoded, labels: LabelSet) -> list[list[str]]:
    """Argmax of the head's logits per word, repaired to valid IOB2."""
    out = []
    for lg, kept, n in zip(enc.logits, enc.kept, enc.n_words, strict=True):
        ids = lg.argmax(dim=-1).tolist() if lg.shape[0] else []
        out.append(_expand(ids, kept, n, labels))
    return out


def build_support(
    model: torch.nn.Module,
    tokenizer: object,
    train: Sequence[TaggedSentence],
    labels: LabelSet,
    *,
    max_length: int = 128,
    batch_size: int = 64,
    precision: str = "fp32",
) -> SupportSet:
    """Every (kept) training token's normalised hidden state with its gold label."""
    enc = encode(
        model,
        tokenizer,
        [s.words for s in train],
        max_length=max_length,
        batch_size=batch_size,
        precision=precision,
    )
    tag_ids = []
    for s, kept in zip(train, enc.kept, strict=True):
        ids = labels.ids(s.tags, where=f"training sentence {s.id}:")
        tag_ids.append([ids[w] for w in kept])
    return SupportSet.build(enc.hidden, tag_ids, len(labels))


@dataclass
class NNShotDecoding:
    tags: list[list[str]]
    tokens: int
    seconds: float

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds if self.seconds > 0 else float("nan")


def decode_nnshot(
    enc: Encoded,
    support: SupportSet,
    labels: LabelSet,
    *,
    transitions: Transitions | None = None,
    temperature: float = 0.05,
    chunk: int = 8192,
) -> NNShotDecoding:
    """Nearest-support-token label per word (all query tokens scored in one chunked matmul);
    with ``transitions``, a Viterbi pass makes the sequence valid IOB2 (StructShot-style)."""
    started = time.perf_counter()
    sizes = [h.shape[0] for h in enc.hidden]
    all_q = torch.cat(enc.hidden, dim=0) if enc.hidden else torch.empty(0, 1)
    scores = label_scores(all_q, support, chunk) if all_q.shape[0] else torch.empty(0)
    per_sentence = []
    offset = 0
    for size in sizes:
        per_sentence.append(scores[offset : offset + size])
        offset += size
    if transitions is None:
        ids_list = [s.argmax(dim=-1).tolist() if s.shape[0] else [] for s in per_sentence]
    else:
        ids_list = viterbi_batch(
            [emission_log_probs(s, temperature) if s.shape[0] else s for s in per_sentence],
            transitions,
        )
    out = [
        _expand(ids, kept, n, labels)
        for ids, kept, n in zip(ids_list, enc.kept, enc.n_words, strict=True)
    ]
    return NNShotDecoding(out, int(sum(sizes)), time.perf_counter() - started)
