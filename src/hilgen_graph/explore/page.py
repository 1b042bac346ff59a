"""Offline interactive pages of explorations (``hilgen graph explore ... --out FILE.html``).

:func:`render_page` draws one exploration with pyvis (vis-network, inlined with
``cdn_resources="in_line"``): nodes coloured by layer, the linked concept highlighted, a tooltip
with id, semantic type, source and relation path, a search box over every node, and a switch
that shows or hides the candidates the filters excluded (hidden at first, so the first view is
what the arms use). Positions are layered (parents above, children below, siblings beside,
synonyms and same-type concepts at the sides); nodes can be dragged.

:func:`render_index` writes the index of a whole sample (one row per gold mention: label,
linked concept, picked per layer, excluded per filter), searchable, linking to each page.

Pages fetch nothing: pyvis's default template loads Bootstrap from a CDN, so the page uses its
own template (below) around pyvis's inlined vis-network, and :func:`offline_violations` lists
any ``http(s)://`` text in a page besides the fixed non-loading strings inside the bundled
vis-network (its licence comments, documentation links in error messages and the SVG namespace).
Text from the graph is data: it is HTML-escaped in markup and JSON-escaped (with ``<`` and ``/``
escaped) inside scripts. When a page's script has run it sets ``data-ready="1"`` on ``<body>``
and, for the graph page, ``data-nodes-drawn`` (nodes vis-network draws) after each redraw.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from hilgen_graph.atomic import write_text
from hilgen_graph.errors import GraphError
from hilgen_graph.explore.style import (
    CENTRE_COLOUR,
    EXCLUDED_COLOUR,
    LAYER_COLOURS,
    LAYER_TITLES,
)

if TYPE_CHECKING:
    from hilgen_graph.explore.explorer import Exploration, ExploredNode, SampleExploration

# http(s) strings inside pyvis 0.3.2's vis-network 9.1.2 and tom-select bundles that load nothing.
BUNDLED_NON_LOADING_URLS: Final = frozenset(
    {
        "http://almende.com",
        "http://opensource.org/licenses/MIT",
        "http://www.apache.org/licenses/LICENSE-2.0",
        "http://www.w3.org/2000/svg",
        "https://github.com/uuidjs/uuid#getrandomvalues-not-supported",
        "https://github.com/visjs",
        "https://github.com/zloirock/core-js",
        "https://github.com/zloirock/core-js/blob/v3.21.1/LICENSE",
        "https://visjs.github.io/vis-network/",
    }
)
_URL = re.compile(r"https?://[^\s\"'<>)\\]*", re.I)
_GAP_X: Final = 205.0
_GAP_Y: Final = 80.0

_PAGE_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<script>{% include 'lib/vis-9.1.2/vis-network.min.js' %}</script>
<style>{% include 'lib/vis-9.1.2/vis-network.css' %}</style>
<style>
body{font-family:system-ui,sans-serif;margin:0;color:#222}
#wrap{display:flex;height:100vh}
#side{width:380px;overflow:auto;padding:12px 14px;border-right:1px solid #ddd;font-size:13px}
#mynetwork{flex:1;height:{{ height }};background:{{ bgcolor }}}
h1{font-size:16px;margin:0 0 6px}h2{font-size:14px;margin:14px 0 4px}
table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ddd;padding:2px 5px}
th{background:#f3f3f3;text-align:left}td.n{text-align:right}
.sw{display:inline-block;width:11px;height:11px;border:1px solid #777;margin-right:4px;
vertical-align:middle}
#node-search{width:100%;box-sizing:border-box;padding:4px;margin:4px 0}
#node-list{list-style:none;padding:0;margin:4px 0}#node-list li{padding:2px 4px;cursor:pointer;
border-left:5px solid #ccc;margin:1px 0}#node-list li.excluded{color:#777;font-style:italic}
#node-list li.hidden{display:none}#node-list li:hover{background:#f0f0f0}
.muted{color:#666}.vis-tooltip{white-space:pre-line!important;max-width:420px}
</style></head>
<body><div id="wrap"><div id="side">{{ heading }}
<h2>Nodes</h2>
<label><input type="checkbox" id="show-excluded"> show excluded candidates
(<span id="excluded-count"></span>)</label>
<input id="node-search" type="search" placeholder="search name, id, layer, filter"
 aria-label="search nodes">
<div class="muted" id="search-status"></div>
<ul id="node-list"></ul></div>
<div id="mynetwork"></div></div>
<script>
(function () {
  var nodes = new vis.DataSet({{ nodes|tojson|replace("/", "\\\\/") }});
  var edges = new vis.DataSet({{ edges|tojson|replace("/", "\\\\/") }});
  var options = {{ options|safe }};
  var container = document.getElementById('mynetwork');
  var network = new vis.Network(container, {nodes: nodes, edges: edges}, options);
  window.hilgenNetwork = network;  // for tests and the curious
  var body = document.body;
  var all = nodes.get();
  body.dataset.nodesTotal = String(all.length);
  network.on('afterDrawing', function () {
    body.dataset.nodesDrawn = String(network.body.nodeIndices.length);
    body.dataset.ready = '1';
  });
  var list = document.getElementById('node-list');
  var excluded = all.filter(function (n) { return n.status === 'excluded'; });
  document.getElementById('excluded-count').textContent = String(excluded.length);
  all.forEach(function (n) {
    var li = document.createElement('li');
    li.dataset.key = n.id;
    li.dataset.status = n.status;
    li.className = n.status;
    li.style.borderLeftColor = n.layer_colour;
    li.textContent = n.search_text;
    li.title = n.title;
    li.addEventListener('click', function () {
      network.selectNodes([n.id]);
      network.focus(n.id, {scale: 1.2, animation: false});
    });
    list.appendChild(li);
  });
  var box = document.getElementById('node-search');
  var toggle = document.getElementById('show-excluded');
  function visible(n) { return n.status !== 'excluded' || toggle.checked; }
  function search() {
    var q = box.value.trim().toLowerCase();
    var hits = [];
    Array.prototype.forEach.call(list.children, function (li) {
      var n = nodes.get(li.dataset.key);
      var match = !q || li.textContent.toLowerCase().indexOf(q) >= 0;
      var show = match && visible(n);
      li.classList.toggle('hidden', !show);
      if (show && q) hits.push(n.id);
    });
    network.selectNodes(hits);
    document.getElementById('search-status').textContent =
      q ? hits.length + ' node(s) match' : '';
    body.dataset.searchHits = String(hits.length);
  }
  function showHide() {
    nodes.update(all.map(function (n) { return {id: n.id, hidden: !visible(n)}; }));
    network.fit({nodes: all.filter(visible).map(function (n) { return n.id; }),
                 animation: false});
    search();
  }
  box.addEventListener('input', search);
  toggle.addEventListener('change', showHide);
  showHide();
})();
</script></body></html>
"""

