"""Explore pages: sizes, build times and load times in headless Chromium.

For NCBI-disease's "hypertension" (Disease, D006973) and BC5CDR's "lidocaine" (Chemical,
D008012) on the ``free`` store: the time to explore and to write the HTML page and the PNG, the
page's bytes, and the time Chromium takes from navigation until the page's script says it has
drawn (median of a few loads), with the number of nodes drawn and any network request (none
expected). Then the whole NCBI-disease 5-shot seed-1 sample (``--sample``): pages, bytes, time.

``python -m bench.bench_explore --docs docs/`` also writes the screenshots shown in the README
(the PNG drawings and the HTML pages as Chromium shows them, and the sample's index page).
Load times depend on the machine's load: the result records ``os.getloadavg()`` beside them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

CASES = (
    ("hypertension", "Disease", "ncbi-hypertension"),
    ("lidocaine", "Chemical", "bc5cdr-lidocaine"),
)
NCBI_TRAIN = "ner/ncbi_disease/original/NCBItrainset_corpus.txt"
READY = "document.body.dataset.ready === '1'"
MAX_DOC_BYTES = 300_000
# page coordinates of a picked parent (else any picked node) of the explore page's network
HOVER_TARGET = """(() => {
  const net = window.hilgenNetwork;
  const nodes = net.body.data.nodes.get({filter: n => n.status === 'picked'});
  const node = nodes.find(n => n.layer === 'parents') || nodes[0];
  if (!node) return null;
  const dom = net.canvasToDOM(net.getPosition(node.id));
  const box = document.getElementById('mynetwork').getBoundingClientRect();
  return [box.left + dom.x, box.top + dom.y];
})()"""


def _store(tmp: Path) -> Path:
    from hilgen_graph.graph.backends import ensure_free_store

    return ensure_free_store(tmp / "free")


def _small_png(src: Path, dst: Path) -> Path:
    """Copy ``src`` to ``dst``, quantised to a palette when it is over the docs size limit."""
    from PIL import Image

    shutil.copyfile(src, dst)
    if dst.stat().st_size > MAX_DOC_BYTES:
        with Image.open(src) as im:
            im.convert("RGB").quantize(colors=128).save(dst, optimize=True)
    return dst


def _load(path: Path, rounds: int, shot: Path | None = None) -> dict[str, Any]:
    from tests.support.browser import open_page

    times = []
    drawn = None
    requests: list[str] = []
    for i in range(rounds):
        size = {"width": 1600, "height": 1000} if shot is not None and i == 0 else {}
        with open_page(path, READY, **size) as page:
            times.append(page.load_seconds)
            drawn = page.evaluate("document.body.dataset.nodesDrawn || null")
            requests += page.remote_requests()
            if shot is not None and i == 0:
                if drawn:  # hover the first parent (or any picked node) to show its tooltip
                    xy = page.evaluate(HOVER_TARGET)
                    if xy:
                        page.mouse_move(xy[0], xy[1])
                        page.wait_for(
                            "(() => { const t = document.querySelector('.vis-tooltip');"
                            " return t && t.style.visibility === 'visible'; })()",
                            10,
                        )
                page.screenshot(shot, full_page="index" in path.name)
    return {
        "load_s_median": round(statistics.median(times), 3),
        "load_s_max": round(max(times), 3),
        "rounds": rounds,
        "nodes_drawn": int(drawn) if drawn else None,
        "network_requests": requests,
    }


def run(quick: bool = False, docs: Path | None = None) -> dict[str, Any]:
    from hilgen_graph.corpus.kshot import draw_sample, save_sample
    from hilgen_graph.corpus.load import load_corpus
    from hilgen_graph.explore.explorer import draw, explore, explore_sample
    from hilgen_graph.explore.page import write_sample_pages
    from hilgen_graph.graph.embedded import EmbeddedStore
    from hilgen_graph.settings import data_dir

    rounds = 1 if quick else 3
    out: dict[str, Any] = {"loadavg_before": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="bench-explore-") as tmp_name:
        tmp = Path(tmp_name)
        store = EmbeddedStore(_store(tmp))
        try:
            for query, label, name in CASES:
                t0 = time.perf_counter()
                exp = explore(store, query, label=label)
                t1 = time.perf_counter()
                html = draw(exp, tmp / f"{name}.html")
                t2 = time.perf_counter()
                png = draw(exp, tmp / f"{name}.png")
                t3 = time.perf_counter()
                shot = tmp / f"{name}-html.png"
                case = {
                    "query": query,
                    "label": label,
                    "linked": [c.id for c in exp.link.concepts],
                    "method": exp.link.method.value,
                    "nodes": len(exp.nodes()),
                    "picked": sum(1 for n in exp.nodes() if n.status == "picked"),
                    "explore_s": round(t1 - t0, 3),
                    "html_write_s": round(t2 - t1, 3),
                    "png_write_s": round(t3 - t2, 3),
                    "html_bytes": html.stat().st_size,
                    "png_bytes": png.stat().st_size,
                    **_load(html, rounds, shot),
                }
                out[name] = case
                if docs is not None:
                    _small_png(png, docs / f"explore-{name}.png")
                    _small_png(shot, docs / f"explore-{name}-html.png")
            corpus = data_dir() / NCBI_TRAIN
            sentences = load_corpus(corpus, "pubtator", collapse_to="Disease").sentences
            sample = tmp / "ncbi-5shot-seed1.json"
            save_sample(
                draw_sample(sentences, 5, 1, collapse_to="Disease", corpus=corpus.name), sample
            )
            t0 = time.perf_counter()
            result = explore_sample(store, corpus, sample, fmt="pubtator")
            t1 = time.perf_counter()
            pages = write_sample_pages(result, tmp / "ncbi-sample")
            t2 = time.perf_counter()
            shot = tmp / "index-shot.png"
            out["ncbi_5shot_seed1_sample"] = {
                "mentions": len(result.rows),
                "linked": len(result.linking.linked),
                "pages": len(pages.pages),
                "pages_bytes": sum(p.bytes for p in pages.pages),
                "index_bytes": pages.index.stat().st_size,
                "explore_s": round(t1 - t0, 3),
                "write_s": round(t2 - t1, 3),
                "totals": result.totals(),
                "index": _load(pages.index, rounds, shot),
            }
            if docs is not None:
                _small_png(shot, docs / "explore-ncbi-5shot-seed1-index.png")
        finally:
            store.close()
    out["loadavg_after"] = os.getloadavg()
    return out


def main() -> None:
    import json

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=Path, help="also write the README screenshots here")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.docs is not None:
        args.docs.mkdir(parents=True, exist_ok=True)
    print(json.dumps(run(args.quick, args.docs), indent=2))


if __name__ == "__main__":
    main()
