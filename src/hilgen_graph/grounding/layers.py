"""The HILGEN layers: related concepts of a linked concept, ranked, filtered, with provenance.

Layers (:data:`LAYERS`):

``synonyms``       other terms of the same concept (one name per distinct normalised form;
                   not related/broader/narrower terms nor MeSH's machine-made permutations);
``semantic_type``  other concepts of its semantic type (the store's seeded sample); with
                   ``semantic_type_match="exact"`` only those whose set of types equals the
                   source's (a protein that also carries "Organic Chemical" is not offered
                   for a drug that carries only that type); ``"shared"``: any shared type;
``parents``        its direct is-a parents;
``children``       its direct is-a children;
``siblings``       other children of its parents.

Each layer keeps at most ``top_k`` related names (the paper's 10). When more candidates survive
the filters, a seeded sample picks ``top_k`` of them (deterministic given the seed). Filters:

* over-general parents are skipped: those within ``min_parent_depth`` is-a hops of a root of
  the hierarchy, and (optional) those with more than ``max_parent_descendants`` descendants;
  siblings come only through the parents that are kept;
* sibling fan-out is capped per parent (``sibling_fanout``, taken in id order before sampling);
* related concepts must stay in the entity label's profile
  (:mod:`hilgen_graph.grounding.label_groups`); a label without a profile is not expanded;
* names are rendered for display (:mod:`hilgen_graph.grounding.names`): an inverted heading
  without a natural term of the same words, or a name that cannot sit in a sentence, is
  excluded; so is a name equal to the mention or to an earlier one;
* with ``number_agreement`` a name must have the mention's grammatical number
  (:func:`~hilgen_graph.grounding.names.grammatical_number`): "propofol" is not replaced by
  "pyridines", nor "anthracyclines" by "idarubicin".

Each layer around one source concept is one :class:`~hilgen_graph.grounding.records.LayerWalk`:
the picked :class:`~hilgen_graph.grounding.records.RelatedConcept` records and every excluded
candidate with the filter (:class:`Filter`) that excluded it. Both arms use this one walk: the
KG arm substitutes the picked names, the LLM arm's prompts and agent tools list them
(:meth:`Expander.related`). :data:`PRESETS` holds ``default`` and ``paper-code``: the
published HILGEN code's choices (top-10 concepts by a search for the mention as "related
concepts", SNOMEDCT_US parents then children with 10 in total, siblings of the first parent
only, no cleaning and no filters).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from hilgen_graph.errors import ExpansionError
from hilgen_graph.graph.normalize import normalize
from hilgen_graph.graph.records import Concept
from hilgen_graph.graph.store import GraphStore
from hilgen_graph.grounding.linker import Linker
from hilgen_graph.grounding.names import (
    NameIssue,
    NameOptions,
    Rendered,
    grammatical_number,
    is_inverted,
    render,
    strip_qualifiers,
)
from hilgen_graph.grounding.records import Excluded, LayerWalk, RelatedConcept

LAYERS: tuple[str, ...] = ("synonyms", "semantic_type", "parents", "children", "siblings")
DEFAULT_TOP_K = 10
MAX_DESCRIBED_SYNONYMS = 2
# Term types of synonyms that are not synonyms (OBO scopes: related, broader, narrower terms).
NON_SYNONYM_TERM_TYPES: frozenset[str] = frozenset({"RELATED", "BROAD", "NARROW"})
# Machine-made permutations of MeSH entry terms (UMLS TTY "PM": "Polyposis Colus",
# "Immunodeficiency 2s", "Permanents, Deafness"): word-order and number variants no editor chose.
MACHINE_TERM_TYPES: frozenset[str] = frozenset({"PM"})
_MAX_DEPTH = 40
SEMANTIC_TYPE_MATCHES: tuple[str, ...] = ("shared", "exact")
# how many candidates of the source's types the exact match reads per picked name
_EXACT_OVERSAMPLE = 10


class Filter:
    """The filters of the walk, by the display name each exclusion carries."""

    OVER_GENERAL = "over-general parent"
    OUTSIDE_PROFILE = "outside the label's profile"
    NO_PROFILE = "label has no profile"
    FANOUT = "sibling fan-out cap"
    SAME_AS_MENTION = "same name as the mention"
    DUPLICATE_NAME = "duplicate name"
    UNUSABLE_NAME = "name unusable in a sentence"
    NO_NATURAL_NAME = "no natural name (inverted heading)"
    EMPTY_NAME = "empty name"
    NOT_A_SYNONYM = "related/broader/narrower term, not a synonym"
    MACHINE_TERM = "machine-made permutation (MeSH PM term)"
    NOT_SAMPLED = "beyond top-k"
    OTHER_TYPES = "semantic types differ from the source's"
    OTHER_NUMBER = "grammatical number differs from the mention's"


DropReason = Filter  # the name the KG arm's counts used before

_NAME_FILTER = {
    NameIssue.EMPTY: Filter.EMPTY_NAME,
    NameIssue.INVERTED: Filter.NO_NATURAL_NAME,
    NameIssue.UNUSABLE: Filter.UNUSABLE_NAME,
}


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
    # semantic_type layer: "shared" (any type in common) or "exact" (the same set of types)
    semantic_type_match: str = "shared"
    # a name must agree in grammatical number with the mention it replaces (a singular drug
    # name is not replaced by a class name such as "pyridines"; see names.grammatical_number)
    number_agreement: bool = False

    def __post_init__(self) -> None:
        if self.top_k < 1:
            raise ExpansionError(f"top_k must be at least 1, got {self.top_k}")
        if self.min_parent_depth < 0:
            raise ExpansionError(f"min_parent_depth must be >= 0, got {self.min_parent_depth}")
        if self.semantic_type_match not in SEMANTIC_TYPE_MATCHES:
            raise ExpansionError(
                f"semantic_type_match must be one of {', '.join(SEMANTIC_TYPE_MATCHES)}, "
                f"got {self.semantic_type_match!r}"
            )


PRESETS: dict[str, LayerConfig] = {
    "default": LayerConfig(),
    "paper-code": LayerConfig(
        isa_source="SNOMEDCT_US",
        min_parent_depth=0,
        max_parent_descendants=None,
        sibling_fanout=None,
        siblings_first_parent_only=True,
        keep_label_group=False,
        names=NameOptions(clean=False, lower_case=False),
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


Candidate = tuple[Concept, tuple[str, ...], str]  # (concept, relation path, knowledge source)


@dataclass
class Expander:
    """The layered walk over ``store`` (caches per concept); see the module docstring."""

    store: GraphStore
    linker: Linker
    config: LayerConfig = field(default_factory=LayerConfig)
    _depth: dict[str, int] = field(default_factory=dict, repr=False)
    _desc: dict[str, int] = field(default_factory=dict, repr=False)
    _parents: dict[str, list[Concept]] = field(default_factory=dict, repr=False)
    _edge_sources: dict[tuple[str, str], str] = field(default_factory=dict, repr=False)
    _names: dict[str, Rendered] = field(default_factory=dict, repr=False)
    _sources: dict[str, str] | None = field(default=None, repr=False)
    _type_names: dict[str, str] = field(default_factory=dict, repr=False)

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

    def rendered(self, concept: Concept) -> Rendered:
        """The display name of a related concept (its natural term when the preferred name is
        an inverted heading; not renderable when it has none)."""
        if concept.id not in self._names:
            terms: list[str] = []
            opts = self.config.names
            if opts.clean and is_inverted(strip_qualifiers(concept.preferred_name)):
                terms = [t.text for t in self.store.synonyms(concept.id)]
            self._names[concept.id] = render(concept.preferred_name, terms, opts)
        return self._names[concept.id]

    def name_of(self, concept: Concept) -> str | None:
        return self.rendered(concept).name

    # --- filtering and ranking -----------------------------------------------------------------
    def _sample(
        self, items: list[RelatedConcept], key: str, excluded: list[Excluded]
    ) -> list[RelatedConcept]:
        k = self.config.top_k
        if len(items) <= k:
            return items
        rng = random.Random(f"{self.config.seed}|{key}")
        picked = set(rng.sample(range(len(items)), k))
        excluded.extend(
            Excluded(r.concept_id, r.name, Filter.NOT_SAMPLED)
            for i, r in enumerate(items)
            if i not in picked
        )
        return [items[i] for i in sorted(picked)]

    def _usable(
        self,
        cid: str,
        rendered: Rendered,
        mention: str,
        seen: set[str],
        excluded: list[Excluded],
    ) -> str | None:
        """The display name when it may be used, else ``None`` (the exclusion recorded)."""
        if rendered.name is None:
            issue = rendered.issue or NameIssue.EMPTY
            excluded.append(Excluded(cid, rendered.source, _NAME_FILTER[issue]))
            return None
        norm = normalize(rendered.name)
        if not norm:
            excluded.append(Excluded(cid, rendered.source, Filter.EMPTY_NAME))
            return None
        if norm == normalize(mention):
            excluded.append(Excluded(cid, rendered.name, Filter.SAME_AS_MENTION))
            return None
        if self.config.number_agreement and grammatical_number(rendered.name) != grammatical_number(
            mention
        ):
            excluded.append(Excluded(cid, rendered.name, Filter.OTHER_NUMBER))
            return None
        if norm in seen:
            excluded.append(Excluded(cid, rendered.name, Filter.DUPLICATE_NAME))
            return None
        seen.add(norm)
        return rendered.name

    def _profile_block(self, label: str) -> str | None:
        """The filter that stops every candidate of ``label``, if any (no profile)."""
        if not self.config.keep_label_group:
            return None
        return None if self.linker.profile(label).known else Filter.NO_PROFILE

    def _concept_items(
        self,
        layer: str,
        source: Concept,
        candidates: Sequence[Candidate],
        label: str,
        mention: str,
        excluded: list[Excluded],
    ) -> list[RelatedConcept]:
        keep_profile = self.config.keep_label_group
        seen: set[str] = set()
        out: list[RelatedConcept] = []
        decisions = ("label profile",) if keep_profile else ()
        for concept, path, ks in candidates:
            if concept.id == source.id:
                continue
            if keep_profile and not self.linker.in_profile(concept, label):
                excluded.append(
                    Excluded(concept.id, concept.preferred_name, Filter.OUTSIDE_PROFILE)
                )
                continue
            name = self._usable(concept.id, self.rendered(concept), mention, seen, excluded)
            if name is None:
                continue
            out.append(
                RelatedConcept(
                    concept.id,
                    name,
                    layer,
                    source_concept_id=source.id,
                    relation_path=path,
                    knowledge_source=ks,
                    decisions=(*decisions, "display name", "distinct name"),
                )
            )
        return out

    def _walk(
        self,
        layer: str,
        source: Concept,
        label: str,
        picked: Sequence[RelatedConcept],
        excluded: Sequence[Excluded],
    ) -> LayerWalk:
        return LayerWalk(layer, source.id, label, tuple(picked), tuple(excluded))

    # --- layers --------------------------------------------------------------------------------
    def synonyms(self, source: Concept, label: str, mention: str) -> LayerWalk:
        excluded: list[Excluded] = []
        if self.config.synonyms_by_search:
            return self._search_related(source, label, mention, excluded)
        seen: set[str] = set()
        out: list[RelatedConcept] = []
        terms = self.store.synonyms(source.id)
        texts = [t.text for t in terms]
        # natural forms before inverted ones, so a shared display name cites the natural term
        ordered = sorted(
            terms, key=lambda t: (not t.is_preferred, is_inverted(strip_qualifiers(t.text)))
        )
        for t in ordered:
            if self.config.exclude_non_synonyms and t.term_type.upper() in NON_SYNONYM_TERM_TYPES:
                excluded.append(Excluded(source.id, t.text, Filter.NOT_A_SYNONYM))
                continue
            if self.config.names.clean and t.term_type.upper() in MACHINE_TERM_TYPES:
                excluded.append(Excluded(source.id, t.text, Filter.MACHINE_TERM))
                continue
            shown = self._usable(
                source.id, render(t.text, texts, self.config.names), mention, seen, excluded
            )
            if shown is None:
                continue
            path = (source.id, "HAS_TERM", t.text)
            out.append(
                RelatedConcept(
                    source.id,
                    shown,
                    "synonyms",
                    source_concept_id=source.id,
                    relation_path=path,
                    knowledge_source=t.source,
                    decisions=("synonym term", "display name", "distinct name"),
                )
            )
        picked = self._sample(out, f"synonyms|{source.id}", excluded)
        return self._walk("synonyms", source, label, picked, excluded)

    def _search_related(
        self, source: Concept, label: str, mention: str, excluded: list[Excluded]
    ) -> LayerWalk:
        index = self.linker.index
        if index is None:
            raise ExpansionError(
                "the paper-code preset finds 'related concepts' by searching the mention, which "
                "needs the approximate term index; run without --no-approximate"
            )
        cands: list[Candidate] = []
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
        items = self._concept_items("synonyms", source, cands, label, mention, excluded)
        return self._walk("synonyms", source, label, items[: self.config.top_k], excluded)

    def semantic_type(self, source: Concept, label: str, mention: str) -> LayerWalk:
        excluded: list[Excluded] = []
        k = self.config.top_k
        exact = self.config.semantic_type_match == "exact"
        limit = (_EXACT_OVERSAMPLE if exact else 3) * k
        sample = self.store.same_semantic_type(source.id, limit=limit, seed=self.config.seed)
        ks = next((s for s in self.sources if "SEMANTIC" in s.upper()), "")
        mine = set(source.semantic_types)
        cands = []
        for c in sample:
            if exact and set(c.semantic_types) != mine:
                excluded.append(Excluded(c.id, c.preferred_name, Filter.OTHER_TYPES))
                continue
            shared = sorted(set(c.semantic_types) & mine)
            tui = shared[0] if shared else ""
            cands.append((c, (source.id, "HAS_TYPE", tui, "TYPE_OF", c.id), ks))
        items = self._concept_items("semantic_type", source, cands, label, mention, excluded)
        excluded.extend(Excluded(r.concept_id, r.name, Filter.NOT_SAMPLED) for r in items[k:])
        return self._walk("semantic_type", source, label, items[:k], excluded)

    def _kept_parents(self, source: Concept, excluded: list[Excluded] | None) -> list[Concept]:
        kept = []
        for p in self.parents_of(source.id):
            if self.over_general(p):
                if excluded is not None:
                    excluded.append(Excluded(p.id, p.preferred_name, Filter.OVER_GENERAL))
                continue
            kept.append(p)
        return kept

    def parents(self, source: Concept, label: str, mention: str) -> LayerWalk:
        excluded: list[Excluded] = []
        cands = [
            (p, (source.id, "ISA", p.id), self.edge_source(source.id, p.id))
            for p in self._kept_parents(source, excluded)
        ]
        items = self._concept_items("parents", source, cands, label, mention, excluded)
        picked = self._sample(items, f"parents|{source.id}", excluded)
        return self._walk("parents", source, label, picked, excluded)

    def children(self, source: Concept, label: str, mention: str) -> LayerWalk:
        excluded: list[Excluded] = []
        kids = self.store.children(source.id, self.config.isa_source)
        cands = [
            (c, (source.id, "HAS_CHILD", c.id), self.edge_source(c.id, source.id)) for c in kids
        ]
        items = self._concept_items("children", source, cands, label, mention, excluded)
        if self.config.parents_children_share_k:
            n_parents = len(self.parents(source, label, mention).picked)
            room = max(self.config.top_k - n_parents, 0)
            excluded.extend(
                Excluded(r.concept_id, r.name, Filter.NOT_SAMPLED) for r in items[room:]
            )
            return self._walk("children", source, label, items[:room], excluded)
        picked = self._sample(items, f"children|{source.id}", excluded)
        return self._walk("children", source, label, picked, excluded)

    def siblings(self, source: Concept, label: str, mention: str) -> LayerWalk:
        excluded: list[Excluded] = []
        parents = self._kept_parents(source, None)
        if self.config.siblings_first_parent_only:
            parents = parents[:1]
        cands: list[Candidate] = []
        seen: set[str] = {source.id}
        for p in parents:
            kids = [
                k for k in self.store.children(p.id, self.config.isa_source) if k.id not in seen
            ]
            cap = self.config.sibling_fanout
            if cap is not None and len(kids) > cap:
                excluded.extend(Excluded(k.id, k.preferred_name, Filter.FANOUT) for k in kids[cap:])
                kids = kids[:cap]
            for k in kids:
                seen.add(k.id)
                path = (source.id, "ISA", p.id, "HAS_CHILD", k.id)
                cands.append((k, path, self.edge_source(k.id, p.id)))
        items = self._concept_items("siblings", source, cands, label, mention, excluded)
        picked = self._sample(items, f"siblings|{source.id}", excluded)
        return self._walk("siblings", source, label, picked, excluded)

    def layer(self, name: str, source: Concept, label: str, mention: str) -> LayerWalk:
        """One layer around ``source`` for a mention ``mention`` labelled ``label``."""
        if name not in LAYERS:
            raise ExpansionError(f"unknown layer {name!r}; allowed: {', '.join(LAYERS)}")
        block = self._profile_block(label)
        if block is not None:
            return LayerWalk(
                name, source.id, label, (), (Excluded(source.id, source.preferred_name, block),)
            )
        fn = {
            "synonyms": self.synonyms,
            "semantic_type": self.semantic_type,
            "parents": self.parents,
            "children": self.children,
            "siblings": self.siblings,
        }[name]
        return fn(source, label, mention)

    def walk(
        self, source: Concept, label: str, mention: str, layers: Sequence[str] = LAYERS
    ) -> list[LayerWalk]:
        """Every requested layer around ``source``."""
        return [self.layer(name, source, label, mention) for name in layers]

    # --- for prompts and agent tools -----------------------------------------------------------
    def type_names(self, concept: Concept) -> tuple[str, ...]:
        out = []
        for tui in concept.semantic_types:
            if tui not in self._type_names:
                st = self.store.semantic_type(tui)
                self._type_names[tui] = st.name if st is not None else tui
            out.append(self._type_names[tui])
        return tuple(out)

    def describe(self, related: RelatedConcept) -> RelatedConcept:
        """``related`` with its semantic type names and up to two other display names."""
        c = self.linker.concept(related.concept_id)
        if c is None:
            return related
        seen = {normalize(related.name)}
        all_terms = self.store.synonyms(c.id)
        terms = [t.text for t in all_terms]
        names: list[str] = []
        for term in all_terms:
            if term.term_type.upper() in MACHINE_TERM_TYPES | NON_SYNONYM_TERM_TYPES:
                continue
            shown = render(term.text, terms, self.config.names).name
            if shown is None or normalize(shown) in seen:
                continue
            seen.add(normalize(shown))
            names.append(shown)
            if len(names) >= MAX_DESCRIBED_SYNONYMS:
                break
        return replace(related, semantic_types=self.type_names(c), synonyms=tuple(names))

    def related(
        self,
        source: Concept,
        label: str,
        mention: str,
        layers: Sequence[str],
        limit: int,
    ) -> tuple[list[RelatedConcept], list[LayerWalk]]:
        """Picked concepts of ``layers`` shared fairly (round robin) up to ``limit``, no concept
        twice and not the source itself (synonyms excepted), each described for a prompt; and
        the walks they came from."""
        walks = self.walk(source, label, mention, layers)
        out: list[RelatedConcept] = []
        seen: set[str] = set()
        i = 0
        while len(out) < limit and any(i < len(w.picked) for w in walks):
            for w in walks:
                if i < len(w.picked) and len(out) < limit:
                    r = w.picked[i]
                    key = r.concept_id if r.layer != "synonyms" else f"syn:{normalize(r.name)}"
                    if key in seen:
                        continue
                    seen.add(key)
                    out.append(self.describe(r))
            i += 1
        return out, walks


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
