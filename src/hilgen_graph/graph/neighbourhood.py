"""The is-a breadth-first neighbourhood of a concept (the stores' ``neighbourhood`` query) and
concept lookup by id or name: plain graph queries over the :class:`GraphStore` protocol."""

from __future__ import annotations

from collections.abc import Callable

import networkx as nx

from hilgen_graph.errors import GraphError
from hilgen_graph.graph.records import Concept
from hilgen_graph.graph.store import GraphStore

EdgeFn = Callable[[str], tuple[list[tuple[str, str]], list[tuple[str, str]]]]
"""``edges(id) -> (up, down)``: (parent id, source) and (child id, source) pairs of a concept."""
ConceptsFn = Callable[[list[str]], dict[str, Concept]]


def bfs_neighbourhood(
    root: str, depth: int, limit: int, edges: EdgeFn, concepts: ConceptsFn
) -> nx.DiGraph:
    """The k-hop is-a neighbourhood by the rule in :mod:`hilgen_graph.graph.store`.

    Breadth-first in both directions; each layer's new nodes are kept in id order until
    ``limit`` nodes are kept; then every child -> parent edge between kept nodes is added with
    ``source`` = its sources sorted and joined by ``","``. An unknown root gives an empty graph.
    """
    graph = nx.DiGraph()
    start = concepts([root]).get(root)
    if start is None or limit < 1:
        return graph
    kept: set[str] = {root}
    frontier = [root]
    seen_edges: dict[str, tuple[list[tuple[str, str]], list[tuple[str, str]]]] = {}
    for _ in range(max(depth, 0)):
        if len(kept) >= limit or not frontier:
            break
        new: set[str] = set()
        for node in frontier:
            up, down = seen_edges.setdefault(node, edges(node))
            new.update(other for other, _ in up + down if other not in kept)
        layer = sorted(new)[: limit - len(kept)]
        kept.update(layer)
        frontier = layer
    sources: dict[tuple[str, str], set[str]] = {}
    for node in sorted(kept):
        up, down = seen_edges.setdefault(node, edges(node))
        for parent, src in up:
            if parent in kept:
                sources.setdefault((node, parent), set()).add(src)
        for child, src in down:
            if child in kept:
                sources.setdefault((child, node), set()).add(src)
    found = concepts(sorted(kept))
    for node in sorted(kept):
        c = found.get(node)
        graph.add_node(
            node,
            name=c.preferred_name if c else "",
            semantic_types=tuple(c.semantic_types) if c else (),
        )
    for (child, parent), srcs in sorted(sources.items()):
        graph.add_edge(child, parent, source=",".join(sorted(s for s in srcs if s)))
    return graph


# --- resolving what the user typed --------------------------------------------------------------
def resolve_concept(store: GraphStore, id_or_name: str) -> Concept:
    """The concept with this id, else the first (by id) whose name matches ``lookup``."""
    found = store.concept(id_or_name)
    if found is not None:
        return found
    matches = store.lookup(id_or_name)
    if not matches:
        raise GraphError(
            f"no concept has the id or name {id_or_name!r}",
            fix="pass a concept id (e.g. D006973) or a name the graph knows (e.g. Hypertension)",
        )
    return matches[0]
