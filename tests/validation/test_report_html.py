"""The check report's HTML page: funnel chart rows, rejected examples with raw output, search;
checked as text and in a real headless Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tests.support.browser import open_page
from tests.validation.test_report import _cands

from hilgen_graph.validation.funnel import Candidate, Funnel
from hilgen_graph.validation.report import CheckReport, build_report
from hilgen_graph.validation.report_html import render_check_html, write_check_html

READY = "document.body.dataset.ready === '1'"
HOSTILE_RAW = '{"text": "</pre><script>alert(1)</script> see https://evil.example/a.js"}'


def _report() -> CheckReport:
    cands = _cands()
    prov = cands[0].provenance
    cands.append(Candidate("hostile", prov, raw_output=HOSTILE_RAW, parse_error="invalid JSON"))
    return build_report(Funnel(None).run(cands), elapsed_s=30.0)


def test_page_has_one_chart_row_per_stage_and_every_example() -> None:
    report = _report()
    page = render_check_html(report, "check <synth>")
    rows = re.findall(r"<tr class='funnel-row' data-stage='([^']+)'>", page)
    assert rows == [s.stage for s in report.stages]
    parse = next(s for s in report.stages if s.stage == "parse")
    width = 100.0 * parse.rejected / report.total
    assert f"class='rej' style='width:{width:.2f}%'" in page  # bars drawn to scale
    cards = re.findall(r"<div class='rejected' data-stage='([^']+)'>", page)
    assert len(cards) == sum(len(v) for v in report.examples.values())
    assert "{oops" in page  # the raw model output of a parse failure is shown
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert "check &lt;synth&gt;" in page
    assert re.search(r"https?://", page) is None  # nothing to fetch, and no URL text either


@pytest.mark.browser
def test_funnel_rows_and_search_in_the_browser(tmp_path: Path) -> None:
    report = _report()
    path = write_check_html(report, tmp_path / "report.html", "hilgen check synth.jsonl")
    watch = "window.__alerts = 0; window.alert = function () { window.__alerts += 1; };"
    with open_page(path, READY, init_script=watch) as page:
        assert page.errors == [] and page.evaluate("window.__alerts") == 0
        assert int(page.evaluate("document.body.dataset.funnelRows")) == len(report.stages)
        examples = sum(len(v) for v in report.examples.values())
        assert int(page.evaluate("document.body.dataset.shown")) == examples
        page.type_into("#search", "oops")
        assert int(page.evaluate("document.body.dataset.shown")) == 1
        page.type_into("#search", "")
        page.evaluate(
            "(() => { const s = document.getElementById('stage-filter'); s.value = 'parse';"
            " s.dispatchEvent(new Event('change')); })()"
        )
        assert int(page.evaluate("document.body.dataset.shown")) == len(report.examples["parse"])
        page.screenshot(tmp_path / "report.png", full_page=True)
        assert page.remote_requests() == []
    assert (tmp_path / "report.png").read_bytes()[:4] == b"\x89PNG"
