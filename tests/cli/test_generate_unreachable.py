"""`hilgen generate llm --agent` against an endpoint that does not answer: the connection error
is transient (retried by the runner), then the request is recorded as failed and retryable (not
a funnel rejection), the command exits non-zero saying so, and a rerun tries those seeds again.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from tests.prompts.llmgen_fixtures import free_store_path, ncbi_train_path
from tests.support.openai_stub import OpenAIStub
from typer.testing import CliRunner

from hilgen_graph.cli import app
from hilgen_graph.errors import GenerationError
from hilgen_graph.llm.runlog import RunLog


def closed_port_url() -> str:
    """An http://127.0.0.1 URL on which nothing listens (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def agent_args(out: Path, base_url: str) -> list[str]:
    return [
        "generate", "llm", "--agent",
        "--corpus", str(ncbi_train_path()), "--k", "5", "--seed", "1",
        "--store", str(free_store_path()), "--per-seed", "1", "--model", "stub-model",
        "--base-url", base_url, "--max-seeds", "1", "--out", str(out), "--no-cache", "--json",
    ]  # fmt: skip


def test_unreachable_endpoint_fails_retryably_and_a_rerun_retries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, openai_stub: OpenAIStub
) -> None:
    monkeypatch.setenv("HILGEN_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "agent.jsonl"
    runner = CliRunner()

    first = runner.invoke(app, agent_args(out, closed_port_url()))
    assert first.exit_code != 0
    err = first.exception
    assert isinstance(err, GenerationError) and err.retryable
    message = str(err)
    assert "connection error" in message and "gave up after 4 attempts" in message  # retried
    assert "rerun the same command" in message
    # nothing was committed as a rejection: no parse stage, the request is failed-retryable
    meta = json.loads(out.with_name("agent.meta.json").read_text(encoding="utf-8"))
    assert meta["rejected"] == {} and meta["candidates"] == 0
    assert sum(meta["failed"].values()) == 1
    assert RunLog(out.with_name("agent.run"), meta=None).done_ids() == set()
    assert out.with_name("agent.rejected.jsonl").read_text(encoding="utf-8") == ""

    # the same command once the endpoint answers: the seed is tried again, not "resumed"
    second = runner.invoke(app, agent_args(out, openai_stub.base_url))
    assert second.exit_code == 0, second.output
    summary = json.loads(second.stdout)
    assert summary["resumed"] == 0 and summary["requests"] == 1
    assert len(openai_stub.requests) >= 1  # the model was really called this time
    assert summary["failed"] == {}
