"""Exploration: resolving names, the tree view, drawings, and the generic neighbourhood BFS."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from hilgen_graph.errors import GraphError
from hilgen_graph.graph.explore import (
    TreeNode,
    draw,
    explore,
    layout,
    neighbourhood_tree,
    neighbourhood_via_protocol,
    resolve_concept,
)
from hilgen_graph.graph.store import GraphStore


def flatten(node: TreeNode, depth: int = 0) -> list[tuple[int, str, str]]:
    rows = [(depth, node.relation, node.id)]
    for branch in node.branches:
        rows += flatten(branch, depth + 1)
    return rows


def test_resolve_by_id_then_by_name(graph_store: GraphStore) -> None:
    assert resolve_concept(graph_store, "C004").preferred_name == "Hypertension, Malignant"
    assert resolve_concept(graph_store, "hypertension, malignant").id == "C004"
    with pytest.raises(GraphError, match="no concept has the id or name 'Nothing'"):
        resolve_concept(graph_store, "Nothing")


def test_tree_puts_ancestors_up_and_descendants_down(graph_store: GraphStore) -> None:
    graph = graph_store.neighbourhood("C003", depth=2)
    tree = neighbourhood_tree(graph, "C003", depth=2)
    assert flatten(tree) == [
        (0, "root", "C003"),
        (1, "parent", "C002"),
        (2, "parent", "C001"),
        (1, "child", "C004"),
        (1, "child", "C005"),
        (1, "child", "C006"),
    ]


def test_neighbourhood_via_protocol_has_the_same_shape(graph_store: GraphStore) -> None:
    native = graph_store.neighbourhood("C002", depth=2, limit=6)
    generic = neighbourhood_via_protocol(graph_store, "C002", depth=2, limit=6)
    assert sorted(native.nodes(data=True)) == sorted(generic.nodes(data=True))
    assert sorted(native.edges) == sorted(generic.edges)


def test_layout_rows_by_generation(graph_store: GraphStore) -> None:
    graph = graph_store.neighbourhood("C003", depth=2)
    pos = layout(graph, "C003")
    assert pos["C001"][1] > pos["C002"][1] > pos["C003"][1] > pos["C004"][1]
    assert pos["C004"][1] == pos["C005"][1] == pos["C006"][1]


def test_explore_writes_each_format(graph_store: GraphStore, tmp_path: Path) -> None:
    result = explore(graph_store, "Hypertension", depth=1, out=tmp_path / "n.graphml")
    assert result.root.id == "C003"
    assert result.drawing == tmp_path / "n.graphml"
    back = nx.read_graphml(tmp_path / "n.graphml")
    assert back.nodes["C006"]["semantic_types"] == "T047,T191"
    html_path = draw(result.graph, "C003", tmp_path / "n.html")
    assert "Hypertension, Malignant" in html_path.read_text(encoding="utf-8")
    png = draw(result.graph, "C003", tmp_path / "n.png")
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_draw_rejects_unknown_formats(graph_store: GraphStore, tmp_path: Path) -> None:
    graph = graph_store.neighbourhood("C003")
    with pytest.raises(GraphError, match="use one of .png, .html, .graphml"):
        draw(graph, "C003", tmp_path / "n.jpg")
    assert list(tmp_path.iterdir()) == []
