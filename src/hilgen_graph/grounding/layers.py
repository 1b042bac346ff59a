"""The HILGEN layers: related concepts of a linked concept, ranked, filtered, with provenance.

Layers (:data:`LAYERS`):

``synonyms``       other terms of the same concept (one name per distinct normalised form);
``semantic_type``  other concepts sharing its semantic type (the store's seeded sample);
``parents``        its direct is-a parents;
``children``       its direct is-a children;
``siblings``       other children of its parents.

Each layer keeps at most ``top_k`` related names (the paper's 10). When more candidates survive
the filters, a seeded sample picks ``top_k`` of them (deterministic given the seed). Filters:

* over-general parents are skipped: those within ``min_parent_depth`` is-a hops of a root of
  the hierarchy, and (optional) those with more than ``max_parent_descendants`` descendants;
  siblings come only through the parents that are kept;
* sibling fan-out is capped per parent (``sibling_fanout``, taken in id order before sampling);
* related concepts must stay in the semantic groups allowed for the entity's label;
* names are cleaned for display (:mod:`hilgen_graph.grounding.names`), and names that cannot sit
  in a sentence (brackets, ``&``) or that equal the mention are dropped.

Every drop is counted by reason. :data:`PRESETS` holds ``default`` and ``paper-code``: the
published HILGEN code's choices (top-10 concepts by a search for the mention as "related
concepts", SNOMEDCT_US parents then children with 10 in total, siblings of the first parent
only, no cleaning and no filters).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from hilgen_graph.corpus.tokenize import tokenize
from hilgen_graph.errors import ExpansionError
from hilgen_graph.graph.normalize import normalize
from hilgen_graph.graph.records import Concept
from hilgen_graph.graph.store import GraphStore
from hilgen_graph.grounding.linker import Linker
from hilgen_graph.grounding.names import NameOptions, display_name, is_inverted, strip_qualifiers

LAYERS: tuple[str, ...] = ("synonyms", "semantic_type", "parents", "children", "siblings")
DEFAULT_TOP_K = 10
# Term types of synonyms that are not synonyms (OBO scopes: related, broader, narrower terms).
NON_SYNONYM_TERM_TYPES: frozenset[str] = frozenset({"RELATED", "BROAD", "NARROW"})
_UNUSABLE = set("[]&<>|{}")
_MAX_DEPTH = 40


class DropReason:
    """Reasons a related concept or name is not used (counted per layer)."""

    OVER_GENERAL = "over-general parent"
    OUTSIDE_GROUP = "outside the label's semantic groups"
    FANOUT = "sibling fan-out cap"
    SAME_AS_MENTION = "same name as the mention"
    DUPLICATE_NAME = "duplicate name"
    UNUSABLE_NAME = "name unusable in a sentence"
    NOT_A_SYNONYM = "related/broader/narrower term, not a synonym"
    NOT_SAMPLED = "beyond top-k"


@dataclass(frozen=True, slots=True)
class LayerConfig:
    """How related concepts are chosen. See the module docstring for each filter."""

    top_k: int = DEFAULT_TOP_K
    seed: int = 1
    isa_source: str | None = None  # e.g. "SNOMEDCT_US"; None: every source's is-a edges
    min_parent_depth: int = 1  # parents fewer hops than this from a root are over-general
    max_parent_descendants: int | None = None  # parents with more descendants are over-general
    sibling_fanout: int | None = 100  # siblings considered per parent
    siblings_first_parent_only: bool = False
    keep_label_group: bool = True
    names: NameOptions = field(default_factory=NameOptions)
    exclude_non_synonyms: bool = True
    synonyms_by_search: bool = False  # paper code: top-k concepts of a search for the mention
    parents_children_share_k: bool = False  # paper code: parents, then children, top_k in all

    def __post_init__(self) -> None:
        if self.top_k < 1:
            raise ExpansionError(f"top_k must be at least 1, got {self.top_k}")
        if self.min_parent_depth < 0:
            raise ExpansionError(f"min_parent_depth must be >= 0, got {self.min_parent_depth}")


PRESETS: dict[str, LayerConfig] = {
    "default": LayerConfig(),
    "paper-code": LayerConfig(
        isa_source="SNOMEDCT_US",
        min_parent_depth=0,
        max_parent_descendants=None,
        sibling_fanout=None,
        siblings_first_parent_only=True,
        keep_label_group=False,
        names=NameOptions(clean=False, lower_case=False, uninvert_fallback=False),
        exclude_non_synonyms=False,
        synonyms_by_search=True,
        parents_children_share_k=True,
    ),
}


def preset(name: str, **overrides: Any) -> LayerConfig:
    """A preset by name with fields overridden (``None`` values are ignored)."""
    if name not in PRESETS:
        raise ExpansionError(f"unknown preset {name!r}; allowed: {', '.join(PRESETS)}")
    return replace(PRESETS[name], **{k: v for k, v in overrides.items() if v is not None})


def parse_layers(spec: str | Sequence[str]) -> tuple[str, ...]:
    """``"synonyms,parents"`` -> ``("synonyms", "parents")``; unknown names raise."""
    names = [s.strip() for s in (spec.split(",") if isinstance(spec, str) else spec)]
    names = [n for n in names if n]
    unknown = [n for n in names if n not in LAYERS]
    if unknown or not names:
        what = f"unknown layer(s) {', '.join(map(repr, unknown))}" if unknown else "no layers"
        raise ExpansionError(f"{what}; allowed: {', '.join(LAYERS)}")
    return tuple(dict.fromkeys(names))


@dataclass(frozen=True, slots=True)
class Related:
    """One related name for a linked concept, with how it was reached."""

    layer: str
    source_concept_id: str
    concept_id: str
    name: str
    relation_path: tuple[str, ...]
    knowledge_source: str


@dataclass
class LayerResult:
    related: list[Related]
    dropped: Counter[str]


@dataclass
class Expander:
    """Computes layers for linked concepts of ``store`` (caches per concept)."""

    store: GraphStore
    linker: Linker
    config: LayerConfig = field(default_factory=LayerConfig)
    _depth: dict[str, int] = field(default_factory=dict, repr=False)
    _desc: dict[str, int] = field(default_factory=dict, repr=False)
    _parents: dict[str, list[Concept]] = field(default_factory=dict, repr=False)
    _edge_sources: dict[tuple[str, str], str] = field(default_factory=dict, repr=False)
    _names: dict[str, str] = field(default_factory=dict, repr=False)
    _sources: dict[str, str] | None = field(default=None, repr=False)

    # --- graph helpers -------------------------------------------------------------------------
    @property
    def sources(self) -> dict[str, str]:
        if self._sources is None:
            self._sources = dict(self.store.stats().sources)
        return self._sources

    def version_of(self, source: str) -> str:
        return self.sources.get(source, "")

    def parents_of(self, cid: str) -> list[Concept]:
        if cid not in self._parents:
            self._parents[cid] = self.store.parents(cid, self.config.isa_source)
        return self._parents[cid]

    def depth(self, cid: str) -> int:
        """Fewest is-a hops from ``cid`` up to a concept without parents (a root)."""
        if cid in self._depth:
            return self._depth[cid]
        frontier, seen, hops = [cid], {cid}, 0
        while frontier and hops < _MAX_DEPTH:
            nxt: list[str] = []
            for c in frontier:
                ps = self.parents_of(c)
                if not ps:
                    self._depth[cid] = hops
                    return hops
                for p in ps:
                    if p.id not in seen:
                        seen.add(p.id)
                        nxt.append(p.id)
            frontier, hops = nxt, hops + 1
        self._depth[cid] = hops
        return hops

    def descendants_over(self, cid: str, cap: int) -> bool:
        """Whether ``cid`` has more than ``cap`` descendants (stops counting past the cap)."""
        if cid in self._desc:
            return self._desc[cid] > cap
        seen: set[str] = set()
        frontier = [cid]
        while frontier and len(seen) <= cap:
            nxt: list[str] = []
            for c in frontier:
                for k in self.store.children(c, self.config.isa_source):
                    if k.id not in seen:
                        seen.add(k.id)
                        nxt.append(k.id)
            frontier = nxt
        self._desc[cid] = len(seen)
        return len(seen) > cap

    def over_general(self, parent: Concept) -> bool:
        cfg = self.config
        if cfg.min_parent_depth and self.depth(parent.id) < cfg.min_parent_depth:
            return True
        return cfg.max_parent_descendants is not None and self.descendants_over(
            parent.id, cfg.max_parent_descendants
        )

    def edge_source(self, child: str, parent: str) -> str:
        """The knowledge source of the is-a edge ``child -> parent`` (first by name)."""
        if self.config.isa_source:
            return self.config.isa_source
        key = (child, parent)
        if key not in self._edge_sources:
            found = ""
            for src in sorted(self.sources):
                if any(p.id == parent for p in self.store.parents(child, src)):
                    found = src
                    break
            self._edge_sources[key] = found
        return self._edge_sources[key]

    def name_of(self, concept: Concept) -> str:
        """The display name of a related concept (its natural entry term when inverted)."""
        if concept.id not in self._names:
            terms: list[str] = []
            opts = self.config.names
            if opts.clean and is_inverted(strip_qualifiers(concept.preferred_name)):
                terms = [t.text for t in self.store.synonyms(concept.id)]
            self._names[concept.id] = display_name(concept.preferred_name, terms, opts)
        return self._names[concept.id]

    # --- filtering and ranking -----------------------------------------------------------------
    def _sample(self, items: list[Related], key: str, dropped: Counter[str]) -> list[Related]:
        k = self.config.top_k
        if len(items) <= k:
            return items
        rng = random.Random(f"{self.config.seed}|{key}")
        picked = sorted(rng.sample(range(len(items)), k))
        dropped[DropReason.NOT_SAMPLED] += len(items) - k
        return [items[i] for i in picked]

    def _usable(self, name: str, mention: str, seen: set[str], dropped: Counter[str]) -> bool:
        if not tokenize(name):
            return True  # no tokens: the substitution step drops it and counts why
        norm = normalize(name)
        if not norm or _UNUSABLE & set(name):
            dropped[DropReason.UNUSABLE_NAME] += 1
            return False
        if norm == normalize(mention):
            dropped[DropReason.SAME_AS_MENTION] += 1
            return False
        if norm in seen:
            dropped[DropReason.DUPLICATE_NAME] += 1
            return False
        seen.add(norm)
        return True

    def _concept_items(
        self,
        layer: str,
        source: Concept,
        candidates: Sequence[tuple[Concept, tuple[str, ...], str]],
        label: str,
        mention: str,
        dropped: Counter[str],
    ) -> list[Related]:
        allowed = self.linker.allowed_groups(label) if self.config.keep_label_group else None
        seen: set[str] = set()
        out: list[Related] = []
        for concept, path, ks in candidates:
            if concept.id == source.id:
                continue
            if not self.linker.fits(concept, allowed):
                dropped[DropReason.OUTSIDE_GROUP] += 1
                continue
            name = self.name_of(concept)
            if not self._usable(name, mention, seen, dropped):
                continue
            out.append(Related(layer, source.id, concept.id, name, path, ks))
        return out

    # --- layers --------------------------------------------------------------------------------
    def synonyms(self, source: Concept, label: str, mention: str) -> LayerResult:
        dropped: Counter[str] = Counter()
        if self.config.synonyms_by_search:
            return self._search_related(source, label, mention, dropped)
        seen: set[str] = set()
        out: list[Related] = []
        terms = self.store.synonyms(source.id)
        texts = [t.text for t in terms]
        # natural forms before inverted ones, so a shared display name cites the natural term
        ordered = sorted(
            terms, key=lambda t: (not t.is_preferred, is_inverted(strip_qualifiers(t.text)))
        )
        for t in ordered:
            if self.config.exclude_non_synonyms and t.term_type.upper() in NON_SYNONYM_TERM_TYPES:
                dropped[DropReason.NOT_A_SYNONYM] += 1
                continue
            name = display_name(t.text, texts, self.config.names)
            if not self._usable(name, mention, seen, dropped):
                continue
            path = (source.id, "HAS_TERM", t.text)
            out.append(Related("synonyms", source.id, source.id, name, path, t.source))
        return LayerResult(self._sample(out, f"synonyms|{source.id}", dropped), dropped)

    def _search_related(
        self, source: Concept, label: str, mention: str, dropped: Counter[str]
    ) -> LayerResult:
        index = self.linker.index
        if index is None:
            raise ExpansionError(
                "the paper-code preset finds 'related concepts' by searching the mention, which "
                "needs the approximate term index; run without --no-approximate"
            )
        cands: list[tuple[Concept, tuple[str, ...], str]] = []
        seen_ids: set[str] = set()
        for m in index.search(mention, threshold=0.0, limit=10 * self.config.top_k):
            if m.concept_id in seen_ids:
                continue
            seen_ids.add(m.concept_id)
            c = self.linker.concept(m.concept_id)
            if c is not None:
                cands.append((c, ("search", mention, c.id), ""))
            if len(cands) >= self.config.top_k:
                break
        items = self._concept_items("synonyms", source, cands, label, mention, dropped)
        return LayerResult(items[: self.config.top_k], dropped)

    def semantic_type(self, source: Concept, label: str, mention: str) -> LayerResult:
        dropped: Counter[str] = Counter()
        k = self.config.top_k
        sample = self.store.same_semantic_type(source.id, limit=3 * k, seed=self.config.seed)
        ks = next((s for s in self.sources if "SEMANTIC" in s.upper()), "")
        cands = []
        for c in sample:
            shared = sorted(set(c.semantic_types) & set(source.semantic_types))
            tui = shared[0] if shared else ""
            cands.append((c, (source.id, "HAS_TYPE", tui, "TYPE_OF", c.id), ks))
        items = self._concept_items("semantic_type", source, cands, label, mention, dropped)
        if len(items) > k:
            dropped[DropReason.NOT_SAMPLED] += len(items) - k
        return LayerResult(items[:k], dropped)

    def _kept_parents(self, source: Concept, dropped: Counter[str] | None) -> list[Concept]:
        kept = []
        for p in self.parents_of(source.id):
            if self.over_general(p):
                if dropped is not None:
                    dropped[DropReason.OVER_GENERAL] += 1
                continue
            kept.append(p)
        return kept

    def parents(self, source: Concept, label: str, mention: str) -> LayerResult:
        dropped: Counter[str] = Counter()
        cands = [
            (p, (source.id, "ISA", p.id), self.edge_source(source.id, p.id))
            for p in self._kept_parents(source, dropped)
        ]
        items = self._concept_items("parents", source, cands, label, mention, dropped)
        return LayerResult(self._sample(items, f"parents|{source.id}", dropped), dropped)

    def children(self, source: Concept, label: str, mention: str) -> LayerResult:
        dropped: Counter[str] = Counter()
        kids = self.store.children(source.id, self.config.isa_source)
        cands = [
            (c, (source.id, "HAS_CHILD", c.id), self.edge_source(c.id, source.id)) for c in kids
        ]
        items = self._concept_items("children", source, cands, label, mention, dropped)
        if self.config.parents_children_share_k:
            n_parents = len(self.parents(source, label, mention).related)
            room = max(self.config.top_k - n_parents, 0)
            if len(items) > room:
                dropped[DropReason.NOT_SAMPLED] += len(items) - room
            return LayerResult(items[:room], dropped)
        return LayerResult(self._sample(items, f"children|{source.id}", dropped), dropped)

    def siblings(self, source: Concept, label: str, mention: str) -> LayerResult:
        dropped: Counter[str] = Counter()
        parents = self._kept_parents(source, None)
        if self.config.siblings_first_parent_only:
            parents = parents[:1]
        cands: list[tuple[Concept, tuple[str, ...], str]] = []
        seen: set[str] = {source.id}
        for p in parents:
            kids = [
                k for k in self.store.children(p.id, self.config.isa_source) if k.id not in seen
            ]
            cap = self.config.sibling_fanout
            if cap is not None and len(kids) > cap:
                dropped[DropReason.FANOUT] += len(kids) - cap
                kids = kids[:cap]
            for k in kids:
                seen.add(k.id)
                path = (source.id, "ISA", p.id, "HAS_CHILD", k.id)
                cands.append((k, path, self.edge_source(k.id, p.id)))
        items = self._concept_items("siblings", source, cands, label, mention, dropped)
        return LayerResult(self._sample(items, f"siblings|{source.id}", dropped), dropped)

    def layer(self, name: str, source: Concept, label: str, mention: str) -> LayerResult:
        if name not in LAYERS:
            raise ExpansionError(f"unknown layer {name!r}; allowed: {', '.join(LAYERS)}")
        fn = {
            "synonyms": self.synonyms,
            "semantic_type": self.semantic_type,
            "parents": self.parents,
            "children": self.children,
            "siblings": self.siblings,
        }[name]
        return fn(source, label, mention)


def check_store_supports(store: GraphStore, layers: Sequence[str], config: LayerConfig) -> None:
    """Raise :class:`ExpansionError` when the store lacks relations a requested layer needs."""
    stats = store.stats()
    hierarchy = [x for x in layers if x in ("parents", "children", "siblings")]
    if hierarchy and stats.isa == 0:
        raise ExpansionError(
            f"the store has no is-a edges, which the layer(s) {', '.join(hierarchy)} need; "
            f"allowed without them: synonyms, semantic_type (load a source with a hierarchy, "
            "e.g. hilgen graph load --source free)"
        )
    if "semantic_type" in layers and stats.semantic_types == 0:
        raise ExpansionError(
            "the store has no semantic types, which the layer semantic_type needs; load a "
            "source with semantic types or drop that layer"
        )
    if hierarchy and config.isa_source and config.isa_source not in stats.sources:
        raise ExpansionError(
            f"the store has no is-a edges from {config.isa_source!r} (its sources: "
            f"{', '.join(sorted(stats.sources)) or 'none'}), which the layer(s) "
            f"{', '.join(hierarchy)} need with this preset; pass --isa-source with one of them"
        )
