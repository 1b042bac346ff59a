"""Fixtures of the agents tests: the real local LLM server, and a tiny OpenAI-compatible stub.

- ``llm_base_url`` (session): base URL of the real llama.cpp server on a real GGUF model
  (see ``tests/support/llm_server.py``); tests using it must be marked ``llm``.
- ``store`` (module): the real embedded store of the ``free`` graph, built once per session.
- ``openai_stub``: an HTTP server on 127.0.0.1 speaking the chat-completions protocol that
  records every request body and answers from a queue of (status, JSON) pairs, to check what
  ``ChatOpenAI`` really sends and how real HTTP errors are classified.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.prompts.llmgen_fixtures import free_store_path
from tests.support.llm_server import start_llm_server, stop_llm_server
from tests.support.openai_stub import OpenAIStub, running_stub

from hilgen_graph.graph.embedded import EmbeddedStore
from hilgen_graph.graph.store import GraphStore


@pytest.fixture(scope="module")
def store() -> Iterator[GraphStore]:
    s = EmbeddedStore(free_store_path())
    yield s
    s.close()


@pytest.fixture(scope="session")
def llm_server_info() -> Iterator[Any]:
    info = start_llm_server()
    try:
        yield info
    finally:
        stop_llm_server(info)


@pytest.fixture(scope="session")
def llm_base_url(llm_server_info: Any) -> str:
    """``http://127.0.0.1:PORT/v1`` of the real local LLM server (mark the test ``llm``)."""
    return str(llm_server_info.base_url)


@pytest.fixture()
def openai_stub() -> Iterator[OpenAIStub]:
    """A chat-completions stub on 127.0.0.1 (see ``tests/support/openai_stub.py``)."""
    with running_stub() as stub:
        yield stub
