"""The local OpenAI-compatible LLM server: llama-cpp-python's ``llama_cpp.server``.

:func:`start_server` runs ``python -m llama_cpp.server --model F --host 127.0.0.1 --port P`` in
a new session (its own process group) on a free port, waits until ``GET /v1/models`` answers,
and writes a pid file (JSON: pid, port, model, base URL, log) so that another process
(``hilgen llm stop``) can stop it. :func:`stop_server` stops it by process id: SIGTERM, then
SIGKILL after a grace period, and only if that pid still runs ``llama_cpp.server`` (a recycled
pid is never signalled). :func:`running_server` is the context manager for tests and scripts.

The server serves one request at a time; llama.cpp slows down badly when other processes use
the CPU, so nothing here times generation.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from hilgen_graph.atomic import write_json
from hilgen_graph.errors import ConfigError, GenerationError
from hilgen_graph.llm.model_files import KNOWN_MODELS, require_model
from hilgen_graph.processes import pid_alive
from hilgen_graph.settings import cache_dir

SERVER_MODULE = "llama_cpp.server"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_N_CTX = 4096


@dataclass(frozen=True)
class ServerInfo:
    """A running server: what the pid file holds."""

    pid: int
    host: str
    port: int
    model: str
    model_path: str
    log_path: str
    started_at: float

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL, e.g. ``http://127.0.0.1:8080/v1``."""
        return f"http://{self.host}:{self.port}/v1"


THREADS_ENV = "HILGEN_LLM_THREADS"


def _env_threads() -> int:
    raw = os.environ.get(THREADS_ENV, "")
    try:
        return max(0, int(raw)) if raw else 0
    except ValueError:
        raise ConfigError(f"${THREADS_ENV}={raw!r} is not a whole number of threads") from None


