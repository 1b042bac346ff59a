"""Report aggregation over seeds against hand-computed figures."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

from hilgen_graph.errors import EvaluationError
from hilgen_graph.evaluation.report import build_report, render_markdown, write_report


def test_report_means_gains_and_bootstrap(fake_run: Path) -> None:
    rep = build_report(fake_run)
    rows = rep["datasets"]["toy"]["families"]["linear"]
    base, kg = rows["baseline"], rows["kg:all"]
    assert base["strict_f1"]["mean"] == pytest.approx(1 / 3)
    assert base["strict_f1"]["sd"] == pytest.approx(statistics.stdev([2 / 3, 0.0]))
    assert kg["strict_f1"]["mean"] == pytest.approx(5 / 6)
    assert kg["gain_points"] == pytest.approx(50.0)
    assert kg["gain_relative_percent"] == pytest.approx(150.0)
    assert [b["seed"] for b in kg["bootstrap"]] == [1, 2]
    assert kg["bootstrap"][0]["delta_f1"] == pytest.approx(1 / 3)
    md = render_markdown(rep)
    assert "| kg:all | 10 | 83.33 ± 23.57 | +50.00 | +150.0 % |" in md


def test_write_report_files(fake_run: Path) -> None:
    run = fake_run
    write_report(run)
    assert (run / "report.md").is_file() and (run / "report.json").is_file()
    assert (run / "plots" / "f1_per_variant.png").stat().st_size > 1000


def test_not_a_run_folder(tmp_path: Path) -> None:
    with pytest.raises(EvaluationError, match="not an evaluation run folder"):
        build_report(tmp_path)