_INDEX_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.2em 1.6em;color:#222}
h1{font-size:1.3em}table{border-collapse:collapse;font-size:13px}
td,th{border:1px solid #ddd;padding:3px 6px;vertical-align:top}th{background:#f3f3f3;
text-align:left;position:sticky;top:0}td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.hidden{display:none}tr.unlinked td{background:#fff3f3}#search{width:30em;padding:4px}
td.context{max-width:28em;font-size:12px;color:#444}mark{background:#ffe082}
.muted{color:#666}tfoot td{font-weight:bold;background:#fafafa}
"""

_INDEX_SCRIPT = """
(function () {
  var box = document.getElementById('search');
  var rows = Array.prototype.slice.call(document.querySelectorAll('tr.mention-row'));
  function apply() {
    var q = box.value.trim().toLowerCase();
    var n = 0;
    rows.forEach(function (r) {
      var hit = !q || r.textContent.toLowerCase().indexOf(q) >= 0;
      r.classList.toggle('hidden', !hit);
      if (hit) n += 1;
    });
    document.getElementById('shown').textContent = n + ' of ' + rows.length + ' mentions shown';
    document.body.dataset.shown = String(n);
  }
  box.addEventListener('input', apply);
  apply();
  document.body.dataset.mentionRows = String(rows.length);
  document.body.dataset.ready = '1';
})();
"""


def _json_for_script(obj: Any) -> str:
    """JSON that is safe inside ``<script>``: ``<``, ``>``, ``&`` and ``/`` escaped."""
    text = json.dumps(obj, ensure_ascii=False)
    for a, b in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("/", "\\/")):
        text = text.replace(a, b)
    return text


def _text(value: object) -> str:
    """Data as HTML text or attribute: escaped, and ``/`` written ``&#47;`` so that no text
    from the graph reads as a URL in the page source (it shows the same)."""
    return html.escape(str(value)).replace("/", "&#47;")


def _marked(exp: Exploration) -> str:
    """The mention's sentence as HTML text with the mention in ``<mark>`` (by its offsets in
    the sentence, else its first occurrence)."""
    sentence, entity = exp.sentence, exp.link.entity
    at, end = entity.start, entity.end
    if not (0 <= at < end <= len(sentence)) or sentence[at:end] != entity.text:
        at = sentence.find(entity.text) if entity.text else -1
        end = at + len(entity.text)
    if at < 0:
        return _text(sentence)
    return f"{_text(sentence[:at])}<mark>{_text(sentence[at:end])}</mark>{_text(sentence[end:])}"


def offline_violations(page: str) -> list[str]:
    """Every ``http(s)://`` string in ``page`` other than the bundle's non-loading ones."""
    return sorted({u for u in _URL.findall(page) if u not in BUNDLED_NON_LOADING_URLS})


def _tooltip(n: ExploredNode) -> str:
    lines = [f"{n.name}  ({n.concept_id})"]
    if n.status == "centre":
        lines.append("linked concept (centre)")
    else:
        state = "picked" if n.status == "picked" else f"excluded by: {n.filter}"
        lines.append(f"layer: {LAYER_TITLES.get(n.layer, n.layer)} — {state}")
    lines.append("semantic type: " + (", ".join(n.semantic_types) or "-"))
    lines.append(f"source: {n.source or '-'}")
    lines.append("relation path: " + (" ".join(n.relation_path) or "-"))
    return "\n".join(lines)


def _grid(
    count: int, x0: float, y0: float, cols: int, dx: float, dy: float
) -> list[tuple[float, float]]:
    """Row-major grid: ``cols`` per row."""
    return [(x0 + (i % cols) * dx, y0 + (i // cols) * dy) for i in range(count)]


def _columns(
    count: int, x0: float, y0: float, per_col: int, dx: float, dy: float
) -> list[tuple[float, float]]:
    """Column-major list: ``per_col`` entries down each column, columns stepping by ``dx``."""
    return [(x0 + (i // per_col) * dx, y0 + (i % per_col) * dy) for i in range(count)]


_LIST_ROWS: Final = 10  # entries per column of the synonym and same-type lists


def layered_positions(nodes: Sequence[ExploredNode]) -> dict[str, tuple[float, float]]:
    """Positions (pixels) per node key: for each centre, parents in rows above, children in rows
    below, siblings in a block to the right, synonyms in a list to the left and same-type
    concepts in rows under the children; picked before excluded within each layer (so picked
    ones sit nearest). Several centres (a composite mention) sit side by side."""
    pos: dict[str, tuple[float, float]] = {}
    for centre in (n for n in nodes if n.status == "centre"):
        by_layer: dict[str, list[ExploredNode]] = {}
        for n in nodes:
            if n.centre_id == centre.concept_id and n.status != "centre":
                by_layer.setdefault(n.layer, []).append(n)
        kid_rows = max(1, math.ceil(len(by_layer.get("children", [])) / 6))
        below = 170.0 + kid_rows * _GAP_Y + 90.0  # where the same-type rows start
        local = {centre.key: (0.0, 0.0)}
        for layer, items in by_layer.items():
            items = sorted(items, key=lambda n: n.status != "picked")
            k = len(items)
            if layer in ("parents", "children"):
                cols = min(max(k, 1), 6)
                width = (cols - 1) * _GAP_X
                sign = -1.0 if layer == "parents" else 1.0
                spots = [
                    (x - width / 2, sign * (170.0 + y))
                    for x, y in _grid(k, 0.0, 0.0, cols, _GAP_X, _GAP_Y)
                ]
            elif layer == "siblings":
                spots = _grid(k, 300.0, -60.0, 3, _GAP_X, _GAP_Y * 0.8)
            elif layer == "synonyms":
                spots = _columns(k, -340.0, -250.0, _LIST_ROWS, -215.0, 44.0)
            else:  # semantic_type (and any other layer): rows under the children
                cols = min(max(k, 1), 5)
                width = (cols - 1) * _GAP_X
                spots = [
                    (x - width / 2, below + y) for x, y in _grid(k, 0.0, 0.0, cols, _GAP_X, 56.0)
                ]
                below += math.ceil(k / cols) * 56.0 + 60.0
            local.update((n.key, xy) for n, xy in zip(items, spots, strict=True))
        shift = 0.0
        if pos:
            shift = max(x for x, _ in pos.values()) + 500.0 - min(x for x, _ in local.values())
        pos.update((key, (x + shift, y)) for key, (x, y) in local.items())
    return pos


def _heading(exp: Exploration, back: str | None = None) -> str:
    e = _text
    link = exp.link
    cfg = exp.settings
    if link.linked:
        linked = ", ".join(f"<b>{e(c.id)}</b> {e(c.preferred_name)}" for c in link.concepts)
        how = f"linked by <b>{e(link.method.value)}</b>"
        if link.matched:
            how += f" on “{e(link.matched)}”"
        how += f", score {link.score:.3f}"
    else:
        linked = "<b>not linked</b>"
        how = e(link.reason)
    cands = "".join(
        f"<tr><td>{e(c.concept_id)}</td><td>{e(c.name)}</td><td>{e(c.method)}</td>"
        f"<td class='n'>{c.score:.3f}</td><td>{'yes' if c.fits_profile else 'no'}</td></tr>"
        for c in link.candidates
    )
    cand_table = (
        "<table id='candidates'><tr><th>id</th><th>name</th><th>method</th><th>score</th>"
        f"<th>in profile</th></tr>{cands}</table>"
        if cands
        else "<p class='muted'>no other candidate</p>"
    )
    counts = exp.counts()
    layer_rows = "".join(
        f"<tr data-layer='{e(layer)}'><td><span class='sw' style='background:"
        f"{LAYER_COLOURS.get(layer, '#ccc')}'></span>{e(LAYER_TITLES.get(layer, layer))}</td>"
        f"<td class='n'>{c['picked']}</td><td class='n'>{sum(c['excluded'].values())}</td>"
        f"<td>{e('; '.join(f'{r}: {n}' for r, n in c['excluded'].items()) or '-')}</td></tr>"
        for layer, c in counts.items()
    )
    nav = f"<p><a id='back' href='{e(back)}'>← all mentions of the sample</a></p>" if back else ""
    context = f"<p id='sentence' class='muted'>{_marked(exp)}</p>" if exp.sentence else ""
    return (
        f"{nav}<h1>“{e(exp.mention)}” "
        f"<span class='muted'>({e(exp.label or 'no label')})</span></h1>"
        f"{context}<div id='link'>{linked}<br><span class='muted'>{how}</span></div>"
        f"<div class='muted'>label profile: {e(exp.profile or '-')}<br>top-k "
        f"{e(str(cfg.get('top_k', '-')))}, seed {e(str(cfg.get('seed', '-')))}, preset "
        f"{e(str(cfg.get('preset', '-')))}</div>"
        f"<h2>Link candidates (best first)</h2>{cand_table}"
        "<h2>Layers</h2><table id='layers'><tr><th><span class='sw' style='background:"
        f"{CENTRE_COLOUR}'></span>layer</th><th>picked</th><th>excluded</th><th>why excluded"
        f"</th></tr>{layer_rows}</table>"
    )


@dataclass(frozen=True)
class PageStats:
    """What a written page holds (tests compare it with what the browser drew)."""

    path: Path
    nodes: int
    picked: int
    excluded: int
    bytes: int


def render_page(exp: Exploration, *, height: str = "100vh", back: str | None = None) -> str:
    """The exploration as one offline HTML page (see the module docstring)."""
    from jinja2 import ChoiceLoader, DictLoader, Environment, FileSystemLoader
    from pyvis.network import Network

    net = Network(height=height, width="100%", directed=True, cdn_resources="in_line")
    nodes = exp.nodes()
    pos = layered_positions(nodes)
    for n in nodes:
        colour = CENTRE_COLOUR if n.status == "centre" else LAYER_COLOURS.get(n.layer, "#cccccc")
        excluded = n.status == "excluded"
        label = n.name if len(n.name) <= 28 else n.name[:27] + "…"
        x, y = pos[n.key]
        net.add_node(
            n.key,
            label=label,
            shape="box",
            color={
                "background": EXCLUDED_COLOUR if excluded else colour,
                "border": "#e53935"
                if n.status == "centre"
                else ("#999999" if excluded else "#555555"),
            },
            title=_tooltip(n),
            x=x,
            y=y,
            borderWidth=3 if n.status == "centre" else 1,
            shapeProperties={"borderDashes": [4, 3] if excluded else False},
            font={
                "size": 20 if n.status == "centre" else 14,
                "color": "#777" if excluded else "#222",
            },
            # fields for the page's script (vis-network keeps them in its data set)
            concept_id=n.concept_id,
            layer=n.layer,
            status=n.status,
            layer_colour=colour,
            search_text=" · ".join(
                x
                for x in (
                    n.name,
                    n.concept_id,
                    LAYER_TITLES.get(n.layer, n.layer),
                    n.status if not excluded else f"excluded: {n.filter}",
                )
                if x
            ),
        )
    parent_key = {
        (n.centre_id, n.concept_id): n.key
        for n in nodes
        if n.layer == "parents" and n.status == "picked"
    }
    for n in nodes:
        if n.status == "centre":
            continue
        start = f"centre|{n.centre_id}"
        # a picked sibling hangs from the drawn parent it was reached through
        if n.layer == "siblings" and len(n.relation_path) >= 3:
            start = parent_key.get((n.centre_id, n.relation_path[2]), start)
        net.add_edge(
            start,
            n.key,
            color="#bbbbbb" if n.status == "excluded" else LAYER_COLOURS.get(n.layer, "#999999"),
            dashes=n.status == "excluded",
            width=1 if n.status == "excluded" else 2,
            arrows="",
        )
    net.set_options(
        json.dumps(
            {
                "physics": {"enabled": False},
                "interaction": {"hover": True, "tooltipDelay": 80, "keyboard": True},
                "edges": {"smooth": False},
                "nodes": {"margin": 7, "widthConstraint": {"maximum": 180}},
            }
        )
    )
    env = Environment(
        loader=ChoiceLoader(
            [DictLoader({"explore.html": _PAGE_TEMPLATE}), FileSystemLoader(net.template_dir)]
        ),
        autoescape=False,
    )
    net.templateEnv = env
    net.path = "explore.html"
    net.heading = _heading(exp, back)
    page = net.generate_html()
    title = _text(f"explore {exp.query} ({exp.label})")
    page = page.replace("<title></title>", f"<title>{title}</title>", 1)
    bad = offline_violations(page)
    if bad:
        raise GraphError(
            f"the explore page would load from the network: {', '.join(bad[:3])}",
            fix="report this: the page template or the bundled vis-network changed",
        )
    return page


def write_page(exp: Exploration, out: str | Path, *, back: str | None = None) -> PageStats:
    """Write :func:`render_page` to ``out`` (atomically); return what it holds."""
    path = Path(out)
    page = render_page(exp, back=back)
    write_text(path, page)
    nodes = exp.nodes()
    return PageStats(
        path,
        nodes=len(nodes),
        picked=sum(1 for n in nodes if n.status == "picked"),
        excluded=sum(1 for n in nodes if n.status == "excluded"),
        bytes=len(page.encode("utf-8")),
    )


def _cell_counts(c: dict[str, Any] | None) -> str:
    if c is None:
        return "<td class='n'>-</td>"
    return f"<td class='n'>{c['picked']}</td>"


def render_index(
    rows: Sequence[tuple[Exploration, str, str]],
    layers: Sequence[str],
    *,
    title: str,
    summary: dict[str, Any],
) -> str:
    """The sample index: ``rows`` are (exploration, sentence id, page file name) per gold
    mention; ``summary`` is shown above the table (sample file, k, seed, totals)."""
    e = _text
    head_layers = "".join(f"<th>{e(LAYER_TITLES.get(x, x))}<br>picked</th>" for x in layers)
    body = []
    for exp, sentence_id, page in rows:
        counts = exp.counts()
        if exp.link.linked:
            linked = "<br>".join(f"{e(c.id)} {e(c.preferred_name)}" for c in exp.link.concepts)
            how = e(exp.link.method.value)
        else:
            linked = f"<span class='muted'>not linked: {e(exp.link.reason)}</span>"
            how = "unlinked"
        reasons: dict[str, int] = {}
        for c in counts.values():
            for r, n in c["excluded"].items():
                reasons[r] = reasons.get(r, 0) + n
        why = "<br>".join(f"{e(r)}: {n}" for r, n in sorted(reasons.items())) or "-"
        cells = "".join(_cell_counts(counts.get(x)) for x in layers)
        body.append(
            f"<tr class='mention-row{'' if exp.link.linked else ' unlinked'}' "
            f"data-sentence='{e(sentence_id)}'><td><a href='{e(page)}'>{e(exp.mention)}</a>"
            f"<div class='muted'>{e(sentence_id)}</div></td>"
            f"<td class='context'>{_marked(exp)}</td><td>{e(exp.label)}</td>"
            f"<td>{linked}</td><td>{how}</td>{cells}<td class='n'>"
            f"{sum(reasons.values())}</td><td>{why}</td></tr>"
        )
    totals = summary.get("totals", {})
    foot_cells = "".join(f"<td class='n'>{totals.get(x, {}).get('picked', 0)}</td>" for x in layers)
    all_reasons: dict[str, int] = {}
    for x in layers:
        for r, n in totals.get(x, {}).get("excluded", {}).items():
            all_reasons[r] = all_reasons.get(r, 0) + n
    foot_why = "<br>".join(f"{e(r)}: {n}" for r, n in sorted(all_reasons.items())) or "-"
    facts = "".join(
        f"<tr><th>{e(str(k))}</th><td>{e(str(v))}</td></tr>"
        for k, v in summary.items()
        if k != "totals"
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{_INDEX_STYLE}</style></head><body>
<h1>{e(title)}</h1>
<table id="facts">{facts}</table>
<p><input id="search" type="search" placeholder="search mention, label, concept, reason"
 aria-label="search mentions"> <span id="shown" class="muted"></span></p>
<table id="mentions"><thead><tr><th>mention</th><th>in the sentence</th><th>label</th>
<th>linked concept</th>
<th>method</th>{head_layers}<th>excluded</th><th>excluded by filter</th></tr></thead>
<tbody>{"".join(body)}</tbody>
<tfoot><tr><td colspan="5">all mentions</td>{foot_cells}<td class='n'>
{sum(all_reasons.values())}</td><td>{foot_why}</td></tr></tfoot></table>
<script>{_INDEX_SCRIPT}</script></body></html>
"""


@dataclass(frozen=True)
class SamplePages:
    """What :func:`write_sample_pages` wrote."""

    index: Path
    pages: tuple[PageStats, ...]


def write_sample_pages(result: SampleExploration, out_dir: str | Path) -> SamplePages:
    """One page per gold mention (``mention-001.html`` ...) and ``index.html`` in ``out_dir``."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise GraphError(
            f"--out {out} is a file; --sample writes a folder of pages",
            path=str(out),
            fix="give a folder (it is created if missing)",
        )
    rows = []
    pages = []
    for i, (sentence_id, exp) in enumerate(result.rows, start=1):
        name = f"mention-{i:03d}.html"
        pages.append(write_page(exp, out / name, back="index.html"))
        rows.append((exp, sentence_id, name))
    sample = result.sample
    summary: dict[str, Any] = {
        "sample": sample.describe(),
        "corpus": result.corpus,
        "gold mentions": len(result.rows),
        "linked": len(result.linking.linked),
        "unlinked": len(result.linking.unlinked),
        "linked by": ", ".join(f"{m} {n}" for m, n in result.linking.by_method.items() if n),
        "totals": result.totals(),
    }
    if result.rows:
        cfg = result.rows[0][1].settings
        summary["walk"] = (
            f"top-k {cfg.get('top_k')}, seed {cfg.get('seed')}, preset {cfg.get('preset')}, "
            f"layers {', '.join(result.layers)}"
        )
    title = f"k-shot neighbourhoods: {sample.describe()}"
    index = out / "index.html"
    write_text(index, render_index(rows, result.layers, title=title, summary=summary))
    return SamplePages(index, tuple(pages))
