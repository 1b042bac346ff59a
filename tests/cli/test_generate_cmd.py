"""`hilgen generate llm` through a real ChatOpenAI client against a local fake endpoint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.prompts.llmgen_fixtures import fake_openai_server, free_store_path, ncbi_train_path
from typer.testing import CliRunner

from hilgen_graph.cli import app
from hilgen_graph.synthetic import read_synthetic

runner = CliRunner()


def args(out: Path, url: str, *extra: str) -> list[str]:
    return [
        "generate", "llm",
        "--corpus", str(ncbi_train_path()), "--k", "5", "--seed", "1",
        "--store", str(free_store_path()),
        "--prompt", "grounded-parents-children,grounded-siblings",
        "--per-seed", "2", "--model", "fake-qwen", "--base-url", url,
        "--max-seeds", "3", "--out", str(out), *extra,
    ]  # fmt: skip


def test_generate_llm_writes_the_synthetic_jsonl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HILGEN_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "synth.jsonl"
    with fake_openai_server() as (url, calls):
        result = runner.invoke(app, args(out, url, "--json"))
        assert result.exit_code == 0, result.output
        summary = json.loads(result.stdout)
        first_calls = len(calls)
        assert first_calls == summary["requests"] > 0
        records = list(read_synthetic(out))
        assert len(records) == summary["accepted"] > 0
        llm = records[0].provenance.llm
        assert llm is not None and llm.model == "fake-qwen"
        assert llm.raw_reply_id.startswith("chatcmpl-fake")
        # the same command again: everything is already in the run log, no call is made
        again = runner.invoke(app, args(out, url, "--json"))
        assert again.exit_code == 0 and json.loads(again.stdout)["resumed"] == summary["requests"]
        assert len(calls) == first_calls
        # a new output file replays the disk cache: still no call
        other = runner.invoke(app, args(tmp_path / "other.jsonl", url, "--json"))
        assert other.exit_code == 0 and len(calls) == first_calls
        assert json.loads(other.stdout)["accepted"] == summary["accepted"]
        table = runner.invoke(app, args(out, url), env={"COLUMNS": "200"})
        assert table.exit_code == 0 and "accepted sentences/min" in table.output


def test_generate_llm_refuses_a_missing_store(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "generate", "llm", "--corpus", str(ncbi_train_path()),
            "--out", str(tmp_path / "o.jsonl"),
            "--store", str(tmp_path / "absent"), "--base-url", "http://127.0.0.1:9/v1",
        ],
    )  # fmt: skip
    assert result.exit_code != 0
    assert "does not exist" in str(result.exception) or "does not exist" in result.output
