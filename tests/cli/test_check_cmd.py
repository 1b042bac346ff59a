"""`hilgen check FILE.jsonl`: the funnel report as rich text, JSON and HTML."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.prompts.llmgen_fixtures import fake_openai_server, free_store_path, ncbi_train_path
from typer.testing import CliRunner

from hilgen_graph.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("check")
    out = tmp / "synth.jsonl"
    with fake_openai_server() as (url, _calls):
        result = runner.invoke(
            app,
            [
                "generate", "llm", "--corpus", str(ncbi_train_path()), "--k", "5", "--seed", "1",
                "--store", str(free_store_path()), "--prompt", "grounded-siblings,paper-siblings",
                "--per-seed", "2", "--model", "fake", "--base-url", url, "--max-seeds", "4",
                "--no-cache", "--out", str(out), "--json",
            ],
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


def test_check_json_counts_every_sentence(synth: Path) -> None:
    result = runner.invoke(app, ["check", str(synth), "--store", str(free_store_path()), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    meta = json.loads(synth.with_name("synth.meta.json").read_text(encoding="utf-8"))
    assert data["total"] == meta["candidates"]
    assert data["accepted"] + sum(data["rejected"].values()) == data["total"]
    assert data["accepted"] == meta["accepted"]
    assert set(data["per_family"]) == {"siblings"}
    assert set(data["per_prompt"]) <= {"grounded-siblings", "paper-siblings"}
    assert data["heldout_sentences"] > 0  # dev/test of the run are used for the leakage check


def test_check_without_store_skips_graph_stages(synth: Path) -> None:
    data = json.loads(runner.invoke(app, ["check", str(synth), "--json"]).output)
    stages = {s["stage"]: s for s in data["stages"]}
    assert stages["grounding"]["skipped"] > 0  # the accepted records were not re-grounded


def test_check_rich_and_html(synth: Path, tmp_path: Path) -> None:
    html = tmp_path / "report.html"
    result = runner.invoke(
        app,
        ["check", str(synth), "--store", str(free_store_path()), "--html", str(html)],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "funnel" in result.output and "missing_label" in result.output
    assert html.read_text(encoding="utf-8").startswith("<!doctype html>")


def test_check_reports_a_bad_record_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x"}\n', encoding="utf-8")
    result = runner.invoke(app, ["check", str(bad), "--json"])
    assert result.exit_code != 0
    assert "bad.jsonl:1" in str(result.exception)
