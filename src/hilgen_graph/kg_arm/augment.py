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
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hilgen_graph.atomic import write_json
from hilgen_graph.corpus.records import Entity, Sentence
from hilgen_graph.errors import ExpansionError
from hilgen_graph.graph.normalize import normalize
from hilgen_graph.graph.records import Concept
from hilgen_graph.graph.store import GraphStore
from hilgen_graph.grounding.layers import (
    LAYERS,
    Expander,
    LayerConfig,
    check_store_supports,
)
from hilgen_graph.grounding.linker import DEFAULT_APPROX_THRESHOLD, Link, Linker, LinkingReport
from hilgen_graph.grounding.records import Excluded, LabelProfile, LayerWalk, RelatedConcept
from hilgen_graph.grounding.term_index import TermIndex
from hilgen_graph.kg_arm.substitution import Mentions, coreferent, substitute
from hilgen_graph.synthetic import (
    CoSubstitution,
    InsertedName,
    Provenance,
    ReplacedEntity,
    SyntheticRecord,
    write_synthetic,
)
from hilgen_graph.validation.guard import (
    Guard,
    HeldoutIndex,
    LayerCounts,
    find_eval_splits,
    load_heldout,
)
from hilgen_graph.validation.report import meta_path

Progress = Callable[[int, int], None]  # (done, total) over linked entities


@dataclass(frozen=True)
class KgConfig:
    """What to expand and how (the layer filters live in ``layer_config``)."""

    layers: tuple[str, ...] = LAYERS
    layer_config: LayerConfig = field(default_factory=LayerConfig)
    labels: tuple[str, ...] | None = None  # entity labels to expand; None: every label
    # the user's LABEL -> semantic groups (overrides the registry; see grounding.label_groups)
    label_groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    approx_threshold: float = DEFAULT_APPROX_THRESHOLD
    drop_leakage: bool = True
    # replace a mention together with its co-referent mentions (group) or alone (one)
    mentions: Mentions = Mentions.GROUP


MAX_EXCLUDED_EXAMPLES = 8


@dataclass
class ProfileExclusions:
    """What one label's walks excluded: counts per filter and a few example names per filter."""

    counts: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def add(self, excluded: Sequence[Excluded]) -> None:
        for e in excluded:
            self.counts[e.filter] += 1
            ex = self.examples.setdefault(e.filter, [])
            if len(ex) < MAX_EXCLUDED_EXAMPLES and e.name not in ex:
                ex.append(e.name)

    def as_dict(self) -> dict[str, Any]:
        return {
            "by_filter": dict(sorted(self.counts.items())),
            "examples": {k: v for k, v in sorted(self.examples.items())},
        }


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
    profiles: dict[str, LabelProfile] = field(default_factory=dict)
    profile_excluded: dict[str, ProfileExclusions] = field(default_factory=dict)
    corpus_skipped: list[str] = field(default_factory=list)  # malformed records (--lenient)
    # linked mentions not expanded on their own: an earlier co-referent mention was, and its
    # sentences replace them too (mentions=group)
    coreferent_skipped: int = 0

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
            "coreferent_skipped": self.coreferent_skipped,
            "layers": {name: c.as_dict() for name, c in self.layers.items()},
            "linking": self.linking.as_dict(),
            "knowledge_sources": self.knowledge_sources,
            "corpus_skipped": self.corpus_skipped,
            "eval_files": self.eval_files,
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
            "sentences_per_second": round(self.made / expand, 1) if expand > 0 else None,
            "index": self.index,
            "sample_ids": self.sentence_ids,
            "config": self.config,
            "label_profiles": {
                label: {
                    **p.as_dict(),
                    "excluded": (
                        self.profile_excluded[label].as_dict()
                        if label in self.profile_excluded
                        else {}
                    ),
                }
                for label, p in self.profiles.items()
            },
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
    eval_sets: HeldoutIndex | None = None,
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
    profiles = linker.learn_profiles(wanted)
    linking = linker.link_sentences(wanted)
    linked_at = time.perf_counter()
    expander = Expander(store, linker, cfg.layer_config)
    sources = expander.sources
    guard = Guard(eval_sets, sentences, drop_leakage=cfg.drop_leakage)
    counts = {name: LayerCounts() for name in cfg.layers}
    for c in counts.values():
        c.unlinked_entities = len(linking.unlinked)
    excluded_by_label = {label: ProfileExclusions() for label in profiles}
    by_sentence = {s.id: s for s in sentences}
    records: list[SyntheticRecord] = []
    todo = linking.linked
    expanded: set[tuple[str, tuple[tuple[int, int], ...]]] = set()  # co-reference groups done
    coreferent_skipped = 0
    walks = _Walks(expander, todo)
    # each linked mention's co-reference group, made once (the ALL mode reads them twice)
    groups = [coreferent(by_sentence[x.sentence_id], x.entity) for x in todo]
    co_groups = _co_groups(todo, groups) if cfg.mentions is Mentions.ALL else {}
    for done, link in enumerate(todo, start=1):
        at = done - 1
        sentence = by_sentence[link.sentence_id]
        ent_index = next(i for i, e in enumerate(sentence.entities) if e == link.entity)
        label = link.entity.label
        group = groups[at]
        if cfg.mentions is not Mentions.ONE:
            # a group is expanded once, from its first linked mention: the later ones would
            # only make the same sentences again
            key = (sentence.id, tuple((e.start, e.end) for e in group))
            if key in expanded:
                coreferent_skipped += 1
                if progress is not None:
                    progress(done, len(todo))
                continue
            expanded.add(key)
        others = [
            (j, g) for j, g in co_groups.get(sentence.id, []) if j != at and not _shares(g, group)
        ]
        for layer in cfg.layers:
            layer_counts = counts[layer]
            made_any = False
            m = 0  # the running index of this mention's names in the layer
            for concept, walk in walks.of(at, layer):
                layer_counts.related += len(walk.picked)
                layer_counts.filtered.update(walk.dropped)
                excluded_by_label.setdefault(label, ProfileExclusions()).add(walk.excluded)
                for n, rel in enumerate(walk.picked):
                    co = _co_names(others, walks, layer, m, rel.name)
                    m += 1
                    record = _substituted(
                        sentence,
                        link,
                        ent_index,
                        concept.id,
                        n,
                        rel,
                        sources,
                        cfg.mentions,
                        group,
                        co,
                    )
                    if isinstance(record, str):
                        guard.reject(layer_counts, record)
                        continue
                    if not guard.admit(layer_counts, record.tokens, record.tags, rel.name):
                        continue
                    made_any = True
                    records.append(record)
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
            "mentions": str(cfg.mentions),
            "label_groups": {k: list(v) for k, v in cfg.label_groups.items()},
        },
        profiles=profiles,
        profile_excluded=excluded_by_label,
        coreferent_skipped=coreferent_skipped,
    )
    return records, report


