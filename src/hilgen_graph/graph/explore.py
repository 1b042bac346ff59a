"""Exploring a concept's is-a neighbourhood: a ``networkx.DiGraph``, a tree, and drawings.

Functions here return data or the paths they wrote; printing belongs to the CLI.
Drawings: ``.png`` (matplotlib), ``.html`` (a self-contained page with an inline SVG) and
``.graphml`` (networkx). Layout: parents above, children below, one row per is-a generation.
"""

from __future__ import annotations

import html
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import networkx as nx

from hilgen_graph.errors import GraphError
from hilgen_graph.graph.records import Concept
from hilgen_graph.graph.store import GraphStore

EdgeFn = Callable[[str], tuple[list[tuple[str, str]], list[tuple[str, str]]]]
"""``edges(id) -> (up, down)``: (parent id, source) and (child id, source) pairs of a concept."""
ConceptsFn = Callable[[list[str]], dict[str, Concept]]

DRAW_FORMATS: Final = (".png", ".html", ".graphml")
MAX_PER_ROW: Final = 10  # nodes per drawn row before a generation wraps


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


# --- tree view ----------------------------------------------------------------------------------
@dataclass
class TreeNode:
    """One line of the tree: a concept, how it relates to its tree parent, and its branches."""

    id: str
    name: str
    relation: str  # "root", "parent", "child"
    semantic_types: tuple[str, ...] = ()
    branches: list[TreeNode] = field(default_factory=list)


def neighbourhood_tree(graph: nx.DiGraph, root: str, depth: int) -> TreeNode:
    """A tree for the terminal: the root, its ancestors upward and its descendants downward."""

    def node(cid: str, relation: str) -> TreeNode:
        data = graph.nodes[cid]
        return TreeNode(cid, data.get("name", ""), relation, tuple(data.get("semantic_types", ())))

    def grow(tree: TreeNode, relation: str, level: int, path: set[str]) -> None:
        if level >= depth:
            return
        step = graph.successors if relation == "parent" else graph.predecessors
        for other in sorted(step(tree.id)):
            if other in path:
                continue
            branch = node(other, relation)
            grow(branch, relation, level + 1, path | {other})
            tree.branches.append(branch)

    if root not in graph:
        raise GraphError(f"{root!r} is not in the neighbourhood graph", fix="check the concept id")
    top = node(root, "root")
    grow(top, "parent", 0, {root})
    ups = list(top.branches)
    top.branches = []
    grow(top, "child", 0, {root})
    top.branches = ups + top.branches
    return top


# --- drawing ------------------------------------------------------------------------------------
def _generations(graph: nx.DiGraph, root: str) -> dict[str, int]:
    """Signed is-a distance from the root: parents negative, children positive."""
    level = {root: 0}
    queue = [root]
    while queue:
        nxt: list[str] = []
        for cid in queue:
            for parent in sorted(graph.successors(cid)):
                if parent not in level:
                    level[parent] = level[cid] - 1
                    nxt.append(parent)
            for child in sorted(graph.predecessors(cid)):
                if child not in level:
                    level[child] = level[cid] + 1
                    nxt.append(child)
        queue = nxt
    for cid in graph.nodes:
        level.setdefault(cid, 0)
    return level


def layout(graph: nx.DiGraph, root: str) -> dict[str, tuple[float, float]]:
    """Deterministic positions: one band per generation (parents on top), ids left to right;
    a generation wider than ``MAX_PER_ROW`` wraps onto further rows of its band."""
    level = _generations(graph, root)
    bands: dict[int, list[str]] = {}
    for cid in sorted(graph.nodes):
        bands.setdefault(level[cid], []).append(cid)
    pos: dict[str, tuple[float, float]] = {}
    line = 0
    for lv in sorted(bands):
        ids = bands[lv]
        for start in range(0, len(ids), MAX_PER_ROW):
            row = ids[start : start + MAX_PER_ROW]
            for i, cid in enumerate(row):
                pos[cid] = ((i + 0.5) / len(row), -float(line))
            line += 1
    return pos


def _label(graph: nx.DiGraph, cid: str, width: int = 28) -> str:
    name = str(graph.nodes[cid].get("name", ""))
    if len(name) > width:
        name = name[: width - 1] + "…"
    return f"{cid}\n{name}" if name else cid


def _atomic_target(out: Path) -> tuple[int, Path]:
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=out.suffix)
    return fd, Path(tmp)


