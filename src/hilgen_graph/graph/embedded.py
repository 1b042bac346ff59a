"""The embedded graph store: LadybugDB on disk in a directory, no server.

A store directory holds ``graph.lbug``. It is written only by :func:`hilgen_graph.graph.bulk.
build_store` (through :meth:`EmbeddedStore.load`), which builds beside the target and renames
into place; opening checks the schema marker and refuses a store of another version.
"""

from __future__ import annotations

import hashlib
import heapq
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import ladybug
import networkx as nx
import pyarrow as pa

from hilgen_graph.errors import GraphError
from hilgen_graph.graph import embedded_queries as Q
from hilgen_graph.graph import swap
from hilgen_graph.graph.bulk import (
    DB_FILE,
    NO_NORM,
    LoadReport,
    Progress,
    build_store,
    read_stats,
    result_rows,
)
from hilgen_graph.graph.neighbourhood import bfs_neighbourhood
from hilgen_graph.graph.normalize import normalize
from hilgen_graph.graph.records import (
    Concept,
    GraphRecord,
    GraphStats,
    SemanticType,
    Term,
    Xref,
)
from hilgen_graph.graph.store import SAMPLE_MODULUS, sample_offset

# same_semantic_type: when the candidates of a concept's types are at most this many, fetch them
# all; otherwise read slot windows (see ``EmbeddedStore._sample_type``).
_FETCH_ALL_MAX = 256


def _reload_fix(path: Path) -> str:
    return f"rebuild it: hilgen graph load --source ... --store {path}"


