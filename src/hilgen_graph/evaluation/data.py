"""What the evaluation needs from the other parts, in one place: dataset splits (corpus
registry), k-shot samples (corpus sampler) and KG-arm synthetic data (expansion)."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hilgen_graph.corpus.records import Sentence
from hilgen_graph.errors import ConfigError, EvaluationError
from hilgen_graph.evaluation.config import DatasetSpec, KGConfig
from hilgen_graph.settings import cache_dir
from hilgen_graph.synthetic import SyntheticRecord

if TYPE_CHECKING:
    from hilgen_graph.corpus.kshot import KShotSample

__all__ = [
    "Sentence",
    "Splits",
    "available_datasets",
    "load_splits",
    "seed_sample",
    "check_seed_sentences",
    "kg_layers",
    "kg_synthetic",
]


@dataclass(frozen=True)
class Splits:
    name: str
    train: list[Sentence]
    dev: list[Sentence]
    test: list[Sentence]
    train_file: str = ""  # file name of the training split (recorded in sample files)
    skipped: tuple[str, ...] = ()  # malformed records skipped (lenient), as the reader says


def available_datasets() -> list[str]:
    """Registered corpora that have train, dev and test splits."""
    from hilgen_graph.datasets import SOURCES

    return sorted(
        name
        for name, src in SOURCES.items()
        if {"train", "dev", "test"} <= {split for split, _ in src.splits}
    )


def load_splits(spec: DatasetSpec) -> Splits:
    """Read the three splits of a registered corpus (or the files the spec names)."""
    from hilgen_graph.corpus.load import read_corpus
    from hilgen_graph.datasets import dataset_path

    parts = {}
    names = {}
    skipped: list[str] = []
    for split in ("train", "dev", "test"):
        fmt: str | None
        if spec.custom:
            given = getattr(spec, split)
            if given is None:
                raise ConfigError(f"dataset {spec.name}: give all three of train, dev and test")
            path = Path(given).expanduser()
            fmt = None
        else:
            path = dataset_path(spec.name, split, spec.form)
            fmt = spec.form if spec.form != "iob" else "conll"
        read = read_corpus(path, fmt, collapse_to=spec.collapse_to, lenient=spec.lenient)
        parts[split] = read.corpus.sentences
        names[split] = path.name
        skipped += [f"{split}: {i.describe()}" for i in read.report.skipped]
    return Splits(
        spec.name, parts["train"], parts["dev"], parts["test"], names["train"], tuple(skipped)
    )


def seed_sample(
    pool: Sequence[Sentence],
    k: int,
    seed: int,
    scheme: str,
    *,
    collapse_to: str | None,
    sample_file: Path,
    corpus: str = "",
) -> KShotSample:
    """The k-shot sample of one seed: reread from the run folder's ``sample.json`` when it is
    there (run folders of earlier releases kept ``{"ids": [...]}``), else drawn exactly as
    ``hilgen corpus sample`` draws it (``pool`` is the collapsed training split) and saved."""
    from hilgen_graph.corpus.kshot import KShotSample, draw_sample, load_sample, save_sample

    if sample_file.is_file():
        raw = json.loads(sample_file.read_text(encoding="utf-8"))
        if isinstance(raw, dict) and "ids" in raw:
            return KShotSample(tuple(raw["ids"]), k, seed, scheme, collapse_to, corpus, len(pool))
        return load_sample(sample_file)
    drawn = draw_sample(pool, k, seed, scheme, collapse_to=collapse_to, corpus=corpus)
    save_sample(drawn, sample_file)
    return drawn


def check_seed_sentences(
    records: Sequence[SyntheticRecord], sample: KShotSample, source: str | Path
) -> None:
    """Refuse synthetic records made from a gold sentence outside the run's k-shot sample:
    training on them would leak gold sentences beyond the k shots into the variant."""
    from hilgen_graph.corpus.kshot import outside_sample

    outside = outside_sample((r.provenance.seed_sentence_id for r in records), sample)
    if outside:
        first = next(
            i for i, r in enumerate(records, 1) if r.provenance.seed_sentence_id == outside[0]
        )
        raise EvaluationError(
            f"{source}: {len(outside)} seed sentence(s) of the synthetic records are not in this "
            f"run's k-shot sample ({sample.describe()}), e.g. {outside[:3]} (record {first}); "
            "training on them would leak gold sentences from outside the sample. How to fix: "
            "generate the synthetic data from the same sample (`hilgen corpus sample ... --out "
            "S.json`, then `--sample S.json` for `augment kg` / `generate llm`)"
        )


def kg_layers() -> list[str]:
    """The layer names a ``kg:<layer>`` variant may name (the grounding layer's walk)."""
    from hilgen_graph.grounding.layers import LAYERS

    return list(LAYERS)


def store_dir(graph: str) -> Path:
    """Store folder for a graph name (``free``: built once into ``cache_dir()/graphs/free``)
    or an existing embedded store directory."""
    if graph == "free":
        return cache_dir() / "graphs" / "free"
    path = Path(graph).expanduser()
    if not path.exists():
        raise ConfigError(
            f"graph store {path} does not exist; build one with `hilgen graph load` or use "
            "`graph: free` (MeSH + Disease Ontology + Semantic Network, built on first use)"
        )
    return path


# the packages whose code decides what the KG arm writes (the walk, names, linking, the
# store's queries, tokenising and retagging, the held-out guard)
KG_CODE_PACKAGES: tuple[str, ...] = ("grounding", "kg_arm", "graph", "corpus", "validation")


@functools.cache  # the code does not change under a running process: read it once
def kg_code_digest() -> str:
    """One hash of the source of :data:`KG_CODE_PACKAGES`: KG data saved by other code is
    remade (a run is retrained only when the records it selects change)."""
    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    for pkg in KG_CODE_PACKAGES:
        for f in sorted((root / pkg).rglob("*.py")):
            h.update(f.relative_to(root).as_posix().encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def kg_store_fingerprint(kg: KGConfig) -> str | None:
    """The fingerprint of the KG arm's store, ``None`` when it is not built yet."""
    from hilgen_graph.graph.backends import open_store

    path = store_dir(kg.graph)
    if not (path / "graph.lbug").is_file():
        return None
    store = open_store("embedded", path=path, read_only=True)
    try:
        return store.fingerprint()
    finally:
        store.close()


def kg_synthetic(
    sample: Sequence[Sentence],
    kg: KGConfig,
    seed: int,
    eval_sentences: Sequence[Sentence] = (),
) -> list[SyntheticRecord]:
    """KG-arm records for the sampled sentences, every configured layer, using the same seed;
    dev/test sentences feed the arm's leakage guard."""
    from hilgen_graph.graph.backends import ensure_free_store, open_store
    from hilgen_graph.grounding.label_groups import parse_label_groups
    from hilgen_graph.grounding.layers import LayerConfig, parse_layers
    from hilgen_graph.grounding.store_index import index_for_store
    from hilgen_graph.kg_arm.augment import KgConfig, augment_kg
    from hilgen_graph.kg_arm.substitution import Mentions
    from hilgen_graph.validation.guard import EvalSets

    path = store_dir(kg.graph)
    if kg.graph == "free":
        ensure_free_store(path)
    store = open_store("embedded", path=path)
    try:
        index = index_for_store(store)
        cfg = KgConfig(
            layers=parse_layers(kg.layers),
            layer_config=LayerConfig(
                top_k=kg.per_layer,
                seed=seed,
                semantic_type_match=kg.semantic_type_match,
                number_agreement=kg.number_agreement,
            ),
            labels=tuple(kg.labels) or None,
            label_groups=parse_label_groups(kg.label_groups),
            mentions=Mentions(kg.mentions),
        )
        records, _report = augment_kg(
            sample,
            store,
            config=cfg,
            index=index,
            eval_sets=EvalSets.from_sentences(eval_sentences),
        )
    finally:
        store.close()
    return records