class _Walks:
    """Each linked mention's walk per layer, made once: with ``mentions: all`` a mention's
    names are also drawn for the other mentions' sentences."""

    def __init__(self, expander: Expander, links: Sequence[Link]) -> None:
        self.expander = expander
        self.links = links
        self._done: dict[tuple[int, str], list[tuple[Concept, LayerWalk]]] = {}

    def of(self, at: int, layer: str) -> list[tuple[Concept, LayerWalk]]:
        """The walk of ``links[at]`` in ``layer``, one per linked concept."""
        key = (at, layer)
        if key not in self._done:
            link = self.links[at]
            self._done[key] = [
                (c, self.expander.layer(layer, c, link.entity.label, link.entity.text))
                for c in link.concepts
            ]
        return self._done[key]

    def names(self, at: int, layer: str) -> list[RelatedConcept]:
        """The related concepts picked for ``links[at]`` in ``layer``, in walk order."""
        return [rel for _, walk in self.of(at, layer) for rel in walk.picked]


def _shares(a: Sequence[Entity], b: Sequence[Entity]) -> bool:
    return bool({(e.start, e.end) for e in a} & {(e.start, e.end) for e in b})


def _co_groups(
    links: Sequence[Link], groups: Sequence[tuple[Entity, ...]]
) -> dict[str, list[tuple[int, tuple[Entity, ...]]]]:
    """Per sentence, each co-reference group of its linked mentions once (from its first linked
    mention, as the main walk takes them): ``(index into links, group)``; a group that shares
    a mention with an earlier one is left out."""
    out: dict[str, list[tuple[int, tuple[Entity, ...]]]] = {}
    for at, (link, group) in enumerate(zip(links, groups, strict=True)):
        have = out.setdefault(link.sentence_id, [])
        if not any(_shares(g, group) for _, g in have):
            have.append((at, group))
    return out


def _co_names(
    others: Sequence[tuple[int, tuple[Entity, ...]]],
    walks: _Walks,
    layer: str,
    m: int,
    name: str,
) -> list[tuple[tuple[Entity, ...], RelatedConcept]]:
    """For the ``m``-th sentence of a mention in ``layer``: a name for each other mention's
    group, from that mention's own walk in the layer (its ``m + 1``-th name, cycling), skipping
    names the sentence holds already; a mention with no such name keeps its text.

    The offset of one keeps two mentions' walks from making the same sentences: A's ``n``-th
    sentence pairs ``a[n]`` with ``b[n + 1]``, B's ``m``-th pairs ``b[m]`` with ``a[m + 1]``,
    which meet only when a walk has one or two names (with no offset, every pair ``a[n], b[n]``
    was made twice and the guard dropped the second as a duplicate: about half the sentences).
    """
    used = {normalize(name)}
    out: list[tuple[tuple[Entity, ...], RelatedConcept]] = []
    for j, group in others:
        names = walks.names(j, layer)
        for step in range(len(names)):
            rel = names[(m + 1 + step) % len(names)]
            key = normalize(rel.name)
            if key not in used:
                used.add(key)
                out.append((group, rel))
                break
    return out


