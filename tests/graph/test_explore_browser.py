"""The explore pages in a real headless Chromium: what is drawn equals what the library returned,
the switch and the search work, and the page makes no network request."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support.browser import open_page

from hilgen_graph.graph.explore import explore
from hilgen_graph.graph.explore_page import write_page
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
    from tests.graph.test_explore import _hostile_exploration

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
