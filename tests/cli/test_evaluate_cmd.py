"""`hilgen evaluate` and `hilgen report` through the real CLI app."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hilgen_graph.cli import app
from hilgen_graph.errors import ConfigError, EvaluationError

FAKE_CONFTEST = Path(__file__).resolve().parents[1] / "evaluation" / "conftest.py"


def _fake_run(tmp_path: Path) -> Path:
    """The hand-made run folder of tests/evaluation/conftest.py (no training)."""
    spec = importlib.util.spec_from_file_location("evaluation_conftest", FAKE_CONFTEST)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return Path(module.make_run(tmp_path / "run"))


def test_commands_are_registered() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "evaluate" in result.output and "report" in result.output
    result = CliRunner().invoke(app, ["evaluate", "--help"])
    assert "--config" in result.output and "--out" in result.output


def test_report_renders_tables_and_json(tmp_path: Path) -> None:
    run = _fake_run(tmp_path)
    result = CliRunner().invoke(app, ["report", str(run)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "toy — linear" in result.output
    assert "83.33 ± 23.57" in result.output
    result = CliRunner().invoke(app, ["report", str(run), "--json", "--write"])
    assert result.exit_code == 0
    rep = json.loads(result.output)
    assert rep["datasets"]["toy"]["families"]["linear"]["kg:all"]["gain_points"] == pytest.approx(
        50.0
    )
    assert (run / "report.md").is_file()


def test_bad_config_stops_before_training(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("datasets: [ncbi_disease]\nseeds: [1]\nvariants: [kg:cousins]\n")
    result = CliRunner().invoke(
        app, ["evaluate", "--config", str(cfg), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code != 0
    assert isinstance(result.exception, ConfigError)
    assert "kg:cousins" in str(result.exception) and "kg:siblings" in str(result.exception)
    assert not (tmp_path / "out" / "runs").exists()
    shutil.rmtree(tmp_path / "out", ignore_errors=True)


def test_bad_shard_and_merge_without_out_are_errors(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("datasets: [ncbi_disease]\nseeds: [1]\n")
    result = CliRunner().invoke(
        app, ["evaluate", "--config", str(cfg), "--out", str(tmp_path / "o"), "--shard", "3/2"]
    )
    assert isinstance(result.exception, ConfigError)
    assert "expected I/N" in str(result.exception)
    assert not (tmp_path / "o").exists()
    run = _fake_run(tmp_path)
    result = CliRunner().invoke(app, ["report", str(run), str(run)])
    assert isinstance(result.exception, EvaluationError)
    assert "--out" in str(result.exception)


def test_report_lists_missing_cells(tmp_path: Path) -> None:
    run = _fake_run(tmp_path)
    shutil.rmtree(run / "runs" / "toy" / "seed-2" / "kg-all")
    result = CliRunner().invoke(app, ["report", str(run)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "cells: 3 of 4 finished" in result.output
    assert "missing toy seed 2 kg:all" in result.output
    assert (run / "summary.md").is_file()
