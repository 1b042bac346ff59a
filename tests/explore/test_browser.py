"""The explore pages in a real headless Chromium: what is drawn equals what the library returned,
the switch and the search work, and the page makes no network request."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support.browser import open_page

from hilgen_graph.explore.explorer import explore
from hilgen_graph.explore.page import write_page
from hilgen_graph.graph.store import GraphStore

pytestmark = pytest.mark.browser

READY = "document.body.dataset.ready === '1'"


def test_page_draws_the_picked_concepts_then_the_excluded_ones(
    free_store: GraphStore, tmp_path: Path
) -> None:
    exp = explore(free_store, "hypertension", label="Disease")
    stats = write_page(exp, tmp_path / "hypertension.html")
    nodes = exp.nodes()
    centres = sum(1 for n in nodes if n.status == "centre")
    assert stats.excluded > 0 and stats.nodes == len(nodes)
    with open_page(stats.path, READY) as page:
        assert page.errors == []
        assert page.remote_requests() == []
        drawn = int(page.evaluate("document.body.dataset.nodesDrawn"))
        assert drawn == centres + stats.picked  # excluded candidates start hidden
        assert int(page.evaluate("document.body.dataset.nodesTotal")) == stats.nodes
        listed = page.evaluate("document.querySelectorAll('#node-list li:not(.hidden)').length")
        assert listed == drawn
        page.screenshot(tmp_path / "picked.png")
        page.click("#show-excluded")
        page.wait_for(f"document.body.dataset.nodesDrawn === '{stats.nodes}'")
        query = "hypertension"
        expected = sum(
            1
            for n in nodes
            if query in " · ".join([n.name, n.concept_id, n.layer, n.status, n.filter]).lower()
        )
        page.type_into("#node-search", query)
        assert int(page.evaluate("document.body.dataset.searchHits")) == expected
        page.screenshot(tmp_path / "all.png")
        assert page.remote_requests() == []
    for shot in ("picked.png", "all.png"):
        assert (tmp_path / shot).read_bytes()[:4] == b"\x89PNG"


def test_a_hostile_name_stays_text_in_the_browser(tmp_path: Path) -> None:
    from tests.explore.test_explorer import _hostile_exploration

    exp = _hostile_exploration()
    path = write_page(exp, tmp_path / "hostile.html").path
    watch = "window.__alerts = 0; window.alert = function () { window.__alerts += 1; };"
    with open_page(path, READY, init_script=watch) as page:
        assert page.errors == []
        assert page.evaluate("window.__alerts") == 0  # the name's <script> never ran
        heading = page.evaluate("document.querySelector('h1').textContent")
        assert '</script><script>alert("x")</script>' in heading and "<b>bold</b>" in heading
        tooltip = page.evaluate("document.querySelector('#node-list li').title")
        assert "https://evil.example/x.js" in tooltip  # shown as text, never fetched
        assert page.remote_requests() == []


def test_sample_index_lists_every_gold_mention(
    free_store: GraphStore, data_root: Path, tmp_path: Path
) -> None:
    from hilgen_graph.corpus.kshot import draw_sample, save_sample
    from hilgen_graph.corpus.load import load_corpus
    from hilgen_graph.explore.explorer import explore_sample
    from hilgen_graph.explore.page import write_sample_pages

    corpus = data_root / "ner/ncbi_disease/original/NCBItrainset_corpus.txt"
    sentences = load_corpus(corpus, "pubtator", collapse_to="Disease").sentences
    sample = tmp_path / "sample.json"
    save_sample(draw_sample(sentences, 5, 1, collapse_to="Disease", corpus=corpus.name), sample)
    result = explore_sample(free_store, corpus, sample, fmt="pubtator")
    written = write_sample_pages(result, tmp_path / "pages")
    assert len(written.pages) == len(result.rows) > 0
    with open_page(written.index, READY) as page:
        assert page.errors == [] and page.remote_requests() == []
        assert int(page.evaluate("document.body.dataset.mentionRows")) == len(result.rows)
        first = result.rows[0][0]  # a sentence id: the rows of that sentence's mentions
        page.type_into("#search", first)
        expected = sum(1 for sid, _exp in result.rows if sid == first)
        assert int(page.evaluate("document.body.dataset.shown")) == expected
        links = page.evaluate(
            "Array.from(document.querySelectorAll('tr.mention-row a'))"
            ".map(a => a.getAttribute('href'))"
        )
        assert links == [p.path.name for p in written.pages]
        marks = page.evaluate(
            "Array.from(document.querySelectorAll('tr.mention-row td.context mark')).map(m =>"
            " [m.textContent, m.previousSibling ? m.previousSibling.textContent.length : 0])"
        )
        assert marks == [[e.link.entity.text, e.link.entity.start] for _sid, e in result.rows]
        page.screenshot(tmp_path / "index.png", full_page=True)
    with open_page(written.pages[0].path, READY) as page:
        assert page.remote_requests() == []
        assert page.evaluate("document.getElementById('back').getAttribute('href')") == "index.html"