class EmbeddedStore:
    """A :class:`~hilgen_graph.graph.store.GraphStore` on LadybugDB.

    ``EmbeddedStore(path)`` opens an existing store read-only (many readers may share a
    directory). ``EmbeddedStore(path, read_only=False)`` may point at a missing or empty folder
    and is the one writer: :meth:`load` replaces the store's content atomically.
    """

    def __init__(self, path: str | Path, *, read_only: bool = True) -> None:
        self.path = Path(path).expanduser().absolute()
        self.read_only = read_only
        swap.recover(self.path)  # finish a swap that a killed load left half done
        self._db: ladybug.Database | None = None
        self._conn: ladybug.Connection | None = None
        self._type_sizes: dict[str, tuple[int, int]] = {}
        if read_only or (self.path / DB_FILE).exists():
            self._open()

    # --- connection ---------------------------------------------------------------------------
    def _open(self) -> None:
        db_file = self.path / DB_FILE
        if not db_file.exists():
            raise GraphError(
                "no embedded graph store here (graph.lbug is missing)",
                path=str(self.path),
                fix=f"load one first: hilgen graph load --source free --store {self.path}",
            )
        try:
            self._db = ladybug.Database(str(db_file), read_only=self.read_only)
            self._conn = ladybug.Connection(self._db, num_threads=1)
        except RuntimeError as err:
            self._db = None
            raise GraphError(
                f"cannot open the embedded store: {err}",
                path=str(self.path),
                fix="close other writers of this store (one read-write opener per directory), "
                f"or {_reload_fix(self.path)}",
            ) from err
        try:
            version = self._scalar(Q.META_GET, {"key": "schema"})
        except GraphError:
            version = None
        if version != Q.SCHEMA_VERSION:
            self.close()
            found = (
                "no schema marker (an old or unfinished store)"
                if version is None
                else (f"schema {version!r}")
            )
            raise GraphError(
                f"the store has {found}; this version of hilgen-graph reads {Q.SCHEMA_VERSION!r}",
                path=str(self.path),
                fix=_reload_fix(self.path),
            )

    @property
    def conn(self) -> ladybug.Connection:
        if self._conn is None:
            raise GraphError(
                "the store is closed or was never loaded",
                path=str(self.path),
                fix=f"load it first: hilgen graph load --source free --store {self.path}",
            )
        return self._conn

    def _rows(self, query: str, params: dict[str, Any] | None = None) -> list[list[Any]]:
        try:
            result = self.conn.execute(query, params or {})
        except RuntimeError as err:
            raise GraphError(f"embedded query failed: {err}", path=str(self.path)) from err
        return result_rows(result)

    def _scalar(self, query: str, params: dict[str, Any] | None = None) -> Any:
        rows = self._rows(query, params)
        return rows[0][0] if rows else None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> EmbeddedStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writing ------------------------------------------------------------------------------
    def load(self, records: Iterable[GraphRecord]) -> GraphStats:
        return self.load_with_report(records).stats

    def load_with_report(
        self, records: Iterable[GraphRecord], progress: Progress | None = None
    ) -> LoadReport:
        """Replace the store's content with ``records``; report counts, drops and timing."""
        if self.read_only:
            raise GraphError(
                "the store was opened read-only",
                path=str(self.path),
                fix="open it with read_only=False to load",
            )
        self.close()
        self._type_sizes.clear()
        report = build_store(records, self.path, progress=progress)
        self._open()
        return report

    # --- reading ------------------------------------------------------------------------------
    @staticmethod
    def _concept(row: list[Any]) -> Concept:
        tuis = row[2]
        return Concept(row[0], row[1] or "", tuple(tuis.split(",")) if tuis else ())

    def _concepts(self, rows: list[list[Any]]) -> list[Concept]:
        return [self._concept(r) for r in rows]

    def concept(self, concept_id: str) -> Concept | None:
        found = self._concepts(self._rows(Q.CONCEPT, {"id": concept_id}))
        return found[0] if found else None

    def _concepts_by_ids(self, ids: list[str]) -> dict[str, Concept]:
        """One primary-key query per id (``UNWIND``/``IN`` lists scan the table here)."""
        found: dict[str, Concept] = {}
        for cid in ids:
            rows = self._rows(Q.CONCEPT, {"id": cid})
            if rows:
                found[cid] = self._concept(rows[0])
        return found

    def synonyms(self, concept_id: str) -> list[Term]:
        terms = [
            Term(
                concept_id,
                text,
                "" if norm.startswith(NO_NORM) else norm,
                source or "",
                tty or "",
                bool(pref),
            )
            for text, norm, source, tty, pref in self._rows(Q.SYNONYMS, {"id": concept_id})
        ]
        terms.sort(key=lambda t: (not t.is_preferred, t.text, t.source, t.term_type))
        return terms

    def semantic_type(self, tui: str) -> SemanticType | None:
        rows = self._rows(Q.SEMANTIC_TYPE, {"tui": tui})
        return SemanticType(rows[0][0], rows[0][1] or "", rows[0][2] or "") if rows else None

    def _distinct_concepts(self, query: str, params: dict[str, Any]) -> list[Concept]:
        """Distinct concepts of the rows, ordered by id."""
        rows = {r[0]: r for r in self._rows(query, params)}
        return [self._concept(rows[cid]) for cid in sorted(rows)]

    def parents(self, concept_id: str, source: str | None = None) -> list[Concept]:
        if source is None:
            return self._distinct_concepts(Q.PARENTS, {"id": concept_id})
        return self._distinct_concepts(Q.PARENTS_BY_SOURCE, {"id": concept_id, "source": source})

    def children(self, concept_id: str, source: str | None = None) -> list[Concept]:
        if source is None:
            return self._distinct_concepts(Q.CHILDREN, {"id": concept_id})
        return self._distinct_concepts(Q.CHILDREN_BY_SOURCE, {"id": concept_id, "source": source})

    def siblings(
        self, concept_id: str, source: str | None = None, limit: int | None = None
    ) -> list[Concept]:
        if limit is not None and limit <= 0:
            return []
        if source is None:
            found = self._distinct_concepts(Q.SIBLINGS, {"id": concept_id})
        else:
            found = self._distinct_concepts(
                Q.SIBLINGS_BY_SOURCE, {"id": concept_id, "source": source}
            )
        return found if limit is None else found[:limit]

    def ancestors(self, concept_id: str, depth: int = 2) -> list[Concept]:
        if depth < 1:
            return []
        try:
            query = Q.ancestors(depth)
        except ValueError as err:
            raise GraphError(str(err), fix="pass a depth from 1 to 30") from err
        hops: dict[str, int] = {}
        found: dict[str, Concept] = {}
        for row in self._rows(query, {"id": concept_id}):
            cid, length = row[0], int(row[3])
            if cid == concept_id:
                continue  # a cycle back to the concept itself
            if cid not in hops or length < hops[cid]:
                hops[cid] = length
                found[cid] = self._concept(row)
        return [found[i] for i in sorted(found, key=lambda i: (hops[i], i))]

    def lookup(self, text: str) -> list[Concept]:
        key = normalize(text) or NO_NORM + text
        rows = self._rows(Q.LOOKUP, {"key": key, "text": text})
        exact = {r[0]: r for r in rows if r[3]}
        chosen = exact or {r[0]: r for r in rows}
        return [self._concept(chosen[cid]) for cid in sorted(chosen)]

    def same_semantic_type(self, concept_id: str, limit: int = 10, seed: int = 0) -> list[Concept]:
        if limit <= 0:
            return []
        me = self.concept(concept_id)
        if me is None or not me.semantic_types:
            return []
        offset = sample_offset(seed, concept_id)
        info = {t: self._type_info(t) for t in me.semantic_types}
        rows: dict[str, list[Any]] = {}  # candidate id -> (id, name, tuis, rank)
        if sum(n for n, _ in info.values()) <= _FETCH_ALL_MAX:
            for tui in me.semantic_types:
                for row in self._rows(Q.TYPE_MEMBERS, {"tui": tui}):
                    rows[row[0]] = row
        else:
            # Each type is complete below its own bound; below the smallest bound the union is
            # complete, and the type that set it alone has ``limit`` candidates there.
            bound = SAMPLE_MODULUS
            for tui, (n, bits) in info.items():
                got, type_bound = self._sample_type(tui, n, bits, offset, limit, concept_id)
                rows.update(got)
                bound = min(bound, type_bound)
            rows = {c: r for c, r in rows.items() if (r[3] - offset) % SAMPLE_MODULUS < bound}
        rows.pop(concept_id, None)
        best = heapq.nsmallest(
            limit, rows.values(), key=lambda r: ((r[3] - offset) % SAMPLE_MODULUS, r[0])
        )
        return [self._concept(r) for r in best]

    def _type_info(self, tui: str) -> tuple[int, int]:
        """(members, slot bits) of a semantic type, cached per open store."""
        info = self._type_sizes.get(tui)
        if info is None:
            rows = self._rows(Q.TYPE_SIZE, {"tui": tui})
            info = (int(rows[0][0] or 0), int(rows[0][1] or 0)) if rows else (0, 0)
            self._type_sizes[tui] = info
        return info

    def _sample_type(
        self, tui: str, members: int, bits: int, offset: int, limit: int, concept_id: str
    ) -> tuple[dict[str, list[Any]], int]:
        """Members of ``tui``'s slots that cover the first ``limit`` sample keys, and the key
        bound below which they are complete (``2**32``: the whole type was read).

        Slot ``s`` holds the members with ``rank >> (32 - bits) == s``. Reading slots ``s0,
        s0+1, ...`` (cyclically; ``s0`` = the offset's slot) covers the sample keys from 0 up
        to ``bound``; once ``limit`` candidates lie below ``bound`` the type is done.
        """
        n_slots, shift = 1 << bits, 32 - bits
        start = offset >> shift
        within = offset - (start << shift)  # how far into the start slot the offset lies
        per_slot = max(members / n_slots, 1.0)
        window = min(n_slots, max(1, int((limit + 1) * 1.5 / per_slot) + 1))
        rows: dict[str, list[Any]] = {}
        read = 0
        while read < n_slots:
            count = min(window, n_slots - read)
            for i in range(count):
                key = f"{tui}:{(start + read + i) % n_slots}"
                for row in self._rows(Q.SLOT_MEMBERS, {"key": key}):
                    rows[row[0]] = row
            read += count
            if read >= n_slots:
                break
            bound = (read << shift) - within
            below = sum(
                1
                for cid, row in rows.items()
                if cid != concept_id and (row[3] - offset) % SAMPLE_MODULUS < bound
            )
            if below >= limit:
                return rows, bound
            window *= 2
        return rows, SAMPLE_MODULUS

    def neighbourhood(self, concept_id: str, depth: int = 1, limit: int = 200) -> nx.DiGraph:
        def edges(cid: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
            up = [(str(p), str(s or "")) for p, s in self._rows(Q.UP_EDGES, {"id": cid})]
            down = [(str(k), str(s or "")) for k, s in self._rows(Q.DOWN_EDGES, {"id": cid})]
            return up, down

        return bfs_neighbourhood(concept_id, depth, limit, edges, self._concepts_by_ids)

    def stats(self) -> GraphStats:
        return read_stats(self.conn)

    # --- extras beyond the protocol -----------------------------------------------------------
    def xrefs(self, concept_id: str) -> list[Xref]:
        """Cross-references of a concept (UMLS CUIs, SNOMEDCT_US codes, ...), by (db, code)."""
        rows = sorted(
            {(str(db), str(code)) for db, code in self._rows(Q.XREFS, {"id": concept_id})}
        )
        return [Xref(concept_id, db, code) for db, code in rows]

    def by_xref(self, db: str, code: str) -> list[Concept]:
        """Concepts carrying the cross-reference ``db:code`` (e.g. ``UMLS:C0020538``), by id."""
        return self._distinct_concepts(Q.BY_XREF, {"key": f"{db}:{code}"})

    def term_columns(self) -> tuple[pa.Array, pa.Array]:
        try:
            result = self.conn.execute(Q.TERM_COLUMNS)
            one = result[-1] if isinstance(result, list) else result
            table: pa.Table = one.get_as_arrow()
        except RuntimeError as err:
            raise GraphError(f"cannot read the store's terms: {err}", path=str(self.path)) from err
        return table.column(0).combine_chunks(), table.column(1).combine_chunks()

    def fingerprint(self) -> str | None:
        """The folder, its files' newest change and the store's statistics."""
        stamp = max((f.stat().st_mtime_ns for f in self.path.glob("*") if f.is_file()), default=0)
        blob = json.dumps(
            [str(self.path.resolve()), stamp, self.stats().as_dict()], sort_keys=True, default=str
        )
        return hashlib.sha1(blob.encode()).hexdigest()[:20]
