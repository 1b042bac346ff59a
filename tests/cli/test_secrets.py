"""Secrets: the API key goes only where it belongs and the CLI says where; credentials in URLs
never reach messages or files; no password on the command line; LangSmith tracing off."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.prompts.llmgen_fixtures import free_store_path, ncbi_train_path
from tests.support.openai_stub import OpenAIStub
from typer.testing import CliRunner

from hilgen_graph.agents.generate import GenerateConfig
from hilgen_graph.cli import app, main
from hilgen_graph.cli.graph_cmd import neo4j_password

TRACING = ("LANGCHAIN_TRACING_V2", "LANGCHAIN_TRACING", "LANGSMITH_TRACING")


def run_main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    for var in TRACING:
        monkeypatch.setenv(var, os.environ.get(var, ""))  # restored after the test
    monkeypatch.setattr(sys, "argv", ["hilgen", *args])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    ("uri", "shown"),
    [
        ("bolt://neo4j:s3cret@127.0.0.1:1", "bolt://***@127.0.0.1:1"),
        ("neo4j://admin:s3cret@db.example:7687", "neo4j://***@db.example:7687"),
        ("http://neo4j:s3cret@127.0.0.1:7474", "http://***@127.0.0.1:7474"),  # wrong scheme
    ],
)
def test_neo4j_uri_credentials_are_not_echoed(
    uri: str, shown: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_main(
        monkeypatch, capsys, "graph", "stats", "--backend", "neo4j", "--uri", uri
    )
    assert code == 1
    assert "s3cret" not in out + err
    assert shown in err


def test_no_password_option_on_the_command_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    result = CliRunner().invoke(app, ["graph", "stats", "--password", "pw", "--store", "x"])
    assert result.exit_code == 2 and "No such option" in result.output
    for command in ("load", "stats", "related", "explore"):
        help_text = CliRunner().invoke(app, ["graph", command, "--help"]).output
        assert "--password" not in help_text


def test_neo4j_password_from_environment_or_hidden_prompt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEO4J_PASSWORD", "from-env")
    assert neo4j_password("neo4j", "neo4j") == "from-env"
    assert neo4j_password("embedded", "neo4j") is None
    monkeypatch.delenv("NEO4J_PASSWORD")
    asked: list[dict[str, Any]] = []

    def prompt(text: str, **kwargs: Any) -> str:
        asked.append({"text": text, **kwargs})
        return "typed"

    monkeypatch.setattr("hilgen_graph.cli.graph_cmd.typer.prompt", prompt)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    assert neo4j_password("neo4j", "neo4j") == "typed"
    assert asked == [{"text": "Neo4j password for neo4j", "hide_input": True}]
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False, raising=False)
    assert neo4j_password("neo4j", "neo4j") is None  # no terminal: never blocks on a prompt


def test_base_url_credentials_are_not_saved_in_the_run_settings(tmp_path: Path) -> None:
    cfg = GenerateConfig(
        corpus=tmp_path / "c.txt",
        out=tmp_path / "o.jsonl",
        base_url="https://user:pw@llm.example/v1?api-key=sk-zzz&x=1",
    )
    meta = json.dumps(cfg.run_meta([], "store"))
    assert "pw" not in meta and "sk-zzz" not in meta
    assert "https://***@llm.example/v1?api-key=***&x=1" in meta


def generate_args(out: Path, url: str) -> list[str]:
    return [
        "generate", "llm", "--corpus", str(ncbi_train_path()), "--k", "5", "--seed", "1",
        "--store", str(free_store_path()), "--prompt", "grounded-parents-children",
        "--per-seed", "1", "--model", "stub-model", "--base-url", url, "--max-seeds", "1",
        "--out", str(out), "--no-cache", "--json",
    ]  # fmt: skip


def test_generate_says_where_the_key_goes_and_keeps_it_off_plain_http(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, openai_stub: OpenAIStub
) -> None:
    monkeypatch.setenv("HILGEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-never-over-http")
    monkeypatch.delenv("HILGEN_LLM_SEND_API_KEY", raising=False)
    url = openai_stub.base_url.replace("http://", "http://user:pw@")
    result = CliRunner().invoke(app, generate_args(tmp_path / "a.jsonl", url))
    assert result.exit_code == 0, result.output
    line = f"OPENAI_API_KEY: not sent to {openai_stub.base_url.replace('http://', 'http://***@')}"
    assert line in result.stderr.replace("\n", " ")
    assert json.loads(result.stdout)["api_key"].startswith(line)
    assert "generating: 1/1" in result.stderr  # progress: stderr, one line per request
    assert openai_stub.headers  # the endpoint was called ...
    sent = {h.get("authorization", "") for h in openai_stub.headers}
    assert all("sk-never-over-http" not in h for h in sent)  # ... without the key
    saved = (tmp_path / "a.meta.json").read_text(encoding="utf-8")
    assert "sk-never-over-http" not in saved and "user:pw" not in saved


def test_main_switches_langsmith_tracing_off(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("HILGEN_LLM_TRACING", raising=False)
    for var in TRACING:
        monkeypatch.setenv(var, "true")
    code, _out, _err = run_main(monkeypatch, capsys, "prompts", "list", "--json")
    assert code == 0
    assert all(os.environ[var] == "false" for var in TRACING)
    monkeypatch.setenv("HILGEN_LLM_TRACING", "1")
    monkeypatch.setenv("LANGSMITH_TRACING", "true")
    run_main(monkeypatch, capsys, "prompts", "list", "--json")
    assert os.environ["LANGSMITH_TRACING"] == "true"  # the user opted in
