"""Graph access for the LLM arm: retrieval of related concepts per layer, and the LangChain tools
a tool-calling agent uses (look up a concept, fetch a layer of related concepts, get a concept's
semantic type).

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

from hilgen_graph.agents.schemas import RelatedConcept
from hilgen_graph.errors import ExpansionError
from hilgen_graph.graph.normalize import normalize
from hilgen_graph.graph.records import Concept
from hilgen_graph.graph.store import GraphStore

LAYERS = ("parents", "children", "siblings", "semantic_type", "synonyms")
Layer = Literal["parents", "children", "siblings", "semantic_type", "synonyms"]
DEFAULT_LIMIT = 10
MAX_SYNONYMS = 2


def type_names(store: GraphStore, concept: Concept) -> tuple[str, ...]:
    names = []
    for tui in concept.semantic_types:
        st = store.semantic_type(tui)
        names.append(st.name if st is not None else tui)
    return tuple(names)


def synonyms_of(store: GraphStore, concept: Concept, limit: int = MAX_SYNONYMS) -> tuple[str, ...]:
    """Up to ``limit`` synonyms that differ from the preferred name (after normalisation)."""
    seen = {normalize(concept.preferred_name)}
    out: list[str] = []
    for t in store.synonyms(concept.id):
        key = t.normalized or normalize(t.text)
        if key in seen or "," in t.text:  # skip inverted MeSH forms ("Ataxia, Cerebellar")
            continue
        seen.add(key)
        out.append(t.text)
        if len(out) >= limit:
            break
    return tuple(out)


def layer_concepts(
    store: GraphStore, concept_id: str, layer: str, limit: int = DEFAULT_LIMIT, seed: int = 0
) -> list[Concept]:
    """The concepts of one HILGEN layer around ``concept_id`` (the concept itself excluded)."""
    if layer == "parents":
        found = store.parents(concept_id)
    elif layer == "children":
        found = store.children(concept_id)
    elif layer == "siblings":
        found = store.siblings(concept_id, limit=limit)
    elif layer == "semantic_type":
        found = store.same_semantic_type(concept_id, limit=limit, seed=seed)
    elif layer == "synonyms":
        c = store.concept(concept_id)
        found = [c] if c is not None else []
    else:
        raise ExpansionError(f"unknown layer {layer!r}; allowed: {', '.join(LAYERS)}")
    return [c for c in found if c.id != concept_id or layer == "synonyms"][:limit]


def retrieve_related(
    store: GraphStore,
    concept_id: str,
    layers: Sequence[str],
    limit: int = DEFAULT_LIMIT,
    seed: int = 0,
) -> list[RelatedConcept]:
    """Related concepts of the given layers, each with its type names and a synonym or two;
    at most ``limit`` in all, shared fairly between the layers, no concept twice."""
    per_layer = {lay: layer_concepts(store, concept_id, lay, limit, seed) for lay in layers}
    out: list[RelatedConcept] = []
    seen = {concept_id}
    i = 0
    while len(out) < limit and any(i < len(v) for v in per_layer.values()):
        for lay in layers:
            items = per_layer[lay]
            if i < len(items) and items[i].id not in seen and len(out) < limit:
                c = items[i]
                seen.add(c.id)
                out.append(
                    RelatedConcept(
                        c.id, c.preferred_name, lay, type_names(store, c), synonyms_of(store, c)
                    )
                )
        i += 1
    return out


def link_mention(store: GraphStore, text: str, concept_ids: Sequence[str] = ()) -> Concept | None:
    """The concept of a gold mention: its corpus id when the graph has it, else string lookup."""
    for cid in concept_ids:
        c = store.concept(cid)
        if c is not None:
            return c
    found = store.lookup(text)
    return found[0] if found else None


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
    store: GraphStore, log: ToolLog | None = None, limit: int = DEFAULT_LIMIT, seed: int = 0
) -> list[BaseTool]:
    """The three graph tools; every call is recorded in ``log``."""
    tlog = log if log is not None else ToolLog()

    def lookup_concept(name: str) -> str:
        tlog.add_call("lookup_concept", {"name": name})
        found = store.lookup(name)[:5]
        return json.dumps(
            [
                {"id": c.id, "name": c.preferred_name, "semantic_types": list(type_names(store, c))}
                for c in found
            ]
            or {"result": f"no concept named {name!r}"}
        )

    def related_concepts(concept_id: str, layer: str) -> str:
        tlog.add_call("related_concepts", {"concept_id": concept_id, "layer": layer})
        if store.concept(concept_id) is None:
            return json.dumps({"error": f"no concept with id {concept_id!r}; use lookup_concept"})
        items = retrieve_related(store, concept_id, [layer], limit, seed)
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
        c = store.concept(concept_id)
        if c is None:
            return json.dumps({"error": f"no concept with id {concept_id!r}"})
        types = []
        for tui in c.semantic_types:
            st = store.semantic_type(tui)
            types.append(
                {"tui": tui, "name": st.name if st else "", "group": st.group if st else ""}
            )
        return json.dumps({"id": c.id, "name": c.preferred_name, "semantic_types": types})

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