def _substituted(
    sentence: Sentence,
    link: Link,
    ent_index: int,
    concept_id: str,
    n: int,
    rel: RelatedConcept,
    sources: Mapping[str, str],
    mentions: Mentions = Mentions.GROUP,
    group: Sequence[Entity] | None = None,
    co: Sequence[tuple[tuple[Entity, ...], RelatedConcept]] = (),
) -> SyntheticRecord | str:
    """The synthetic record for substituting ``rel``'s name for the linked mention (and, with
    ``mentions=group``, its co-referent mentions; with ``mentions=all``, ``co``'s names for
    other mentions too), or why there is none (a :class:`SubstitutionSkip` text)."""
    sub = substitute(
        sentence,
        link.entity,
        rel.name,
        mentions=mentions,
        group=group,
        co=[(g, r.name) for g, r in co],
    )
    if sub.value is None:
        return str(sub.skip)
    v = sub.value
    applied = [co[i] for i in v.co_applied]
    return SyntheticRecord(
        id=f"kg:{sentence.id}:{ent_index}:{rel.layer}:{concept_id}:{n}",
        text=v.text,
        tokens=list(v.tokens),
        tags=list(v.tags),
        provenance=Provenance(
            arm="kg",
            seed_sentence_id=sentence.id,
            layer=rel.layer,
            replaced_entity=_replaced(link.entity),
            source_concept_id=concept_id,
            related_concept_id=rel.concept_id,
            related_name=rel.name,
            relation_path=list(rel.relation_path),
            knowledge_source=rel.knowledge_source,
            source_version=sources.get(rel.knowledge_source, ""),
            co_substituted=[
                CoSubstitution(
                    replaced_entity=_replaced(g[0]),
                    related_concept_id=r.concept_id,
                    related_name=r.name,
                )
                for g, r in applied
            ],
            inserted=(
                [InsertedName(start=a, end=b, replaced=old) for a, b, old in v.inserted]
                if applied
                else []
            ),
        ),
    )


def _replaced(entity: Entity) -> ReplacedEntity:
    return ReplacedEntity(
        text=entity.text,
        label=entity.label,
        start=entity.start,
        end=entity.end,
        concept_ids=list(entity.concept_ids),
    )


def kg_meta(report: KgReport) -> dict[str, Any]:
    """What ``hilgen check`` needs to re-check a KG-arm file (its ``*.meta.json`` sidecar):
    the held-out files of the leakage guard and each label's profile."""
    return {
        "arm": "kg",
        "heldout_paths": list(report.eval_files),
        "label_profiles": [p.as_dict() for p in report.profiles.values()],
        "label_groups": report.config.get("label_groups", {}),
        "sample_ids": report.sentence_ids,
    }


def _only_labels(sentence: Sentence, labels: tuple[str, ...]) -> Sentence:
    """The sentence with only the entities to expand (others stay in the text, untouched)."""
    from dataclasses import replace

    return replace(sentence, entities=tuple(e for e in sentence.entities if e.label in labels))


def load_eval_sets(
    paths: Sequence[str | Path], *, format: str | None = None, collapse_to: str | None = None
) -> HeldoutIndex:
    """Dev/test sentences from files (format detected when ``None``): the one held-out index."""
    return load_heldout(paths, format=format, collapse_to=collapse_to)


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
    sample_file: Path | None = (
        None  # the one sample file (`hilgen corpus sample`); wins over k/seed
    )
    lenient: bool = False  # skip malformed corpus records (and report them) instead of failing


def run_kg_arm(
    run: KgRun,
    config: KgConfig | None = None,
    *,
    progress: Progress | None = None,
) -> KgReport:
    """Read, sample, link, expand, guard and write the synthetic JSONL; return the report."""
    from hilgen_graph.corpus.kshot import sample_corpus
    from hilgen_graph.graph.backends import open_store
    from hilgen_graph.grounding.store_index import index_for_store

    started = time.perf_counter()
    sampled = sample_corpus(
        run.corpus,
        run.format,
        k=run.k,
        seed=run.seed,
        scheme=run.scheme or "hilgen",
        collapse_to=run.collapse_to,
        sample_file=run.sample_file,
        lenient=run.lenient,
    )
    sample = sampled.seeds
    drawn = sampled.sample
    eval_paths: list[Path] = [p for p in (run.dev, run.test) if p is not None]
    if not eval_paths and run.auto_eval:
        eval_paths = list(find_eval_splits(run.corpus).values())
    eval_sets = (
        load_eval_sets(eval_paths, format=None, collapse_to=drawn.collapse_to)
        if eval_paths
        else None
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
    report.corpus_skipped = list(sampled.skipped)
    report.written = write_synthetic(run.out, records)
    report.out = str(run.out)
    write_json(meta_path(run.out), kg_meta(report))
    report.seconds = {
        "read_and_sample": loaded - started,
        "index": indexed - loaded,
        **report.seconds,
        "total": time.perf_counter() - started,
    }
    report.config.update(
        {
            "corpus": str(run.corpus),
            "k": drawn.k,
            "sample_seed": drawn.seed,
            "scheme": drawn.scheme,
            "collapse_to": drawn.collapse_to,
            "sample_file": str(run.sample_file) if run.sample_file else None,
        }
    )
    return report
