"""Build (or load from cache) the approximate-match :class:`TermIndex` of a graph store's terms.

A store gives its terms as two columns (concept id, normalised text) through a
``term_columns()`` method when it has one; the embedded LadybugDB store is read directly from
its normalised-name table. The index is cached under ``cache_dir()/term-index/`` keyed by the
store's location, its file time and its stats, so a rebuilt store gets a fresh index.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path
from typing import Any

import pyarrow as pa

from hilgen_graph.errors import ExpansionError
from hilgen_graph.graph.store import GraphStore
from hilgen_graph.grounding.term_index import TermIndex
from hilgen_graph.settings import cache_dir

# Reads every (concept id, normalised term) pair of the embedded store, whose schema is in
# hilgen_graph.graph.embedded_queries (``(:Concept)-[:HAS_TERM]->(:Name {norm})``). A
# ``TERM_COLUMNS`` constant there, when the store module defines one, takes precedence.
EMBEDDED_TERM_COLUMNS = (
    "MATCH (c:Concept)-[:HAS_TERM]->(n:Name) RETURN DISTINCT c.id AS cid, n.norm AS norm"
)


def term_columns(store: GraphStore) -> tuple[pa.Array, pa.Array]:
    """(concept ids, normalised texts) of every term of ``store``, as Arrow arrays."""
    own = getattr(store, "term_columns", None)
    if callable(own):
        cids, norms = own()
        return pa.array(cids, pa.large_string()), pa.array(norms, pa.large_string())
    conn = getattr(store, "conn", None)
    if conn is not None and type(store).__name__ == "EmbeddedStore":
        from hilgen_graph.graph import embedded_queries

        query = getattr(embedded_queries, "TERM_COLUMNS", EMBEDDED_TERM_COLUMNS)
        try:
            table: pa.Table = conn.execute(query).get_as_arrow()
        except RuntimeError as err:
            raise ExpansionError(f"cannot read the store's terms: {err}") from err
        cid_col, norm_col = table.column(0), table.column(1)
        return cid_col.combine_chunks(), norm_col.combine_chunks()
    raise ExpansionError(
        f"approximate linking needs the terms of the store, but a {type(store).__name__} does "
        "not expose them (no term_columns()); use the embedded store or --no-approximate"
    )


def _cache_key(store: GraphStore) -> str | None:
    path = getattr(store, "path", None)
    if path is None:
        return None
    p = Path(path)
    stamp = max((f.stat().st_mtime_ns for f in p.glob("*") if f.is_file()), default=0)
    stats: dict[str, Any] = store.stats().as_dict()
    blob = json.dumps([str(p.resolve()), stamp, stats], sort_keys=True, default=str)
    return hashlib.sha1(blob.encode()).hexdigest()[:20]


def index_for_store(store: GraphStore, *, use_cache: bool = True) -> TermIndex:
    """The store's term index: loaded from the cache when it matches the store, else built."""
    key = _cache_key(store) if use_cache else None
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
