"""The real local LLM server for tests: llama-cpp-python's OpenAI-compatible server on a GGUF.

``start_llm_server(model)`` returns a running :class:`ServerInfo` (``.base_url``); the server
is stopped by process id with ``stop_llm_server(info)`` and, as a safety net, at interpreter
exit. The model is a known name installed by ``hilgen llm install`` (``make models``):
``smollm2-135m`` for plumbing, ``qwen2.5-coder-0.5b`` (the default here, override with
``$HILGEN_TEST_LLM_MODEL``) for generation that must parse. If the model is missing, the
helper installs it (a cache hit when ``make models`` ran). Tests using it are marked ``llm``.

``tests/agents/conftest.py`` exposes this as the session fixture ``llm_base_url``.
"""

from __future__ import annotations

import atexit
import os
import threading
from pathlib import Path

from hilgen_graph.llm.model_files import find_model, install_model
from hilgen_graph.llm.server import ServerInfo, start_server, stop_server

MODEL_ENV = "HILGEN_TEST_LLM_MODEL"
DEFAULT_TEST_MODEL = "qwen2.5-coder-0.5b"

_lock = threading.Lock()
_started: dict[str, ServerInfo] = {}


def llm_test_model() -> str:
    """The model the LLM tests use: ``$HILGEN_TEST_LLM_MODEL`` or qwen2.5-coder-0.5b."""
    return os.environ.get(MODEL_ENV) or DEFAULT_TEST_MODEL


def start_llm_server(model: str | None = None, *, n_ctx: int = 4096) -> ServerInfo:
    """Start (or reuse, within this process) a server for ``model``; installs it if missing."""
    name = model or llm_test_model()
    with _lock:
        if name in _started:
            return _started[name]
        if find_model(name) is None:
            install_model(name)
        # tied to this process: a test run killed by a timeout leaves no server behind
        info = start_server(name, n_ctx=n_ctx, ready_timeout=300.0, tie_to_parent=True)
        _started[name] = info
        return info


def stop_llm_server(info: ServerInfo) -> None:
    """Stop a server started here, by its process id."""
    with _lock:
        for key, value in list(_started.items()):
            if value.pid == info.pid:
                del _started[key]
    stop_server(info.pid)
    Path(info.log_path).unlink(missing_ok=True)


@atexit.register
def _stop_all() -> None:
    for info in list(_started.values()):
        stop_server(info.pid)
    _started.clear()
