"""Exploring the expansion neighbourhood of a mention or concept as the arms see it.

:func:`explore` links what the user typed (a concept id, a name or a mention text) with the
grounding layer's linker, walks the five layers around each linked concept with the grounding
layer's walk (the same filters, display names and top-k as both arms), and returns an
:class:`Exploration`: the link (chosen concept, method, runner-up candidates with scores) and, per
layer, every picked related concept and every excluded candidate with the filter that excluded
it. Nothing here re-implements linking or the walk; it only arranges their records for people.

Drawings of an exploration (:func:`draw`): ``.html`` (an offline interactive page drawn by
pyvis, :mod:`hilgen_graph.explore.page`), ``.png`` (a layered matplotlib drawing,
:mod:`hilgen_graph.explore.png`) and ``.graphml`` (networkx).

Functions return data or the paths they wrote; printing belongs to the CLI. The plain is-a
neighbourhood query is :mod:`hilgen_graph.graph.neighbourhood`.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import networkx as nx

from hilgen_graph.atomic import write_with
from hilgen_graph.errors import GraphError
from hilgen_graph.graph.records import Concept
from hilgen_graph.graph.store import GraphStore

if TYPE_CHECKING:
    from hilgen_graph.corpus.kshot import KShotSample
    from hilgen_graph.grounding.grounder import Grounder
    from hilgen_graph.grounding.layers import LayerConfig
    from hilgen_graph.grounding.linker import Link, LinkingReport
    from hilgen_graph.grounding.records import LayerWalk


DRAW_FORMATS: Final = (".png", ".html", ".graphml")


CENTRE: Final = "centre"
PICKED: Final = "picked"
EXCLUDED: Final = "excluded"


@dataclass(frozen=True, slots=True)
class ExploredNode:
    """One thing drawn: a centre (linked) concept, or a related concept/name of one layer that the
    walk picked or excluded. ``key`` is unique within an exploration."""

    key: str
    concept_id: str
    name: str
    layer: str  # a grounding layer name, or "centre"
    status: str  # centre | picked | excluded
    centre_id: str
    filter: str = ""  # excluded: the filter that excluded it
    semantic_types: tuple[str, ...] = ()  # semantic type names
    source: str = ""  # knowledge source (e.g. MSH)
    relation_path: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "concept_id": self.concept_id,
            "name": self.name,
            "layer": self.layer,
            "status": self.status,
            "filter": self.filter,
            "semantic_types": list(self.semantic_types),
            "source": self.source,
            "relation_path": list(self.relation_path),
        }


@dataclass(frozen=True)
class Neighbourhood:
    """The layers around one linked concept, as the grounding walk returned them.

    ``types`` gives the semantic type names of the centre and of excluded candidates (picked
    related concepts carry their own), looked up for display only."""

    centre: Concept
    walks: tuple[LayerWalk, ...]
    types: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def centre_key(self) -> str:
        return f"{CENTRE}|{self.centre.id}"

    def nodes(self) -> list[ExploredNode]:
        """The centre, then per layer (walk order) the picked and then the excluded candidates."""
        cid = self.centre.id
        out = [
            ExploredNode(
                self.centre_key,
                cid,
                self.centre.preferred_name,
                CENTRE,
                CENTRE,
                cid,
                semantic_types=self.types.get(cid, ()),
            )
        ]
        for walk in self.walks:
            for i, rel in enumerate(walk.picked):
                out.append(
                    ExploredNode(
                        f"{cid}|{walk.layer}|{PICKED}|{i}",
                        rel.concept_id,
                        rel.name,
                        walk.layer,
                        PICKED,
                        cid,
                        semantic_types=tuple(rel.semantic_types)
                        or self.types.get(rel.concept_id, ()),
                        source=rel.knowledge_source,
                        relation_path=tuple(rel.relation_path),
                    )
                )
            for i, ex in enumerate(walk.excluded):
                out.append(
                    ExploredNode(
                        f"{cid}|{walk.layer}|{EXCLUDED}|{i}",
                        ex.concept_id,
                        ex.name,
                        walk.layer,
                        EXCLUDED,
                        cid,
                        filter=ex.filter,
                        semantic_types=self.types.get(ex.concept_id, ()),
                    )
                )
        return out

    def counts(self) -> dict[str, dict[str, Any]]:
        """Per layer: how many related concepts were picked and how many excluded, by filter."""
        return {
            w.layer: {"picked": len(w.picked), "excluded": dict(sorted(w.dropped.items()))}
            for w in self.walks
        }


@dataclass(frozen=True)
class Exploration:
    """What :func:`explore` found for one query: how it linked and each linked concept's layers.

    ``link`` is the grounding linker's :class:`~hilgen_graph.grounding.linker.Link` (with its
    runner-up candidates); ``neighbourhoods`` holds one entry per linked concept (a composite
    mention links to several); ``settings`` records the walk's settings (layers, top-k, seed,
    preset) and ``profile`` the label's profile as the linker describes it; ``sentence`` is
    the gold sentence the mention comes from (sample explorations)."""

    query: str
    label: str
    link: Link
    neighbourhoods: tuple[Neighbourhood, ...]
    profile: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    sentence: str = ""

    @property
    def mention(self) -> str:
        return self.link.entity.text

    @property
    def linked(self) -> bool:
        return bool(self.neighbourhoods)

    def nodes(self) -> list[ExploredNode]:
        return [n for nb in self.neighbourhoods for n in nb.nodes()]

    def layer_names(self) -> list[str]:
        names: dict[str, None] = {}
        for nb in self.neighbourhoods:
            for w in nb.walks:
                names.setdefault(w.layer, None)
        return list(names)

    def counts(self) -> dict[str, dict[str, Any]]:
        """Per layer over every linked concept: picked, and excluded by filter."""
        total: dict[str, dict[str, Any]] = {}
        for nb in self.neighbourhoods:
            for w in nb.walks:
                slot = total.setdefault(w.layer, {"picked": 0, "excluded": Counter()})
                slot["picked"] += len(w.picked)
                slot["excluded"].update(w.dropped)
        return {
            k: {"picked": v["picked"], "excluded": dict(sorted(v["excluded"].items()))}
            for k, v in total.items()
        }

    def as_dict(self) -> dict[str, Any]:
        """The exploration as one JSON object (``hilgen graph explore --json``)."""
        link = self.link
        return {
            "query": self.query,
            "mention": self.mention,
            "label": self.label,
            "sentence": self.sentence,
            "profile": self.profile,
            "link": {
                "method": link.method.value,
                "linked": link.linked,
                "concepts": [{"id": c.id, "name": c.preferred_name} for c in link.concepts],
                "score": round(link.score, 4),
                "matched": link.matched,
                "reason": link.reason,
                "unresolved_ids": list(link.unresolved_ids),
                "candidates": [c.as_dict() for c in link.candidates],
            },
            "settings": dict(self.settings),
            "neighbourhoods": [
                {
                    "concept": {
                        "id": nb.centre.id,
                        "name": nb.centre.preferred_name,
                        "semantic_types": list(nb.types.get(nb.centre.id, ())),
                    },
                    "layers": {
                        w.layer: {
                            "picked": [
                                n.as_dict()
                                for n in nb.nodes()
                                if n.layer == w.layer and n.status == PICKED
                            ],
                            "excluded": [
                                n.as_dict()
                                for n in nb.nodes()
                                if n.layer == w.layer and n.status == EXCLUDED
                            ],
                        }
                        for w in nb.walks
                    },
                }
                for nb in self.neighbourhoods
            ],
            "counts": self.counts(),
        }


# --- building explorations on the grounding layer -----------------------------------------------
def explore_link(
    grounder: Grounder,
    link: Link,
    *,
    query: str | None = None,
    layers: Sequence[str] | None = None,
    preset_name: str = "default",
    sentence: str = "",
) -> Exploration:
    """The exploration of one link: the grounding walk of ``layers`` around each linked concept,
    for the link's mention and label, exactly as the arms call it (an unlabelled link walks
    with each concept's own semantic types as its profile)."""
    from hilgen_graph.grounding.layers import LAYERS

    wanted = tuple(layers or LAYERS)
    mention = link.entity.text
    walk_label = link.entity.label or None
    hoods = []
    profiles: dict[str, None] = {}
    for concept in link.concepts:
        walks = tuple(grounder.walk(concept, walk_label, mention, wanted))
        key = grounder.label_for(concept, walk_label)
        profiles.setdefault(grounder.linker.profile(key).describe(), None)
        ids = dict.fromkeys(
            [concept.id]
            + [r.concept_id for w in walks for r in w.picked if not r.semantic_types]
            + [e.concept_id for w in walks for e in w.excluded]
        )
        types: dict[str, tuple[str, ...]] = {}
        for cid in ids:
            found = concept if cid == concept.id else grounder.concept(cid)
            if found is not None:
                types[cid] = grounder.type_names(found)
        hoods.append(Neighbourhood(concept, walks, types))
    if not profiles and walk_label:
        profiles.setdefault(grounder.linker.profile(walk_label).describe(), None)
    cfg = grounder.expander.config
    return Exploration(
        query=mention if query is None else query,
        label=link.entity.label,
        link=link,
        neighbourhoods=tuple(hoods),
        profile="; ".join(profiles),
        sentence=sentence,
        settings={
            "layers": list(wanted),
            "preset": preset_name,
            "top_k": cfg.top_k,
            "seed": cfg.seed,
            "isa_source": cfg.isa_source,
            "min_parent_depth": cfg.min_parent_depth,
            "sibling_fanout": cfg.sibling_fanout,
            "keep_label_group": cfg.keep_label_group,
        },
    )


