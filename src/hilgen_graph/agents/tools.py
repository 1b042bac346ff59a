"""Graph access for the LLM arm, thin over :mod:`hilgen_graph.grounding`: the LangChain tools a
tool-calling agent uses (look up a concept, fetch a layer of related concepts, get a concept's
semantic type). Linking, label profiles, the layered walk with its filters and display names are
the grounding layer's (:class:`~hilgen_graph.grounding.grounder.Grounder`), the same the KG arm
uses; names leave the graph only as display names.

Every tool call is recorded in a :class:`ToolLog`, so the agent's result can say which
neighbours it was shown (the intended concepts the funnel checks for).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from hilgen_graph.graph.records import Concept
from hilgen_graph.graph.store import GraphStore
from hilgen_graph.grounding.grounder import Grounder
from hilgen_graph.grounding.layers import LAYERS, LayerConfig
from hilgen_graph.grounding.records import RelatedConcept

Layer = Literal["parents", "children", "siblings", "semantic_type", "synonyms"]
DEFAULT_LIMIT = 10
MAX_LOOKUP = 5

__all__ = [
    "DEFAULT_LIMIT",
    "LAYERS",
    "Layer",
    "ToolLog",
    "make_tools",
    "retrieve_related",
    "type_names",
]


def type_names(store: GraphStore, concept: Concept) -> tuple[str, ...]:
    """The names of a concept's semantic types."""
    return Grounder.for_store(store).type_names(concept)


def retrieve_related(
    store: GraphStore,
    concept_id: str,
    layers: Sequence[str],
    limit: int = DEFAULT_LIMIT,
    seed: int = 0,
    *,
    label: str | None = None,
    grounder: Grounder | None = None,
) -> list[RelatedConcept]:
    """The grounding walk's picked concepts of ``layers`` around ``concept_id`` for a mention
    labelled ``label`` (none: the concept's own semantic types), shared fairly up to ``limit``
    (:meth:`Grounder.related`)."""
    g = grounder or Grounder.for_store(store, config=LayerConfig(seed=seed))
    concept = g.concept(concept_id)
    if concept is None:
        return []
    return g.related(concept, label, "", layers, limit)


# --- agent tools ---------------------------------------------------------------------------------
@dataclass
class ToolLog:
    """What the tools returned during one agent run (thread-safe)."""

    calls: list[tuple[str, dict[str, object]]] = field(default_factory=list)
    related: dict[str, RelatedConcept] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add_call(self, name: str, args: dict[str, object]) -> None:
        with self._lock:
            self.calls.append((name, args))

    def add_related(self, items: Sequence[RelatedConcept]) -> None:
        with self._lock:
            for r in items:
                self.related.setdefault(r.id, r)


class LookupArgs(BaseModel):
    name: str = Field(description="a concept name or synonym, e.g. 'cerebellar ataxia'")


class RelatedArgs(BaseModel):
    concept_id: str = Field(description="the id of a concept returned by lookup_concept")
    layer: Layer = Field(
        description="parents (broader), children (narrower), siblings (same parent), "
        "semantic_type (same type) or synonyms"
    )


class TypeArgs(BaseModel):
    concept_id: str = Field(description="the id of a concept")


def make_tools(
    store: GraphStore,
    log: ToolLog | None = None,
    limit: int = DEFAULT_LIMIT,
    seed: int = 0,
    *,
    grounder: Grounder | None = None,
    label: str | None = None,
) -> list[BaseTool]:
    """The three graph tools over the grounding layer; every call is recorded in ``log``.
    ``label`` is the label of the mention the agent writes about (its profile filters the
    related concepts; none: the concept's own semantic types)."""
    tlog = log if log is not None else ToolLog()
    g = grounder or Grounder.for_store(store, config=LayerConfig(seed=seed, top_k=limit))

    def lookup_concept(name: str) -> str:
        tlog.add_call("lookup_concept", {"name": name})
        found = []
        for c in g.linker.lookup(name):
            shown = g.display_name(c)
            if shown is None:  # no natural name: never shown raw
                continue
            found.append({"id": c.id, "name": shown, "semantic_types": list(g.type_names(c))})
            if len(found) >= MAX_LOOKUP:
                break
        return json.dumps(found or {"result": f"no concept named {name!r}"})

    def related_concepts(concept_id: str, layer: str) -> str:
        tlog.add_call("related_concepts", {"concept_id": concept_id, "layer": layer})
        concept = g.concept(concept_id)
        if concept is None:
            return json.dumps({"error": f"no concept with id {concept_id!r}; use lookup_concept"})
        if layer not in LAYERS:
            return json.dumps({"error": f"unknown layer {layer!r}; allowed: {', '.join(LAYERS)}"})
        items = g.related(concept, label, "", [layer], limit)
        tlog.add_related(items)
        return json.dumps(
            [
                {
                    "id": r.id,
                    "name": r.name,
                    "relation": r.layer,
                    "semantic_types": list(r.semantic_types),
                    "synonyms": list(r.synonyms),
                }
                for r in items
            ]
            or {"result": f"no {layer} for {concept_id}"}
        )

    def semantic_type(concept_id: str) -> str:
        tlog.add_call("semantic_type", {"concept_id": concept_id})
        c = g.concept(concept_id)
        if c is None:
            return json.dumps({"error": f"no concept with id {concept_id!r}"})
        types = []
        for tui in c.semantic_types:
            st = store.semantic_type(tui)
            types.append(
                {"tui": tui, "name": st.name if st else "", "group": st.group if st else ""}
            )
        return json.dumps({"id": c.id, "name": g.display_name(c) or "", "semantic_types": types})

    return [
        StructuredTool.from_function(
            lookup_concept,
            name="lookup_concept",
            description="Find concepts of the knowledge graph by name; returns id, name, types.",
            args_schema=LookupArgs,
        ),
        StructuredTool.from_function(
            related_concepts,
            name="related_concepts",
            description="Fetch one layer of concepts related to a concept (parents, children, "
            "siblings, semantic_type, synonyms), with their types and synonyms.",
            args_schema=RelatedArgs,
        ),
        StructuredTool.from_function(
            semantic_type,
            name="semantic_type",
            description="Get a concept's semantic types and semantic groups.",
            args_schema=TypeArgs,
        ),
    ]
