"""The plain is-a neighbourhood and concept lookup by id or name, on every backend."""

from __future__ import annotations

import networkx as nx
import pytest

from hilgen_graph.errors import GraphError
from hilgen_graph.graph.neighbourhood import bfs_neighbourhood, resolve_concept
from hilgen_graph.graph.records import Concept
from hilgen_graph.graph.store import GraphStore


def neighbourhood_via_protocol(
    store: GraphStore, root: str, depth: int = 1, limit: int = 200
) -> nx.DiGraph:
    """The same neighbourhood built from ``parents``/``children`` alone (no edge sources)."""

    def edges(cid: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        return (
            [(c.id, "") for c in store.parents(cid)],
            [(c.id, "") for c in store.children(cid)],
        )

    def concepts(ids: list[str]) -> dict[str, Concept]:
        out: dict[str, Concept] = {}
        for i in ids:
            c = store.concept(i)
            if c is not None:
                out[i] = c
        return out

    return bfs_neighbourhood(root, depth, limit, edges, concepts)


def test_resolve_by_id_then_by_name(graph_store: GraphStore) -> None:
    assert resolve_concept(graph_store, "C004").preferred_name == "Hypertension, Malignant"
    assert resolve_concept(graph_store, "hypertension, malignant").id == "C004"
    with pytest.raises(GraphError, match="no concept has the id or name 'Nothing'"):
        resolve_concept(graph_store, "Nothing")


def test_neighbourhood_via_protocol_has_the_same_shape(graph_store: GraphStore) -> None:
    native = graph_store.neighbourhood("C002", depth=2, limit=6)
    generic = neighbourhood_via_protocol(graph_store, "C002", depth=2, limit=6)
    assert sorted(native.nodes(data=True)) == sorted(generic.nodes(data=True))
    assert sorted(native.edges) == sorted(generic.edges)