def _die_with_parent() -> None:  # runs in the child between fork and exec
    """Ask Linux to SIGTERM this process when its parent dies (prctl PR_SET_PDEATHSIG)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGTERM), 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the caller stops the server by pid
        pass


def default_pid_file() -> Path:
    """``cache_dir()/run/llm-server.json``."""
    return cache_dir() / "run" / "llm-server.json"


def free_port(host: str = DEFAULT_HOST) -> int:
    """A TCP port that was free on ``host`` a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def server_ready(base_url: str, timeout: float = 2.0) -> bool:
    """True when ``GET {base_url}/models`` answers 200."""
    try:
        with urllib.request.urlopen(f"{base_url}/models", timeout=timeout) as resp:
            return int(resp.status) == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _is_our_server(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return pid_alive(pid)  # no /proc: trust the pid file
    return SERVER_MODULE.encode() in cmdline


def _tail(path: Path, n: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return ""


def write_pid_file(info: ServerInfo, path: Path) -> None:
    write_json(path, asdict(info))


def read_pid_file(path: Path | None = None) -> ServerInfo | None:
    """The server recorded in the pid file, or ``None`` when there is none or it is gone."""
    p = path or default_pid_file()
    if not p.is_file():
        return None
    try:
        info = ServerInfo(**json.loads(p.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None
    if not pid_alive(info.pid) or not _is_our_server(info.pid):
        return None
    return info


def start_server(
    model: str | Path,
    *,
    host: str = DEFAULT_HOST,
    port: int | None = None,
    n_ctx: int = DEFAULT_N_CTX,
    n_threads: int | None = None,
    ready_timeout: float = 180.0,
    log_path: Path | None = None,
    pid_file: Path | None = None,
    python: str | None = None,
    tie_to_parent: bool = False,
) -> ServerInfo:
    """Start the server for a known model name or a ``.gguf`` path; return once it answers.

    ``port=None`` picks a free port. ``n_threads`` defaults to ``$HILGEN_LLM_THREADS``, else
    every core; the server runs with ``OMP_WAIT_POLICY=PASSIVE`` unless the environment sets
    it (spinning threads make llama.cpp 10-30x slower on a busy CPU). ``pid_file`` (e.g.
    :func:`default_pid_file`) is written when given. ``tie_to_parent=True`` (Linux) makes the
    kernel send the server SIGTERM when the starting process dies, even by SIGKILL, so a
    killed test run leaves no server behind; ``hilgen llm serve --background`` leaves it off.
    Raises ``GenerationError`` with the server log's tail when it exits or does not answer
    within ``ready_timeout`` seconds (it is then stopped).
    """
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ConfigError(
            f"host {host!r}: the local server binds to the loopback interface only "
            "(127.0.0.1); put a reverse proxy in front of it to expose it"
        )
    path = require_model(model)
    name = str(model) if str(model) in KNOWN_MODELS else path.stem
    chosen = port or free_port(host)
    if _port_in_use(host, chosen):
        raise ConfigError(f"port {chosen} on {host} is already in use; pick another with --port")
    threads = n_threads or _env_threads() or os.cpu_count() or 1
    log = log_path or cache_dir() / "run" / f"llm-server-{chosen}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    cmd = [
        python or sys.executable,
        "-m",
        SERVER_MODULE,
        "--model",
        str(path),
        "--model_alias",
        name,
        "--host",
        host,
        "--port",
        str(chosen),
        "--n_ctx",
        str(n_ctx),
        "--n_threads",
        str(threads),
        "--n_threads_batch",
        str(threads),
        "--verbose",
        "False",
    ]
    # llama.cpp's OpenMP threads spin while waiting: on a shared CPU that makes decoding
    # 10-30x slower. Passive waiting costs little when the machine is quiet.
    env = {**os.environ, "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "PASSIVE")}
    with log.open("ab") as log_fh:
        proc = subprocess.Popen(
            cmd,
            env=env,
            stdout=log_fh,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent if tie_to_parent else None,
        )
    info = ServerInfo(proc.pid, host, chosen, name, str(path), str(log), time.time())
    deadline = time.monotonic() + ready_timeout
    while True:
        code = proc.poll()
        if code is not None:
            raise GenerationError(
                f"the LLM server for {name} exited with code {code} before it was ready; "
                f"log {log}:\n{_tail(log)}"
            )
        if server_ready(info.base_url, timeout=1.0):
            break
        if time.monotonic() > deadline:
            stop_server(info.pid)
            raise GenerationError(
                f"the LLM server for {name} did not answer on {info.base_url} within "
                f"{ready_timeout:.0f} s and was stopped; log {log}:\n{_tail(log)}",
                retryable=True,
            )
        time.sleep(0.25)
    if pid_file is not None:
        write_pid_file(info, pid_file)
    return info


def stop_server(pid: int, *, grace: float = 10.0) -> bool:
    """Stop the server with this process id (SIGTERM, SIGKILL after ``grace`` seconds).

    Returns ``False`` when no such server runs (or the pid now belongs to another program,
    which is left alone).
    """
    if not pid_alive(pid) or not _is_our_server(pid):
        return False
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return True
        if not pid_alive(pid):
            return True
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)
    return True


def stop_from_pid_file(path: Path | None = None) -> ServerInfo | None:
    """Stop the server recorded in the pid file and remove the file; returns what was stopped."""
    p = path or default_pid_file()
    info = read_pid_file(p)
    if info is not None:
        stop_server(info.pid)
    with contextlib.suppress(FileNotFoundError):
        p.unlink()
    return info


@contextlib.contextmanager
def running_server(
    model: str | Path,
    *,
    host: str = DEFAULT_HOST,
    port: int | None = None,
    n_ctx: int = DEFAULT_N_CTX,
    n_threads: int | None = None,
    ready_timeout: float = 180.0,
    pid_file: Path | None = None,
) -> Iterator[ServerInfo]:
    """Start a server, yield its :class:`ServerInfo` (``.base_url``), stop it by pid on exit."""
    info = start_server(
        model,
        host=host,
        port=port,
        n_ctx=n_ctx,
        n_threads=n_threads,
        ready_timeout=ready_timeout,
        pid_file=pid_file,
        tie_to_parent=True,
    )
    try:
        yield info
    finally:
        stop_server(info.pid)
        if pid_file is not None:
            with contextlib.suppress(FileNotFoundError):
                pid_file.unlink()
    # a clean run leaves no log behind (a failed start keeps it: its tail is in the error)
    with contextlib.suppress(FileNotFoundError):
        Path(info.log_path).unlink()


@dataclass(frozen=True)
class SpeedResult:
    """One timed, streamed completion.

    ``tokens_per_second`` is the decode rate (tokens after the first over the time after the
    first); ``first_token_seconds`` includes reading the prompt.
    """

    model: str
    completion_tokens: int
    seconds: float
    first_token_seconds: float
    decode_seconds: float

    @property
    def tokens_per_second(self) -> float:
        if self.completion_tokens < 2 or self.decode_seconds <= 0:
            return 0.0
        return (self.completion_tokens - 1) / self.decode_seconds


SPEED_PROMPT = (
    "Write a detailed essay of at least 400 words on the history of vaccination, "
    "from smallpox to mRNA vaccines."
)


def measure_speed(
    base_url: str, *, max_tokens: int = 128, prompt: str = SPEED_PROMPT, timeout: float = 600.0
) -> SpeedResult:
    """Time one streamed chat completion of up to ``max_tokens`` tokens (after a warm-up call).

    Each streamed chunk with text counts as one token (llama.cpp streams token by token).
    Under CPU contention the figure drops sharply: report it, never assert on it.
    """

    def request(n: int, stream: bool) -> urllib.request.Request:
        body = {
            "messages": [{"role": "user", "content": prompt}],
            "max_tokens": n,
            "temperature": 0.0,
            "stream": stream,
        }
        return urllib.request.Request(
            f"{base_url.rstrip('/')}/chat/completions",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )

    try:
        with urllib.request.urlopen(request(4, False), timeout=timeout) as resp:
            resp.read()
        model = ""
        stamps: list[float] = []
        t0 = time.perf_counter()
        with urllib.request.urlopen(request(max_tokens, True), timeout=timeout) as resp:
            for raw in resp:
                line = raw.decode("utf-8", "replace").strip()
                if not line.startswith("data:") or line == "data: [DONE]":
                    continue
                chunk = json.loads(line[5:])
                model = model or str(chunk.get("model", ""))
                delta = (chunk.get("choices") or [{}])[0].get("delta") or {}
                if delta.get("content"):
                    stamps.append(time.perf_counter())
        total = time.perf_counter() - t0
    except (urllib.error.URLError, OSError, ValueError) as err:
        raise GenerationError(
            f"cannot time the server at {base_url}: {err}", retryable=True
        ) from err
    if not stamps:
        raise GenerationError(f"the server at {base_url} streamed no text to time")
    return SpeedResult(
        model=model,
        completion_tokens=len(stamps),
        seconds=total,
        first_token_seconds=stamps[0] - t0,
        decode_seconds=stamps[-1] - stamps[0],
    )