@dataclass(frozen=True)
class ExploreOptions:
    """How :func:`explore` and :func:`explore_sample` link and walk (the ``augment kg`` options
    that change what the arms get)."""

    layers: tuple[str, ...] | None = None  # None: every layer
    config: LayerConfig | None = None  # None: the preset's
    preset_name: str = "default"
    label_groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    approximate: bool = True
    approx_threshold: float | None = None  # None: the linker's default


def _grounder(store: GraphStore, options: ExploreOptions, config: LayerConfig) -> Grounder:
    from hilgen_graph.grounding.grounder import Grounder
    from hilgen_graph.grounding.linker import DEFAULT_APPROX_THRESHOLD

    threshold = options.approx_threshold
    return Grounder.for_store(
        store,
        label_groups=options.label_groups,
        config=config,
        approximate=options.approximate,
        approx_threshold=DEFAULT_APPROX_THRESHOLD if threshold is None else threshold,
    )


def _walk_config(options: ExploreOptions) -> tuple[tuple[str, ...], LayerConfig]:
    from hilgen_graph.grounding.layers import LAYERS, preset

    layers = tuple(options.layers or LAYERS)
    return layers, options.config or preset(options.preset_name)


def explore(
    store: GraphStore,
    query: str,
    *,
    label: str = "",
    options: ExploreOptions | None = None,
) -> Exploration:
    """Link ``query`` (a concept id, a name or a mention text) for ``label`` and walk the layers
    around what it links to.

    A concept id of the store links as a gold mention with that corpus id would (its preferred
    name is the mention text); anything else links as a mention text (exact, normalised, then
    approximate; a label without a profile links by exact or normalised name only). Without
    ``label`` the walk keeps related concepts to the linked concept's own semantic types, as
    the LLM arm's agent does when it explores on its own."""
    from hilgen_graph.corpus.records import Entity
    from hilgen_graph.grounding.layers import check_store_supports

    opts = options or ExploreOptions()
    text = query.strip()
    if not text:
        raise GraphError(
            "nothing to explore: the query is empty",
            fix="pass a concept id (e.g. D006973), a name or a mention text",
        )
    layers, cfg = _walk_config(opts)
    check_store_supports(store, layers, cfg)
    grounder = _grounder(store, opts, cfg)
    known = store.concept(text)
    entity = (
        Entity(0, len(known.preferred_name), known.preferred_name, label, (known.id,))
        if known is not None
        else Entity(0, len(text), text, label)
    )
    link = grounder.link(entity)
    return explore_link(grounder, link, query=query, layers=layers, preset_name=opts.preset_name)


