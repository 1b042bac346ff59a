"""The check report as one offline HTML page (``hilgen check --html``).

The page shows the funnel as a chart (one row per stage, in funnel order, with bars for the
sentences that passed, were rejected or skipped the stage, drawn to scale against the number of
sentences checked), the acceptance tables, grounding and diversity, and every rejected example
with its reason, its text and the model's raw output, with a search box and a stage filter.

Everything is inline: no script, style sheet, font or image is fetched, so the page works from
a ``file://`` URL without network. Text from the report (model output, names) is data: it is
HTML-escaped where it is shown. When the page's script has run it sets ``data-ready="1"`` on
``<body>``; tests wait for that.
"""

from __future__ import annotations

import html
from pathlib import Path

from hilgen_graph.atomic import write_text
from hilgen_graph.validation.report import Acceptance, CheckReport

_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em 2em;color:#222;max-width:1200px}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;margin:.4em 0}td,th{border:1px solid #ccc;padding:3px 8px}
th{background:#f3f3f3;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
.bar{display:flex;width:420px;height:16px;background:#f6f6f6;border:1px solid #ddd}
.bar span{display:block;height:100%}.pass{background:#4caf50}.rej{background:#e53935}
.skip{background:#b0bec5}.legend span{display:inline-block;width:12px;height:12px;
margin:0 4px 0 12px;vertical-align:middle}
.controls{margin:.6em 0}.controls input{width:28em;padding:4px}
.rejected{border:1px solid #ddd;border-left:4px solid #e53935;padding:.4em .8em;margin:.5em 0}
.rejected .stage{font-weight:bold;color:#b71c1c}.rejected .id{color:#777;font-size:.85em}
.rejected pre{white-space:pre-wrap;background:#fafafa;border:1px solid #eee;padding:.4em;
max-height:14em;overflow:auto;font-size:.85em}.hidden{display:none}
"""

_SCRIPT = """
(function () {
  const box = document.getElementById('search');
  const stage = document.getElementById('stage-filter');
  const cards = Array.from(document.querySelectorAll('.rejected'));
  const shown = document.getElementById('shown');
  function apply() {
    const q = box.value.trim().toLowerCase();
    const s = stage.value;
    let n = 0;
    for (const c of cards) {
      const hit = (!q || c.textContent.toLowerCase().includes(q)) && (!s || c.dataset.stage === s);
      c.classList.toggle('hidden', !hit);
      if (hit) n += 1;
    }
    shown.textContent = n + ' of ' + cards.length + ' shown';
    document.body.dataset.shown = String(n);
  }
  box.addEventListener('input', apply);
  stage.addEventListener('change', apply);
  apply();
  document.body.dataset.funnelRows = String(document.querySelectorAll('.funnel-row').length);
  document.body.dataset.ready = '1';
})();
"""


def _text(value: object) -> str:
    """Data as HTML text or attribute: escaped, and ``/`` written ``&#47;`` so that no model
    output reads as a URL in the page source (it shows the same)."""
    return html.escape(str(value)).replace("/", "&#47;")


def _acc_table(name: str, table: dict[str, Acceptance]) -> str:
    e = _text
    rows = "".join(
        f"<tr><td>{e(k)}</td><td class='n'>{v.total}</td><td class='n'>{v.accepted}</td>"
        f"<td class='n'>{v.rate:.1%}</td></tr>"
        for k, v in table.items()
    )
    return (
        f"<h2>Acceptance per {e(name)}</h2><table><tr><th>{e(name)}</th><th>total</th>"
        f"<th>accepted</th><th>rate</th></tr>{rows}</table>"
    )


def _pct(n: int, scale: int) -> str:
    return f"{100.0 * n / scale:.2f}%" if scale else "0%"


def render_check_html(report: CheckReport, title: str = "hilgen check") -> str:
    """The report as a self-contained page (see the module docstring)."""
    e = _text
    scale = max([report.total] + [s.entered + s.skipped for s in report.stages])
    funnel = "".join(
        f"<tr class='funnel-row' data-stage='{e(s.stage)}'><td>{e(s.stage)}</td>"
        f"<td class='n'>{s.entered}</td><td class='n'>{s.passed}</td>"
        f"<td class='n'>{s.rejected}</td><td class='n'>{s.skipped}</td>"
        f"<td><div class='bar' title='{e(s.stage)}: {s.passed} passed, {s.rejected} rejected, "
        f"{s.skipped} skipped'><span class='pass' style='width:{_pct(s.passed, scale)}'></span>"
        f"<span class='rej' style='width:{_pct(s.rejected, scale)}'></span>"
        f"<span class='skip' style='width:{_pct(s.skipped, scale)}'></span></div></td></tr>"
        for s in report.stages
    )
    cards = []
    for stage, examples in report.examples.items():
        for x in examples:
            text = f"<div>{e(x.text)}</div>" if x.text else "<div><i>(no sentence)</i></div>"
            raw = f"<pre>{e(x.raw_output)}</pre>" if x.raw_output else ""
            cards.append(
                f"<div class='rejected' data-stage='{e(stage)}'><span class='stage'>{e(stage)}"
                f"</span> <span class='id'>{e(x.id)}</span><div>{e(x.reason)}</div>{text}{raw}"
                "</div>"
            )
    options = "".join(
        f"<option value='{e(stage)}'>{e(stage)} ({len(items)})</option>"
        for stage, items in report.examples.items()
    )
    g, d = report.grounding, report.diversity
    rate = (
        f"{report.sentences_per_min:.1f} accepted sentences/min" if report.sentences_per_min else ""
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{_STYLE}</style></head><body>
<h1>{e(title)}</h1>
<p id="summary">{report.total} sentences checked, {report.accepted} accepted
({report.acceptance:.1%}). {e(rate)}</p>
<h2>Funnel (stages in order)</h2>
<p class="legend"><span class="pass"></span>passed<span class="rej"></span>rejected
<span class="skip"></span>skipped (bars to scale: {scale} sentences)</p>
<table id="funnel"><tr><th>stage</th><th>entered</th><th>passed</th><th>rejected</th>
<th>skipped</th><th>chart</th></tr>{funnel}</table>
{_acc_table("prompt family", report.per_family)}{_acc_table("layer", report.per_layer)}
{_acc_table("prompt", report.per_prompt)}
<h2>Grounding</h2><p>{g.entities_intended}/{g.entities} entities name the intended concept
({g.entity_share:.1%}); {g.sentences_intended}/{g.sentences} sentences mention it.</p>
<h2>Diversity of accepted sentences</h2><p>distinct-1 {d.distinct_1:.3f}, distinct-2
{d.distinct_2:.3f}, self-BLEU {d.self_bleu:.3f} over {d.sentences} sentences.</p>
<h2>Rejected examples</h2>
<div class="controls"><input id="search" type="search" placeholder="search reason, text, raw output"
 aria-label="search rejected examples"> <select id="stage-filter" aria-label="stage">
<option value="">every stage</option>{options}</select> <span id="shown"></span></div>
<div id="examples">{"".join(cards) or "<p>No sentence was rejected.</p>"}</div>
<script>{_SCRIPT}</script></body></html>
"""


def write_check_html(report: CheckReport, out: str | Path, title: str = "hilgen check") -> Path:
    """Write :func:`render_check_html` to ``out`` (atomically); return the path."""
    path = Path(out)
    write_text(path, render_check_html(report, title))
    return path
