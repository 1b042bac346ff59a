"""Graph fixtures: the contract-suite store per backend, and the session-wide ``free`` store.

``graph_store`` is parametrised over :data:`STORE_BUILDERS`; a backend joins the contract suite
by adding its name to ``params`` and a builder (a context manager yielding a loaded store).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from tests.graph.conftest_neo4j import neo4j_contract_store, neo4j_uri, scratch_neo4j  # noqa: F401
from tests.graph.fixture_graph import fixture_records
from tests.graph.free_store import session_free_store

from hilgen_graph.graph.embedded import EmbeddedStore
from hilgen_graph.graph.store import GraphStore


@contextlib.contextmanager
def _embedded_store(tmp: Path) -> Iterator[GraphStore]:
    path = tmp / "embedded-store"
    writer = EmbeddedStore(path, read_only=False)
    writer.load(fixture_records())
    writer.close()
    store = EmbeddedStore(path)
    try:
        yield store
    finally:
        store.close()


STORE_BUILDERS: dict[str, Callable[[Path], AbstractContextManager[GraphStore]]] = {
    "embedded": _embedded_store,
    "neo4j": neo4j_contract_store,
}


@pytest.fixture(
    scope="session", params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)]
)
def graph_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GraphStore]:
    """A store of each backend loaded with the fixture graph (read-only use in tests)."""
    tmp = tmp_path_factory.mktemp(f"graph-{request.param}")
    with STORE_BUILDERS[request.param](tmp) as store:
        yield store


@pytest.fixture(scope="session")
def free_store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An embedded store of the ``free`` preset, built once per test session."""
    return session_free_store(tmp_path_factory)