@dataclass(frozen=True)
class SampleExploration:
    """Every gold mention of a k-shot sample explored, with the linking report."""

    sample: KShotSample
    corpus: str
    rows: tuple[tuple[str, Exploration], ...]  # (sentence id, exploration) per gold mention
    linking: LinkingReport
    layers: tuple[str, ...]

    def totals(self) -> dict[str, dict[str, Any]]:
        """Per layer over every mention: picked, and excluded by filter (what ``augment kg
        --json`` reports as ``related`` and ``filtered_by_reason``)."""
        total: dict[str, dict[str, Any]] = {
            x: {"picked": 0, "excluded": Counter()} for x in self.layers
        }
        for _sid, exp in self.rows:
            for layer, c in exp.counts().items():
                total[layer]["picked"] += c["picked"]
                total[layer]["excluded"].update(c["excluded"])
        return {
            k: {"picked": v["picked"], "excluded": dict(sorted(v["excluded"].items()))}
            for k, v in total.items()
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "sample": self.sample.as_dict(),
            "corpus": self.corpus,
            "mentions": len(self.rows),
            "linked_mentions": len(self.linking.linked),
            "unlinked_mentions": len(self.linking.unlinked),
            "by_method": self.linking.by_method,
            "layers": self.totals(),
            "rows": [
                {
                    "sentence_id": sid,
                    "mention": exp.mention,
                    "label": exp.label,
                    "method": exp.link.method.value,
                    "concepts": [c.id for c in exp.link.concepts],
                    "reason": exp.link.reason,
                    "counts": exp.counts(),
                }
                for sid, exp in self.rows
            ],
        }


