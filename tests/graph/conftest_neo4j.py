"""Real-Neo4j fixtures: one server per test session, started by the tests themselves.

The server is Neo4j 5.26 from ``org.neo4j.test:neo4j-harness`` (see
``tests/support/neo4j_server.py``), on 127.0.0.1 with a random port and auth off. It starts on
first use and stops by process id at the end of the session (fixture finaliser), at interpreter
exit (atexit), or when the test process dies (the launcher exits when its stdin closes).

Community Neo4j holds one user database, so every test shares it: the contract store loads the
fixture graph; tests that load other content use :func:`scratch_neo4j`, which reloads the fixture
graph afterwards so the contract store keeps its answers.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.graph.fixture_graph import fixture_records
from tests.support.neo4j_server import Neo4jServer, start_neo4j

from hilgen_graph.graph.neo4j_store import Neo4jStore

_SERVER: list[Neo4jServer] = []


def session_neo4j_uri() -> str:
    """The Bolt URI of this process's Neo4j, started on first call (stopped at exit)."""
    if not _SERVER:
        _SERVER.append(start_neo4j())
    return _SERVER[0].uri


def stop_session_neo4j() -> None:
    while _SERVER:
        _SERVER.pop().stop()


@pytest.fixture(scope="session")
def neo4j_uri() -> Iterator[str]:
    """The Bolt URI of the session's real Neo4j server."""
    try:
        yield session_neo4j_uri()
    finally:
        stop_session_neo4j()


@contextlib.contextmanager
def neo4j_contract_store(tmp: Path) -> Iterator[Neo4jStore]:
    """The contract-suite builder: the session's Neo4j loaded with the fixture graph."""
    store = Neo4jStore(session_neo4j_uri())
    try:
        store.load(fixture_records())
        yield store
    finally:
        store.close()


@pytest.fixture
def scratch_neo4j(neo4j_uri: str) -> Iterator[Neo4jStore]:
    """A store on the session's Neo4j for tests that load their own content.

    Afterwards the fixture graph is loaded again, so that the (session-scoped) contract store
    still answers from it.
    """
    store = Neo4jStore(neo4j_uri)
    try:
        yield store
    finally:
        with contextlib.suppress(Exception):
            store.load(fixture_records())
        store.close()
