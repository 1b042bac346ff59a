"""Build (or load from cache) the approximate-match :class:`TermIndex` of a graph store's terms.

Every store gives its terms as two columns (concept id, normalised text) through
``GraphStore.term_columns()``. The index is cached under ``cache_dir()/term-index/`` keyed by
``GraphStore.fingerprint()`` (for the embedded store: its location, file time and stats), so a
rebuilt store gets a fresh index; a store without a fingerprint (Neo4j) is indexed each time.
"""

from __future__ import annotations

import contextlib

import pyarrow as pa

from hilgen_graph.errors import ExpansionError, GraphError
from hilgen_graph.graph.store import GraphStore
from hilgen_graph.grounding.term_index import TermIndex
from hilgen_graph.settings import cache_dir


def term_columns(store: GraphStore) -> tuple[pa.Array, pa.Array]:
    """(concept ids, normalised texts) of every term of ``store``, as Arrow arrays."""
    try:
        cids, norms = store.term_columns()
    except GraphError as err:
        raise ExpansionError(f"approximate linking cannot read the store's terms: {err}") from err
    return pa.array(cids, pa.large_string()), pa.array(norms, pa.large_string())


def index_for_store(store: GraphStore, *, use_cache: bool = True) -> TermIndex:
    """The store's term index: loaded from the cache when it matches the store, else built."""
    key = store.fingerprint() if use_cache else None
    cached = cache_dir() / "term-index" / f"{key}.npz" if key else None
    if cached is not None and cached.exists():
        try:
            return TermIndex.load(cached)
        except ExpansionError:
            cached.unlink(missing_ok=True)
    cids, norms = term_columns(store)
    index = TermIndex.build(cids, norms)
    if cached is not None:
        with contextlib.suppress(OSError):  # a read-only cache only costs a rebuild next time
            index.save(cached)
    return index