def explore_sample(
    store: GraphStore,
    corpus: str | Path,
    sample_file: str | Path,
    *,
    fmt: str | None = None,
    options: ExploreOptions | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SampleExploration:
    """Explore every gold mention of the k-shot sample in ``sample_file`` (of ``corpus``) as
    ``hilgen augment kg --sample`` expands them: profiles learnt from the sample, every gold
    mention linked, each linked concept walked with ``options`` (whose seed, like ``augment
    kg --seed``, seeds the walk)."""
    from hilgen_graph.corpus.kshot import sample_corpus
    from hilgen_graph.grounding.layers import check_store_supports

    opts = options or ExploreOptions()
    drawn = sample_corpus(corpus, fmt, sample_file=sample_file)
    layers, cfg = _walk_config(opts)
    if drawn.sample.k:  # a sample file that records its seed seeds the walk, as in augment kg
        cfg = dataclasses.replace(cfg, seed=drawn.sample.seed)
    check_store_supports(store, layers, cfg)
    grounder = _grounder(store, opts, cfg)
    grounder.learn(drawn.seeds)
    linking = grounder.linker.link_sentences(drawn.seeds)
    text_of = {sent.id: sent.text for sent in drawn.seeds}
    rows = []
    for i, link in enumerate(linking.links, start=1):
        exp = explore_link(
            grounder,
            link,
            layers=layers,
            preset_name=opts.preset_name,
            sentence=text_of.get(link.sentence_id, ""),
        )
        rows.append((link.sentence_id, exp))
        if progress is not None:
            progress(i, len(linking.links))
    return SampleExploration(drawn.sample, str(corpus), tuple(rows), linking, layers)


# --- drawing ------------------------------------------------------------------------------------
def to_networkx(exp: Exploration) -> nx.DiGraph:
    """The exploration's concepts as a ``networkx.DiGraph``: each linked concept and each related
    concept of the concept layers (synonyms are names of the centre: they are the centre's
    ``synonyms`` attribute), edges from the centre with ``layer``, ``status``, ``filter`` and
    ``source`` (the knowledge source)."""
    graph = nx.DiGraph()
    for nb in exp.neighbourhoods:
        for n in nb.nodes():
            if n.status == CENTRE:
                graph.add_node(n.concept_id, name=n.name, semantic_types=n.semantic_types)
                graph.nodes[n.concept_id].setdefault("synonyms", ())
                continue
            if n.layer == "synonyms":
                if n.status == PICKED:
                    data = graph.nodes[n.centre_id]
                    data["synonyms"] = (*data["synonyms"], n.name)
                continue
            if n.concept_id not in graph:
                graph.add_node(n.concept_id, name=n.name, semantic_types=n.semantic_types)
            graph.add_edge(
                n.centre_id,
                n.concept_id,
                layer=n.layer,
                status=n.status,
                filter=n.filter,
                source=n.source,
            )
    return graph


#: Characters XML 1.0 cannot hold at all (not even as ``&#...;``): C0 controls but TAB, LF and
#: CR (NUL, ESC ...), lone surrogates, U+FFFE and U+FFFF.
_XML_ILLEGAL = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: object) -> str:
    """``text`` with every character XML cannot hold replaced by U+FFFD, so that a name with
    NUL or ESC still gives a well-formed GraphML file (ids are mapped the same way)."""
    return _XML_ILLEGAL.sub("\ufffd", str(text))


def _write_graphml(graph: nx.DiGraph, out: Path) -> None:
    flat = nx.DiGraph()
    for cid, data in graph.nodes(data=True):
        flat.add_node(
            xml_text(cid),
            name=xml_text(data.get("name", "")),
            semantic_types=xml_text(",".join(data.get("semantic_types", ()))),
        )
    for child, parent, data in graph.edges(data=True):
        flat.add_edge(xml_text(child), xml_text(parent), source=xml_text(data.get("source", "")))
    write_with(out, lambda tmp: nx.write_graphml(flat, tmp), suffix=".graphml")


def draw(exp: Exploration, out: str | Path) -> Path:
    """Write ``exp`` to ``out`` (.html, .png or .graphml, by suffix); return the path."""
    path = Path(out)
    suffix = path.suffix.lower()
    if suffix not in DRAW_FORMATS:
        raise GraphError(
            f"cannot draw to {path.name!r}: unknown format {suffix or '(none)'}",
            path=str(path),
            fix=f"use one of {', '.join(DRAW_FORMATS)}",
        )
    if suffix == ".png":
        from hilgen_graph.explore.png import render_png

        render_png(exp, path)
    elif suffix == ".html":
        from hilgen_graph.explore.page import write_page

        write_page(exp, path)
    else:
        _write_graphml(to_networkx(exp), path)
    return path
