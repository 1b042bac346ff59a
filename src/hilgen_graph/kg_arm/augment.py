"""The knowledge-graph arm: k-shot sentences -> linked concepts -> layers -> synthetic sentences.

:func:`augment_kg` does the work on sentences already in memory and returns the records and a
:class:`KgReport`; :func:`run_kg_arm` reads the corpus, samples the k-shot set, opens the store,
finds dev/test for the leakage guard and writes the JSONL (``hilgen augment kg`` calls it).

Each written :class:`~hilgen_graph.synthetic.SyntheticRecord` carries full provenance: the seed
sentence id, the replaced entity (text, label, offsets, corpus ids), the source concept, the
related concept and its name, the layer, the relation path and the knowledge source + version.
Output is deterministic given the inputs and the seed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hilgen_graph.corpus.records import Sentence
from hilgen_graph.errors import ExpansionError
from hilgen_graph.graph.store import GraphStore
from hilgen_graph.grounding.layers import (
    LAYERS,
    Expander,
    LayerConfig,
    check_store_supports,
)
from hilgen_graph.grounding.linker import (
    DEFAULT_APPROX_THRESHOLD,
    DEFAULT_LABEL_GROUPS,
    Linker,
    LinkingReport,
)
from hilgen_graph.grounding.term_index import TermIndex
from hilgen_graph.kg_arm.substitution import substitute
from hilgen_graph.synthetic import Provenance, ReplacedEntity, SyntheticRecord, write_synthetic
from hilgen_graph.validation.guard import EvalSets, Guard, LayerCounts, find_eval_splits

Progress = Callable[[int, int], None]  # (done, total) over linked entities


@dataclass(frozen=True)
class KgConfig:
    """What to expand and how (the layer filters live in ``layer_config``)."""

    layers: tuple[str, ...] = LAYERS
    layer_config: LayerConfig = field(default_factory=LayerConfig)
    labels: tuple[str, ...] | None = None  # entity labels to expand; None: every label
    label_groups: dict[str, tuple[str, ...]] = field(
        default_factory=lambda: dict(DEFAULT_LABEL_GROUPS)
    )
    approx_threshold: float = DEFAULT_APPROX_THRESHOLD
    drop_leakage: bool = True


@dataclass
class KgReport:
    """What the arm did: linking, per-layer counts, timings, output."""

    sentences: int
    sentence_ids: list[str]
    linking: LinkingReport
    layers: dict[str, LayerCounts]
    knowledge_sources: dict[str, str]
    seconds: dict[str, float] = field(default_factory=dict)
    written: int = 0
    out: str = ""
    eval_files: list[str] = field(default_factory=list)
    index: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def made(self) -> int:
        return sum(c.made for c in self.layers.values())

    @property
    def kept(self) -> int:
        return sum(c.kept for c in self.layers.values())

    @property
    def dropped(self) -> int:
        return sum(sum(c.dropped.values()) for c in self.layers.values())

    def as_dict(self) -> dict[str, Any]:
        """The JSON printed by ``hilgen augment kg --json`` (see the CLI docstring)."""
        expand = self.seconds.get("expand", 0.0)
        return {
            "out": self.out,
            "written": self.written,
            "made": self.made,
            "kept": self.kept,
            "dropped": self.dropped,
            "sentences": self.sentences,
            "entities": len(self.linking.links),
            "linked_entities": len(self.linking.linked),
            "unlinked_entities": len(self.linking.unlinked),
            "layers": {name: c.as_dict() for name, c in self.layers.items()},
            "linking": self.linking.as_dict(),
            "knowledge_sources": self.knowledge_sources,
            "eval_files": self.eval_files,
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
            "sentences_per_second": round(self.made / expand, 1) if expand > 0 else None,
            "index": self.index,
            "sample_ids": self.sentence_ids,
            "config": self.config,
        }


def _check_labels(sentences: Sequence[Sentence], labels: tuple[str, ...] | None) -> None:
    present = sorted({e.label for s in sentences for e in s.entities})
    if labels is None:
        if not present:
            raise ExpansionError("the sentences hold no entities: nothing to link or expand")
        return
    missing = [x for x in labels if x not in present]
    if missing:
        raise ExpansionError(
            f"label(s) {', '.join(map(repr, missing))} not in the corpus sample; allowed: "
            f"{', '.join(present) or 'none (no entities)'}"
        )


def augment_kg(
    sentences: Sequence[Sentence],
    store: GraphStore,
    *,
    config: KgConfig | None = None,
    index: TermIndex | None = None,
    eval_sets: EvalSets | None = None,
    approximate_note: str = "",
    progress: Progress | None = None,
) -> tuple[list[SyntheticRecord], KgReport]:
    """Link every gold entity of ``sentences``, expand each linked concept in the configured
    layers and substitute every related name into the sentence; guard and count the results."""
    cfg = config or KgConfig()
    started = time.perf_counter()
    _check_labels(sentences, cfg.labels)
    check_store_supports(store, cfg.layers, cfg.layer_config)
    linker = Linker(
        store,
        index=index,
        label_groups=cfg.label_groups,
        approx_threshold=cfg.approx_threshold,
        approximate_note=approximate_note,
    )
    wanted = [s if cfg.labels is None else _only_labels(s, cfg.labels) for s in sentences]
    linking = linker.link_sentences(wanted)
    linked_at = time.perf_counter()
    expander = Expander(store, linker, cfg.layer_config)
    sources = expander.sources
    guard = Guard(eval_sets, sentences, drop_leakage=cfg.drop_leakage)
    counts = {name: LayerCounts() for name in cfg.layers}
    for c in counts.values():
        c.unlinked_entities = len(linking.unlinked)
    by_sentence = {s.id: s for s in sentences}
    records: list[SyntheticRecord] = []
    todo = linking.linked
    for done, link in enumerate(todo, start=1):
        sentence = by_sentence[link.sentence_id]
        ent_index = next(i for i, e in enumerate(sentence.entities) if e == link.entity)
        for layer in cfg.layers:
            layer_counts = counts[layer]
            made_any = False
            for concept in link.concepts:
                result = expander.layer(layer, concept, link.entity.label, link.entity.text)
                layer_counts.related += len(result.related)
                layer_counts.filtered.update(result.dropped)
                for n, rel in enumerate(result.related):
                    sub = substitute(sentence, link.entity, rel.name)
                    if sub.value is None:
                        guard.reject(layer_counts, str(sub.skip))
                        continue
                    v = sub.value
                    if not guard.admit(layer_counts, v.tokens, v.tags, rel.name):
                        continue
                    made_any = True
                    records.append(
                        SyntheticRecord(
                            id=f"kg:{sentence.id}:{ent_index}:{layer}:{concept.id}:{n}",
                            text=v.text,
                            tokens=list(v.tokens),
                            tags=list(v.tags),
                            provenance=Provenance(
                                arm="kg",
                                seed_sentence_id=sentence.id,
                                layer=layer,
                                replaced_entity=ReplacedEntity(
                                    text=link.entity.text,
                                    label=link.entity.label,
                                    start=link.entity.start,
                                    end=link.entity.end,
                                    concept_ids=list(link.entity.concept_ids),
                                ),
                                source_concept_id=concept.id,
                                related_concept_id=rel.concept_id,
                                related_name=rel.name,
                                relation_path=list(rel.relation_path),
                                knowledge_source=rel.knowledge_source,
                                source_version=sources.get(rel.knowledge_source, ""),
                            ),
                        )
                    )
            if made_any:
                layer_counts.linked_entities += 1
        if progress is not None:
            progress(done, len(todo))
    finished = time.perf_counter()
    report = KgReport(
        sentences=len(sentences),
        sentence_ids=[s.id for s in sentences],
        linking=linking,
        layers=counts,
        knowledge_sources=dict(sources),
        seconds={
            "link": linked_at - started,
            "expand": finished - linked_at,
            "total": finished - started,
        },
        eval_files=list(eval_sets.files) if eval_sets else [],
        index=index.as_dict() if index is not None else {},
        config={
            "layers": list(cfg.layers),
            "top_k": cfg.layer_config.top_k,
            "seed": cfg.layer_config.seed,
            "isa_source": cfg.layer_config.isa_source,
            "min_parent_depth": cfg.layer_config.min_parent_depth,
            "max_parent_descendants": cfg.layer_config.max_parent_descendants,
            "sibling_fanout": cfg.layer_config.sibling_fanout,
            "keep_label_group": cfg.layer_config.keep_label_group,
            "approx_threshold": cfg.approx_threshold,
            "drop_leakage": cfg.drop_leakage,
        },
    )
    return records, report


def _only_labels(sentence: Sentence, labels: tuple[str, ...]) -> Sentence:
    """The sentence with only the entities to expand (others stay in the text, untouched)."""
    from dataclasses import replace

    return replace(sentence, entities=tuple(e for e in sentence.entities if e.label in labels))


def load_eval_sets(
    paths: Sequence[str | Path], *, format: str | None = None, collapse_to: str | None = None
) -> EvalSets:
    """Dev/test sentences from files (format detected when ``None``)."""
    from hilgen_graph.corpus.load import load_corpus

    sentences: list[Sentence] = []
    for p in paths:
        sentences.extend(load_corpus(p, format, collapse_to=collapse_to).sentences)
    return EvalSets.from_sentences(sentences, [str(p) for p in paths])


@dataclass(frozen=True)
class KgRun:
    """Inputs of :func:`run_kg_arm` (the CLI's options)."""

    corpus: Path
    store: Path | None
    out: Path
    format: str | None = None
    k: int = 5
    seed: int = 1
    scheme: str = "hilgen"
    collapse_to: str | None = None
    dev: Path | None = None
    test: Path | None = None
    auto_eval: bool = True
    approximate: bool = True
    backend: str = "embedded"
    uri: str | None = None


def run_kg_arm(
    run: KgRun,
    config: KgConfig | None = None,
    *,
    progress: Progress | None = None,
) -> KgReport:
    """Read, sample, link, expand, guard and write the synthetic JSONL; return the report."""
    from hilgen_graph.corpus.load import load_corpus
    from hilgen_graph.corpus.sampling import sample_kshot, select
    from hilgen_graph.graph.backends import open_store
    from hilgen_graph.grounding.store_index import index_for_store

    started = time.perf_counter()
    corpus = load_corpus(run.corpus, run.format, collapse_to=run.collapse_to)
    all_sentences = corpus.sentences
    ids = sample_kshot(all_sentences, run.k, run.seed, "hilgen" if not run.scheme else run.scheme)
    sample = select(all_sentences, ids)
    eval_paths: list[Path] = [p for p in (run.dev, run.test) if p is not None]
    if not eval_paths and run.auto_eval:
        eval_paths = list(find_eval_splits(run.corpus).values())
    eval_sets = (
        load_eval_sets(eval_paths, format=None, collapse_to=run.collapse_to) if eval_paths else None
    )
    loaded = time.perf_counter()
    store = open_store(run.backend, path=run.store, uri=run.uri)
    try:
        index: TermIndex | None = None
        note = "" if run.approximate else "turned off (--no-approximate)"
        if run.approximate:
            try:
                index = index_for_store(store)
            except ExpansionError as err:
                note = str(err)
        indexed = time.perf_counter()
        cfg = config or KgConfig()
        records, report = augment_kg(
            sample,
            store,
            config=cfg,
            index=index,
            eval_sets=eval_sets,
            approximate_note=note,
            progress=progress,
        )
    finally:
        store.close()
    report.written = write_synthetic(run.out, records)
    report.out = str(run.out)
    report.seconds = {
        "read_and_sample": loaded - started,
        "index": indexed - loaded,
        **report.seconds,
        "total": time.perf_counter() - started,
    }
    report.config.update(
        {
            "corpus": str(run.corpus),
            "k": run.k,
            "sample_seed": run.seed,
            "scheme": run.scheme,
            "collapse_to": run.collapse_to,
        }
    )
    return report