def _write_png(graph: nx.DiGraph, root: str, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pos = layout(graph, root)
    rows = max(1, len({y for _, y in pos.values()}))
    widest = max([sum(1 for p in pos.values() if p[1] == y) for _, y in pos.values()] or [1])
    fig, ax = plt.subplots(figsize=(max(6.0, 2.2 * widest), max(3.0, 1.8 * rows)))
    colours = ["#f4a261" if n == root else "#a8dadc" for n in graph.nodes]
    nx.draw_networkx_edges(graph, pos, ax=ax, arrows=True, arrowstyle="-|>", edge_color="#555555")
    nx.draw_networkx_nodes(graph, pos, ax=ax, node_color=colours, node_size=900)
    nx.draw_networkx_labels(
        graph, pos, labels={n: _label(graph, n) for n in graph.nodes}, ax=ax, font_size=7
    )
    ax.set_title(f"is-a neighbourhood of {root} (arrows: child → parent)")
    ax.axis("off")
    fig.tight_layout()
    fd, tmp = _atomic_target(out)
    os.close(fd)
    try:
        fig.savefig(tmp, format="png", dpi=120)
        os.replace(tmp, out)
    finally:
        plt.close(fig)
        tmp.unlink(missing_ok=True)


def _svg(graph: nx.DiGraph, root: str) -> str:
    pos = layout(graph, root)
    ys = sorted({y for _, y in pos.values()}, reverse=True)
    widest = max([sum(1 for p in pos.values() if p[1] == y) for y in ys] or [1])
    width, row_h, box_w, box_h = max(640, 220 * widest), 110, 200, 44
    height = row_h * max(len(ys), 1) + 40
    row_of = {y: i for i, y in enumerate(ys)}

    def xy(cid: str) -> tuple[float, float]:
        x, y = pos[cid]
        return x * width, 30 + row_of[y] * row_h + box_h / 2

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'font-family="sans-serif" font-size="11">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>',
    ]
    for child, parent, data in sorted(graph.edges(data=True)):
        (x1, y1), (x2, y2) = xy(child), xy(parent)
        y1 += -box_h / 2 if y2 < y1 else box_h / 2
        y2 += box_h / 2 if y2 < y1 else -box_h / 2
        title = html.escape(f"{child} is-a {parent} ({data.get('source', '')})")
        parts.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#555" '
            f'marker-end="url(#arrow)"><title>{title}</title></line>'
        )
    for cid in sorted(graph.nodes):
        x, y = xy(cid)
        data = graph.nodes[cid]
        fill = "#f4a261" if cid == root else "#a8dadc"
        name = str(data.get("name", ""))
        short = name if len(name) <= 30 else name[:29] + "…"
        tip = html.escape(f"{cid} {name} {' '.join(data.get('semantic_types', ()))}")
        parts.append(
            f'<g><title>{tip}</title><rect x="{x - box_w / 2:.1f}" y="{y - box_h / 2:.1f}" '
            f'width="{box_w}" height="{box_h}" rx="6" fill="{fill}" stroke="#333"/>'
            f'<text x="{x:.1f}" y="{y - 4:.1f}" text-anchor="middle" font-weight="bold">'
            f"{html.escape(cid)}</text>"
            f'<text x="{x:.1f}" y="{y + 11:.1f}" text-anchor="middle">'
            f"{html.escape(short)}</text></g>"
        )
    parts.append("</svg>")
    return "\n".join(parts)


def _write_text(out: Path, text: str) -> None:
    fd, tmp = _atomic_target(out)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, out)


def _write_html(graph: nx.DiGraph, root: str, out: Path) -> None:
    title = html.escape(f"is-a neighbourhood of {root}")
    rows = "\n".join(
        f"<tr><td>{html.escape(c)}</td><td>{html.escape(str(d.get('name', '')))}</td>"
        f"<td>{html.escape(' '.join(d.get('semantic_types', ())))}</td></tr>"
        for c, d in sorted(graph.nodes(data=True))
    )
    page = (
        f'<!doctype html>\n<html><head><meta charset="utf-8"><title>{title}</title></head>\n'
        f"<body><h1>{title}</h1><p>Arrows point from child to parent.</p>\n"
        f"{_svg(graph, root)}\n"
        '<table border="1" cellpadding="3"><tr><th>id</th><th>name</th>'
        f"<th>semantic types</th></tr>\n{rows}\n</table></body></html>\n"
    )
    _write_text(out, page)


def _write_graphml(graph: nx.DiGraph, out: Path) -> None:
    flat = nx.DiGraph()
    for cid, data in graph.nodes(data=True):
        flat.add_node(
            cid,
            name=str(data.get("name", "")),
            semantic_types=",".join(data.get("semantic_types", ())),
        )
    for child, parent, data in graph.edges(data=True):
        flat.add_edge(child, parent, source=str(data.get("source", "")))
    fd, tmp = _atomic_target(out)
    os.close(fd)
    try:
        nx.write_graphml(flat, tmp)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def draw(graph: nx.DiGraph, root: str, out: str | Path) -> Path:
    """Write the neighbourhood to ``out`` (.png, .html or .graphml, by suffix); return the path."""
    path = Path(out)
    suffix = path.suffix.lower()
    if suffix not in DRAW_FORMATS:
        raise GraphError(
            f"cannot draw to {path.name!r}: unknown format {suffix or '(none)'}",
            path=str(path),
            fix=f"use one of {', '.join(DRAW_FORMATS)}",
        )
    if suffix == ".png":
        _write_png(graph, root, path)
    elif suffix == ".html":
        _write_html(graph, root, path)
    else:
        _write_graphml(graph, path)
    return path


@dataclass(frozen=True)
class Exploration:
    """The result of :func:`explore`: the root, its neighbourhood, its tree and any drawing."""

    root: Concept
    graph: nx.DiGraph
    tree: TreeNode
    drawing: Path | None


def explore(
    store: GraphStore,
    id_or_name: str,
    *,
    depth: int = 2,
    limit: int = 200,
    out: str | Path | None = None,
) -> Exploration:
    """Resolve ``id_or_name``, take its neighbourhood, build the tree, draw it if ``out``."""
    root = resolve_concept(store, id_or_name)
    graph = store.neighbourhood(root.id, depth=depth, limit=limit)
    tree = neighbourhood_tree(graph, root.id, depth)
    drawing = draw(graph, root.id, out) if out is not None else None
    return Exploration(root, graph, tree, drawing)
