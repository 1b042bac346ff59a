"""The local llama.cpp server: start on a free port, answer, stop by pid; and `hilgen llm`."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hilgen_graph.agents.schemas import PlainBatch
from hilgen_graph.cli import app
from hilgen_graph.errors import ConfigError, DataMissingError
from hilgen_graph.llm.models import STRUCTURED_OUTPUT_METHOD, LLMSettings, make_chat_model
from hilgen_graph.llm.server import (
    ServerInfo,
    free_port,
    pid_alive,
    read_pid_file,
    running_server,
    server_ready,
    start_server,
    stop_from_pid_file,
    stop_server,
    write_pid_file,
)

PLUMBING_MODEL = "smollm2-135m"


def test_stop_server_leaves_other_processes_alone(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert not stop_server(proc.pid)  # not a llama_cpp.server: never signalled
        assert pid_alive(proc.pid)
        pid_file = tmp_path / "srv.json"
        write_pid_file(ServerInfo(proc.pid, "127.0.0.1", 1, "m", "m.gguf", "log", 0.0), pid_file)
        assert read_pid_file(pid_file) is None  # the pid does not run the server
        assert stop_from_pid_file(pid_file) is None and not pid_file.exists()
        assert pid_alive(proc.pid)
    finally:
        proc.kill()
        proc.wait()


def test_start_refuses_bad_requests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="loopback"):
        start_server(PLUMBING_MODEL, host="0.0.0.0")
    monkeypatch.setenv("HILGEN_CACHE_DIR", str(tmp_path))
    with pytest.raises(DataMissingError, match="hilgen llm install --model qwen2.5-coder-1.5b"):
        start_server("qwen2.5-coder-1.5b")
    assert not server_ready(f"http://127.0.0.1:{free_port()}/v1", timeout=0.5)


def test_models_command_lists_known_models_as_json() -> None:
    result = CliRunner().invoke(app, ["llm", "models", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.output)}
    assert set(rows) >= {"smollm2-135m", "qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"}
    assert rows["qwen2.5-coder-0.5b"]["default"] and not rows["qwen2.5-coder-1.5b"]["default"]


def test_stop_command_without_server(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["llm", "stop", "--pid-file", str(tmp_path / "none.json")])
    assert result.exit_code == 0 and "no LLM server is running" in result.output


@pytest.mark.llm
def test_server_starts_answers_and_stops_by_pid(tmp_path: Path) -> None:
    pid_file = tmp_path / "server.json"
    with running_server(PLUMBING_MODEL, pid_file=pid_file, n_ctx=1024) as info:
        assert server_ready(info.base_url)
        assert read_pid_file(pid_file) == info
        chat = make_chat_model(
            LLMSettings(model=PLUMBING_MODEL, base_url=info.base_url, max_tokens=8, seed=1)
        )
        reply = chat.invoke("Say hello.")
        usage = reply.usage_metadata or {}
        assert usage.get("output_tokens", 99) <= 8  # max_tokens reached the server
        pid = info.pid
    assert not pid_alive(pid) and not pid_file.exists()


@pytest.mark.llm
def test_cli_serve_background_then_stop(tmp_path: Path) -> None:
    pid_file = tmp_path / "server.json"
    runner = CliRunner()
    started = runner.invoke(
        app,
        ["llm", "serve", "--model", PLUMBING_MODEL, "--background", "--pid-file", str(pid_file)],
    )
    assert started.exit_code == 0, started.output
    info = read_pid_file(pid_file)
    assert info is not None and info.base_url in started.output
    try:
        again = runner.invoke(
            app, ["llm", "serve", "--model", PLUMBING_MODEL, "--pid-file", str(pid_file)]
        )
        assert again.exit_code != 0 and "already running" in str(again.exception)
    finally:
        stopped = runner.invoke(app, ["llm", "stop", "--pid-file", str(pid_file)])
    assert stopped.exit_code == 0 and f"pid {info.pid}" in stopped.output
    assert not pid_alive(info.pid)
    Path(info.log_path).unlink(missing_ok=True)


@pytest.mark.llm
def test_structured_output_from_the_real_model(llm_base_url: str) -> None:
    """Function calling against the real served model parses into the schema."""
    chat = make_chat_model(
        LLMSettings(base_url=llm_base_url, max_tokens=96, temperature=0.0, seed=1)
    )
    out = chat.with_structured_output(
        PlainBatch, method=STRUCTURED_OUTPUT_METHOD, include_raw=True
    ).invoke("Write two short sentences about iron overload in the liver.")
    assert out["raw"].tool_calls or out["raw"].additional_kwargs.get("tool_calls")
    if out["parsed"] is not None:  # a small model may still break the JSON; the funnel copes
        assert isinstance(out["parsed"], PlainBatch)


@pytest.mark.llm
def test_speed_command_streams_and_times_tokens(llm_base_url: str) -> None:
    result = CliRunner().invoke(
        app, ["llm", "speed", "--base-url", llm_base_url, "--max-tokens", "12", "--json"]
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert 1 <= figures["completion_tokens"] <= 12
    assert figures["seconds"] >= figures["first_token_seconds"] > 0


@pytest.mark.llm
def test_server_tied_to_a_killed_parent_goes_too(tmp_path: Path) -> None:
    """A test process killed by SIGKILL (no atexit, no finally) leaves no server behind."""
    pid_file = tmp_path / "server.json"
    code = (
        "import sys, time; from pathlib import Path\n"
        "from hilgen_graph.llm.server import start_server\n"
        f"start_server({PLUMBING_MODEL!r}, n_ctx=512, tie_to_parent=True, "
        f"pid_file=Path({str(pid_file)!r}))\n"
        "print('ready', flush=True); time.sleep(600)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    assert parent.stdout.readline().strip() == "ready"
    info = read_pid_file(pid_file)
    assert info is not None and pid_alive(info.pid)
    parent.kill()
    parent.wait()
    parent.stdout.close()
    for _ in range(100):
        if not pid_alive(info.pid):
            break
        time.sleep(0.1)
    alive = pid_alive(info.pid)
    if alive:  # clean up before failing
        stop_server(info.pid)
    Path(info.log_path).unlink(missing_ok=True)
    assert not alive
