"""Choosing and opening a graph store backend, and building the default ``free`` store.

``open_store("embedded", path=DIR)`` opens a LadybugDB store directory; ``open_store("neo4j",
uri=...)`` connects to a Neo4j server (imported lazily, so the embedded path never needs the
driver). Neo4j settings fall back to ``NEO4J_URI``, ``NEO4J_USER`` and ``NEO4J_PASSWORD``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Final, Literal

from hilgen_graph.errors import ConfigError, GraphError
from hilgen_graph.graph.bulk import LoadReport, Progress
from hilgen_graph.graph.records import GraphRecord
from hilgen_graph.graph.store import GraphStore

Backend = Literal["embedded", "neo4j"]
BACKENDS: Final = ("embedded", "neo4j")
NEO4J_URI_ENV: Final = "NEO4J_URI"
NEO4J_USER_ENV: Final = "NEO4J_USER"
NEO4J_PASSWORD_ENV: Final = "NEO4J_PASSWORD"


def neo4j_settings(
    uri: str | None = None, user: str | None = None, password: str | None = None
) -> tuple[str, str | None, str | None]:
    """(uri, user, password) from the arguments, else from ``NEO4J_*``; the uri is required."""
    uri = uri or os.environ.get(NEO4J_URI_ENV)
    user = user or os.environ.get(NEO4J_USER_ENV)
    password = password or os.environ.get(NEO4J_PASSWORD_ENV)
    if not uri:
        raise ConfigError(
            "the neo4j backend needs a server address; pass --uri bolt://HOST:7687 or set "
            f"{NEO4J_URI_ENV}"
        )
    return uri, user, password


def _check_backend(backend: str) -> None:
    if backend not in BACKENDS:
        raise ConfigError(f"unknown graph backend {backend!r}; allowed: {', '.join(BACKENDS)}")


def open_store(
    backend: str = "embedded",
    *,
    path: str | Path | None = None,
    uri: str | None = None,
    user: str | None = None,
    password: str | None = None,
    read_only: bool = True,
) -> GraphStore:
    """Open a store. ``embedded`` needs ``path``; ``neo4j`` needs ``uri`` (or ``NEO4J_URI``)."""
    _check_backend(backend)
    if backend == "embedded":
        if path is None:
            raise ConfigError("the embedded backend needs a store folder; pass --store DIR")
        from hilgen_graph.graph.embedded import EmbeddedStore

        return EmbeddedStore(path, read_only=read_only)
    uri, user, password = neo4j_settings(uri, user, password)
    try:
        from hilgen_graph.graph.neo4j_store import Neo4jStore  # type: ignore[import-not-found]
    except ImportError as err:
        raise GraphError(
            f"the neo4j backend is not available: {err}",
            fix="install the neo4j driver (pip install neo4j) or use --backend embedded",
        ) from err
    store: GraphStore = Neo4jStore(uri, user=user, password=password)
    return store


def load_store(
    records: Iterable[GraphRecord],
    backend: str = "embedded",
    *,
    path: str | Path | None = None,
    uri: str | None = None,
    user: str | None = None,
    password: str | None = None,
    progress: Progress | None = None,
) -> LoadReport:
    """Load ``records`` into a store, replacing its content; both backends return the same
    :class:`~hilgen_graph.graph.bulk.LoadReport`."""
    _check_backend(backend)
    if backend == "embedded":
        from hilgen_graph.graph.embedded import EmbeddedStore

        if path is None:
            raise ConfigError("the embedded backend needs a store folder; pass --store DIR")
        store = EmbeddedStore(path, read_only=False)
        try:
            return store.load_with_report(records, progress=progress)
        finally:
            store.close()
    from hilgen_graph.graph.neo4j_store import Neo4jStore

    neo = open_store(backend, uri=uri, user=user, password=password, read_only=False)
    try:
        assert isinstance(neo, Neo4jStore)  # open_store's contract for backend "neo4j"
        return neo.load_with_report(records, progress=progress)
    finally:
        neo.close()


def build_free_store(path: str | Path, progress: Progress | None = None) -> LoadReport:
    """Build the embedded store of the ``free`` preset (MeSH + Disease Ontology + Semantic
    Network) at ``path``. Tests share one such store per session through this function."""
    from hilgen_graph.graph.embedded import EmbeddedStore
    from hilgen_graph.graph_loader.sources import open_source

    store = EmbeddedStore(path, read_only=False)
    try:
        return store.load_with_report(open_source("free"), progress=progress)
    finally:
        store.close()


def ensure_free_store(
    path: str | Path,
    progress: Progress | None = None,
    on_build: Callable[[str], None] | None = None,
) -> Path:
    """The ``free`` store at ``path``, built there on first use and rebuilt when it no longer
    opens (another release's store, a damaged folder). The one "build the default store once"
    helper: the demo and the evaluation call it. A load is atomic (built beside the target,
    swapped in whole), so a store that opens is a finished one."""
    from hilgen_graph.graph.embedded import EmbeddedStore

    target = Path(path)
    if target.exists():
        try:
            EmbeddedStore(target).close()
            return target
        except GraphError as err:
            if on_build is not None:
                on_build(f"the store at {target} does not open ({err}): rebuilding it")
    if on_build is not None:
        on_build("loading the free graph (MeSH 2024 + Disease Ontology + UMLS Semantic Network)")
    build_free_store(target, progress=progress)
    return target
