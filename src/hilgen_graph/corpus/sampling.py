"""Seeded, deterministic k-shot sampling of sentences, saved as a JSON list of sentence ids.

Two schemes:

* ``hilgen`` (HILGEN, arXiv 2503.04930): for each entity type, draw ``k`` sentences among the
  sentences that contain that type; the sample is the union of the draws (so it may hold fewer
  than ``k * types`` sentences when a drawn sentence contains several types).
* ``greedy`` (Yang & Katiyar 2020, Algorithm 1): visit the types from the rarest to the most
  frequent; while the sample holds fewer than ``k`` mentions of the type, add a random unsampled
  sentence containing it, counting the mentions of every type it brings.

Both take their randomness from ``random.Random(seed)`` only, visit types in a fixed order and
return ids in corpus order, so the same corpus, k and seed always give the same ids.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence

from hilgen_graph.corpus.records import Sentence
from hilgen_graph.errors import ConfigError, DataMissingError

SCHEMES = ("hilgen", "greedy")


def _check(sentences: Sequence[Sentence], k: int, scheme: str) -> None:
    if k < 1:
        raise ConfigError(f"k must be a positive number of shots, got {k}")
    if scheme not in SCHEMES:
        raise ConfigError(f"unknown sampling scheme {scheme!r}; allowed: {', '.join(SCHEMES)}")
    ids = [s.id for s in sentences]
    if len(set(ids)) != len(ids):
        dup = next(i for i, c in Counter(ids).items() if c > 1)
        raise ConfigError(
            f"sentence ids must be unique to sample reproducibly; {dup!r} repeats. "
            "Load the corpus with load_corpus(), which gives unique ids"
        )


def _by_label(sentences: Sequence[Sentence]) -> dict[str, list[int]]:
    """Indices of sentences containing each label, labels in sorted order."""
    out: dict[str, list[int]] = {}
    for i, sent in enumerate(sentences):
        for label in sorted({e.label for e in sent.entities}):
            out.setdefault(label, []).append(i)
    return dict(sorted(out.items()))


def sample_hilgen(sentences: Sequence[Sentence], k: int, seed: int) -> list[str]:
    """HILGEN scheme: ``k`` sentences per type among those containing it; union of the draws."""
    _check(sentences, k, "hilgen")
    rng = random.Random(seed)
    chosen: set[int] = set()
    for _label, pool in _by_label(sentences).items():
        chosen.update(rng.sample(pool, min(k, len(pool))))
    return [sentences[i].id for i in sorted(chosen)]


def sample_greedy(sentences: Sequence[Sentence], k: int, seed: int) -> list[str]:
    """Greedy scheme of Yang & Katiyar (2020): every type gets at least ``k`` mentions if it can."""
    _check(sentences, k, "greedy")
    rng = random.Random(seed)
    pools = _by_label(sentences)
    freq = Counter(e.label for s in sentences for e in s.entities)
    counts: Counter[str] = Counter()
    chosen: set[int] = set()
    for label in sorted(pools, key=lambda lab: (freq[lab], lab)):
        pool = list(pools[label])
        rng.shuffle(pool)
        for i in pool:
            if counts[label] >= k:
                break
            if i in chosen:
                continue
            chosen.add(i)
            counts.update(e.label for e in sentences[i].entities)
    return [sentences[i].id for i in sorted(chosen)]


def sample_kshot(
    sentences: Sequence[Sentence], k: int, seed: int, scheme: str = "hilgen"
) -> list[str]:
    """Sentence ids of a seeded k-shot sample (``scheme`` is ``hilgen`` or ``greedy``)."""
    if scheme == "greedy":
        return sample_greedy(sentences, k, seed)
    if scheme == "hilgen":
        return sample_hilgen(sentences, k, seed)
    _check(sentences, k, scheme)  # raises the precise error
    return []


def select(sentences: Sequence[Sentence], ids: Sequence[str]) -> list[Sentence]:
    """The sentences with these ids, in the order of ``ids``; unknown ids raise."""
    index = {s.id: s for s in sentences}
    missing = [i for i in ids if i not in index]
    if missing:
        raise DataMissingError(
            f"{len(missing)} sampled sentence id(s) are not in the corpus, e.g. {missing[:3]}; "
            "the sample was drawn from another corpus file or reader version: draw it again"
        )
    return [index[i] for i in ids]
