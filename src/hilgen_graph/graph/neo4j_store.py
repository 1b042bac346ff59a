"""The Neo4j graph store: the official ``neo4j`` driver over Bolt.

``Neo4jStore(uri)`` connects (and checks the server is reachable); :meth:`Neo4jStore.load`
replaces the store's content: it removes the schema marker, deletes this schema's nodes, creates
constraints and indexes, writes the record stream in batches (``UNWIND $rows AS row MERGE ...``,
one transaction per batch, memory bounded by the batch size), drops rows whose concept never
arrived, and writes the schema marker last. Reads refuse a database without the marker, so a
failed or interrupted load never reads as complete.

Driver errors become :class:`~hilgen_graph.errors.GraphError` with how to fix them; an unreachable
server or a transient failure is marked ``retryable``.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Final, LiteralString, cast

import neo4j
import networkx as nx
import pyarrow as pa
from neo4j import exceptions as neo4j_errors

from hilgen_graph.errors import GraphError
from hilgen_graph.graph import neo4j_queries as Q
from hilgen_graph.graph.bulk import LoadReport, Progress
from hilgen_graph.graph.neighbourhood import bfs_neighbourhood
from hilgen_graph.graph.normalize import normalize
from hilgen_graph.graph.records import (
    Concept,
    GraphRecord,
    GraphStats,
    HasType,
    Isa,
    SemanticType,
    SourceInfo,
    Term,
    Xref,
)
from hilgen_graph.graph.store import SAMPLE_MODULUS, sample_offset, sample_rank
from hilgen_graph.redact import redact_url

DEFAULT_BATCH: Final = 5_000
BOLT_SCHEMES: Final = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")
_PROGRESS_EVERY: Final = 65_536
_NO_LIMIT: Final = 2**62

Row = dict[str, Any]


def _fix_for(uri: str) -> str:
    return (
        f"start Neo4j 5 and check the address {uri} (--uri or NEO4J_URI), "
        "then run the command again"
    )


class Neo4jStore:
    """A :class:`~hilgen_graph.graph.store.GraphStore` on a Neo4j 5 server.

    ``database`` picks a database of the server (default: the server's default database).
    ``batch_size`` is the number of rows per write transaction during :meth:`load`.
    """

    def __init__(
        self,
        uri: str,
        *,
        user: str | None = None,
        password: str | None = None,
        database: str | None = None,
        batch_size: int = DEFAULT_BATCH,
    ) -> None:
        if batch_size < 1:
            raise GraphError(
                f"batch_size must be at least 1, got {batch_size}", fix="pass a positive size"
            )
        self.uri = uri
        #: the address as shown in messages and reports: no ``user:password@``
        self.shown_uri = redact_url(uri)
        self.database = database
        self.batch_size = batch_size
        self._checked = False
        scheme = uri.split("://", 1)[0] if "://" in uri else ""
        if scheme not in BOLT_SCHEMES:
            raise GraphError(
                f"invalid Neo4j address {self.shown_uri!r}: the scheme must be one of "
                f"{', '.join(BOLT_SCHEMES)}",
                fix="pass --uri bolt://HOST:7687 (or neo4j://...) or set NEO4J_URI",
            )
        if "@" in uri.split("://", 1)[1].split("/", 1)[0]:
            raise GraphError(
                f"the Neo4j address {self.shown_uri!r} holds credentials; they are not "
                "accepted in the address (it is echoed in messages and visible in process lists)",
                fix="pass --uri without user:password@, the user with --user or NEO4J_USER and "
                "the password in NEO4J_PASSWORD (or type it at the prompt)",
            )
        auth = neo4j.basic_auth(user, password or "") if user else None
        try:
            self._driver = neo4j.GraphDatabase.driver(
                uri,
                auth=auth,
                notifications_min_severity="OFF",
                max_transaction_retry_time=15.0,
            )
        except (neo4j_errors.ConfigurationError, ValueError) as err:
            raise GraphError(
                f"invalid Neo4j address or settings {self.shown_uri!r}: "
                f"{str(err).replace(uri, self.shown_uri)}",
                fix="pass --uri bolt://HOST:7687 (or neo4j://...) or set NEO4J_URI",
            ) from err
        self._session: neo4j.Session | None = None
        try:
            with self._translated("connecting"):
                self._driver.verify_connectivity()
        except GraphError:
            self._driver.close()
            raise

    # --- connection and error translation -----------------------------------------------------
    @contextmanager
    def _translated(self, doing: str) -> Iterator[None]:
        """Turn driver errors into GraphError (retryable when the server may come back)."""
        try:
            yield
        except neo4j_errors.AuthError as err:
            raise GraphError(
                f"Neo4j at {self.shown_uri} refused the credentials while {doing}: {err.message}",
                fix="check --user (or NEO4J_USER) and NEO4J_PASSWORD",
            ) from err
        except (
            neo4j_errors.ServiceUnavailable,
            neo4j_errors.SessionExpired,
            neo4j_errors.TransientError,
            neo4j_errors.DatabaseUnavailable,
        ) as err:
            error = GraphError(
                f"Neo4j at {self.shown_uri} is unavailable while {doing}: "
                f"{str(err).replace(self.uri, self.shown_uri)}",
                fix=_fix_for(self.shown_uri),
            )
            error.retryable = True
            raise error from err
        except neo4j_errors.ConstraintError as err:
            raise GraphError(
                f"Neo4j rejected a write while {doing}: {err.message} ({err.code})",
                fix="the database holds data that breaks this store's constraints; load into "
                "an empty database or one written by hilgen graph load",
            ) from err
        except neo4j_errors.Neo4jError as err:
            raise GraphError(
                f"Neo4j failed while {doing}: {err.message} ({err.code})",
                fix="check the server log; the server must be Neo4j 5.26 or later",
            ) from err
        except neo4j_errors.DriverError as err:
            raise GraphError(
                f"the Neo4j driver failed while {doing}: "
                f"{str(err).replace(self.uri, self.shown_uri)}",
                fix=_fix_for(self.shown_uri),
            ) from err

    @property
    def session(self) -> neo4j.Session:
        if self._session is None or self._session.closed():
            self._session = self._driver.session(database=self.database)
        return self._session

    def _raw_rows(self, query: str, params: Row | None = None) -> list[list[Any]]:
        with self._translated("reading"):
            result = self.session.run(cast(LiteralString, query), params or {})
            return [list(r.values()) for r in result]

    def _rows(self, query: str, params: Row | None = None) -> list[list[Any]]:
        self._require_complete()
        return self._raw_rows(query, params)

    def _scalar(self, query: str, params: Row | None = None) -> Any:
        rows = self._raw_rows(query, params)
        return rows[0][0] if rows else None

    def _run(self, query: str, params: Row | None = None) -> None:
        """One auto-commit statement (needed for ``CALL ... IN TRANSACTIONS`` and schema)."""
        with self._translated("writing"):
            self.session.run(cast(LiteralString, query), params or {}).consume()

    def _write(self, query: str, rows: list[Row]) -> None:
        def work(tx: neo4j.ManagedTransaction) -> None:
            tx.run(cast(LiteralString, query), rows=rows).consume()

        with self._translated("writing a batch"):
            self.session.execute_write(work)

    def _require_complete(self) -> None:
        if self._checked:
            return
        version = self._scalar(Q.META_GET, {"key": "schema"})
        if version != Q.SCHEMA_VERSION:
            found = (
                "no schema marker (never loaded, or a load that did not finish)"
                if version is None
                else f"schema {version!r}"
            )
            raise GraphError(
                f"the Neo4j database at {self.shown_uri} has {found}; this version of "
                "hilgen-graph "
                f"reads {Q.SCHEMA_VERSION!r}",
                fix="load it: hilgen graph load --source ... --backend neo4j "
                f"--uri {self.shown_uri}",
            )
        self._checked = True

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None
        self._driver.close()

    def __enter__(self) -> Neo4jStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- schema -------------------------------------------------------------------------------
    def ensure_schema(self) -> None:
        """Create this store's constraints and indexes (idempotent) and wait until online."""
        for statement in (*Q.CONSTRAINTS, *Q.INDEXES):
            self._run(statement)
        self._run(Q.AWAIT_INDEXES)

    def finish_import(self) -> GraphStats:
        """Make a database written by ``neo4j-admin database import full`` from
        :func:`~hilgen_graph.graph.neo4j_export.export_admin_csv` ready to read: create the
        constraints and indexes, collapse repeated relationships, check the schema marker."""
        self.ensure_schema()
        for statement in Q.DEDUPE_RELATIONSHIPS:
            self._run(statement)
        self._checked = False
        return self.stats()

    # --- writing ------------------------------------------------------------------------------
    def load(self, records: Iterable[GraphRecord]) -> GraphStats:
        return self.load_with_report(records).stats

    def load_with_report(
        self, records: Iterable[GraphRecord], progress: Progress | None = None
    ) -> LoadReport:
        """Replace the database's hilgen content with ``records``; report counts and drops."""
        started = time.perf_counter()
        self._checked = False
        self._run(Q.META_DELETE, {"key": "schema"})
        for label in sorted(Q.LABELS):
            self._run(Q.delete_label(label))
        self.ensure_schema()
        writer = _BatchWriter(self._write, self.batch_size)
        n, self_loops = self._stream(records, writer, progress)
        writer.flush_all()
        if progress is not None:
            progress("finalize", n)
        dropped = {str(t): int(c) for t, c in self._raw_rows(Q.STUB_RELATIONSHIPS) if int(c)}
        self._run(Q.DELETE_STUBS)
        if self_loops:
            dropped["ISA (self loops)"] = self_loops
        self._run(
            Q.META_PUT,
            {"key": "loaded_at", "value": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
        )
        # The marker goes in last: a database without it never reads as complete.
        self._run(Q.META_PUT, {"key": "schema", "value": Q.SCHEMA_VERSION})
        stats = self.stats()
        if progress is not None:
            progress("done", n)
        return LoadReport(
            stats=stats,
            records=n,
            seconds=time.perf_counter() - started,
            dropped=dropped,
            path=self.shown_uri,
        )

    @staticmethod
    def _stream(
        records: Iterable[GraphRecord], writer: _BatchWriter, progress: Progress | None
    ) -> tuple[int, int]:
        add = writer.add
        n = 0
        self_loops = 0
        for rec in records:
            n += 1
            kind = type(rec)
            if kind is Term:
                t = cast(Term, rec)
                add(Q.WRITE_TERMS, {
                    "cid": t.concept_id, "text": t.text, "norm": t.normalized,
                    "source": t.source, "tty": t.term_type, "preferred": bool(t.is_preferred),
                })  # fmt: skip
            elif kind is Isa:
                i = cast(Isa, rec)
                if i.child == i.parent:
                    self_loops += 1
                else:
                    add(Q.WRITE_ISA, {"child": i.child, "parent": i.parent, "source": i.source})
            elif kind is Concept:
                c = cast(Concept, rec)
                if not c.id:
                    raise GraphError(
                        f"record {n}: a Concept with an empty id ({c!r})",
                        fix="fix the knowledge source so every concept has an id",
                    )
                rk = sample_rank(c.id)
                add(Q.WRITE_CONCEPTS, {"id": c.id, "name": c.preferred_name, "rk": rk})
                for tui in c.semantic_types:
                    add(Q.WRITE_HAS_TYPES, {"cid": c.id, "tui": tui, "rk": rk})
            elif kind is HasType:
                h = cast(HasType, rec)
                add(
                    Q.WRITE_HAS_TYPES,
                    {"cid": h.concept_id, "tui": h.tui, "rk": sample_rank(h.concept_id)},
                )
            elif kind is SemanticType:
                s = cast(SemanticType, rec)
                add(Q.WRITE_SEMANTIC_TYPES, {"tui": s.tui, "name": s.name, "grp": s.group})
            elif kind is Xref:
                x = cast(Xref, rec)
                add(Q.WRITE_XREFS, {
                    "key": f"{x.db}:{x.code}", "cid": x.concept_id, "db": x.db, "code": x.code,
                })  # fmt: skip
            elif kind is SourceInfo:
                si = cast(SourceInfo, rec)
                add(Q.WRITE_SOURCES, {"name": si.name, "version": si.version})
            else:
                raise GraphError(
                    f"record {n}: {type(rec).__name__} is not a graph record",
                    fix="stream Concept, Term, SemanticType, HasType, Isa, Xref or SourceInfo "
                    "records",
                )
            if progress is not None and n % _PROGRESS_EVERY == 0:
                progress("read", n)
        return n, self_loops

    # --- reading ------------------------------------------------------------------------------
    @staticmethod
    def _concepts(rows: list[list[Any]]) -> list[Concept]:
        return [Concept(r[0], r[1] or "", tuple(sorted(r[2]))) for r in rows]

    def _concepts_by_ids(self, ids: list[str]) -> dict[str, Concept]:
        if not ids:
            return {}
        return {c.id: c for c in self._concepts(self._rows(Q.CONCEPTS_BY_IDS, {"ids": ids}))}

    def concept(self, concept_id: str) -> Concept | None:
        found = self._concepts(self._rows(Q.CONCEPT, {"id": concept_id}))
        return found[0] if found else None

    def synonyms(self, concept_id: str) -> list[Term]:
        terms = [
            Term(concept_id, text, norm or "", source or "", tty or "", bool(pref))
            for text, norm, source, tty, pref in self._rows(Q.SYNONYMS, {"id": concept_id})
        ]
        terms.sort(key=lambda t: (not t.is_preferred, t.text, t.source, t.term_type))
        return terms

    def semantic_type(self, tui: str) -> SemanticType | None:
        rows = self._rows(Q.SEMANTIC_TYPE, {"tui": tui})
        return SemanticType(rows[0][0], rows[0][1] or "", rows[0][2] or "") if rows else None

    def parents(self, concept_id: str, source: str | None = None) -> list[Concept]:
        if source is None:
            return self._concepts(self._rows(Q.PARENTS, {"id": concept_id}))
        return self._concepts(self._rows(Q.PARENTS_BY_SOURCE, {"id": concept_id, "source": source}))

    def children(self, concept_id: str, source: str | None = None) -> list[Concept]:
        if source is None:
            return self._concepts(self._rows(Q.CHILDREN, {"id": concept_id}))
        return self._concepts(
            self._rows(Q.CHILDREN_BY_SOURCE, {"id": concept_id, "source": source})
        )

    def siblings(
        self, concept_id: str, source: str | None = None, limit: int | None = None
    ) -> list[Concept]:
        cap = _NO_LIMIT if limit is None else max(int(limit), 0)
        if cap == 0:
            return []
        if source is None:
            rows = self._rows(Q.SIBLINGS, {"id": concept_id, "limit": cap})
        else:
            rows = self._rows(
                Q.SIBLINGS_BY_SOURCE, {"id": concept_id, "source": source, "limit": cap}
            )
        return self._concepts(rows)

    def ancestors(self, concept_id: str, depth: int = 2) -> list[Concept]:
        if depth < 1:
            return []
        try:
            query = Q.ancestors(depth)
        except ValueError as err:
            raise GraphError(str(err), fix="pass a depth from 1 to 30") from err
        hops = {str(i): int(h) for i, h in self._rows(query, {"id": concept_id})}
        found = self._concepts_by_ids(sorted(hops))
        return [found[i] for i in sorted(found, key=lambda i: (hops[i], i))]

    def lookup(self, text: str) -> list[Concept]:
        exact = self._concepts(self._rows(Q.LOOKUP_EXACT, {"text": text}))
        if exact:
            return exact
        norm = normalize(text)
        if not norm:
            return []
        return self._concepts(self._rows(Q.LOOKUP_NORMALIZED, {"norm": norm}))

    def same_semantic_type(self, concept_id: str, limit: int = 10, seed: int = 0) -> list[Concept]:
        """The seeded sample of :mod:`hilgen_graph.graph.store`: per type, the first ``limit+1``
        members in sample order come from the (tui, rk) index; their union holds the answer."""
        if limit <= 0:
            return []
        tuis = [str(r[0]) for r in self._rows(Q.CONCEPT_TYPES, {"id": concept_id})]
        if not tuis:
            return []
        offset = sample_offset(seed, concept_id)
        want = limit + 1  # the concept itself may be among a type's first members
        ranks: dict[str, int] = {}
        for tui in tuis:
            params: Row = {"tui": tui, "offset": offset, "n": want}
            rows = self._rows(Q.TYPE_MEMBERS_FROM, params)
            if len(rows) == want:
                rows += self._rows(Q.TYPE_MEMBERS_AT, {"tui": tui, "rk": rows[-1][1]})
            else:
                params["n"] = want - len(rows)
                before = self._rows(Q.TYPE_MEMBERS_BEFORE, params)
                if before and len(before) == params["n"]:
                    before += self._rows(Q.TYPE_MEMBERS_AT, {"tui": tui, "rk": before[-1][1]})
                rows += before
            for cid, rk in rows:
                ranks[str(cid)] = int(rk)
        ranks.pop(concept_id, None)
        best = heapq.nsmallest(
            limit, ranks.items(), key=lambda kv: ((kv[1] - offset) % SAMPLE_MODULUS, kv[0])
        )
        ids = [cid for cid, _ in best]
        found = self._concepts_by_ids(ids)
        return [found[i] for i in ids if i in found]

    def neighbourhood(self, concept_id: str, depth: int = 1, limit: int = 200) -> nx.DiGraph:
        def edges(cid: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
            up = [(str(p), str(s or "")) for p, s in self._rows(Q.UP_EDGES, {"id": cid})]
            down = [(str(k), str(s or "")) for k, s in self._rows(Q.DOWN_EDGES, {"id": cid})]
            return up, down

        return bfs_neighbourhood(concept_id, depth, limit, edges, self._concepts_by_ids)

    def stats(self) -> GraphStats:
        self._require_complete()
        return GraphStats(
            concepts=int(self._scalar(Q.count_nodes("Concept")) or 0),
            terms=int(self._scalar(Q.count_relationships("HAS_TERM")) or 0),
            isa=int(self._scalar(Q.count_relationships("ISA")) or 0),
            semantic_types=int(self._scalar(Q.count_nodes("SemanticType")) or 0),
            sources={str(n): str(v) for n, v in self._raw_rows(Q.SOURCES)},
        )

    # --- extras beyond the protocol -----------------------------------------------------------
    def xrefs(self, concept_id: str) -> list[Xref]:
        """Cross-references of a concept (UMLS CUIs, SNOMEDCT_US codes, ...), by (db, code)."""
        return [Xref(concept_id, db, code) for db, code in self._rows(Q.XREFS, {"id": concept_id})]

    def by_xref(self, db: str, code: str) -> list[Concept]:
        """Concepts carrying the cross-reference ``db:code`` (e.g. ``UMLS:C0020538``), by id."""
        return self._concepts(self._rows(Q.BY_XREF, {"key": f"{db}:{code}"}))

    def term_columns(self) -> tuple[pa.Array, pa.Array]:
        rows = self._rows(Q.TERM_COLUMNS)
        return (
            pa.array([r[0] for r in rows], pa.large_string()),
            pa.array([r[1] for r in rows], pa.large_string()),
        )

    def fingerprint(self) -> str | None:
        """A server's content can change under us without a trace we can read cheaply."""
        return None


class _BatchWriter:
    """Rows buffered per write statement; a full buffer is written as one transaction.

    Concepts are flushed before anything else that is due, so most relationships find their
    concepts already written (stubs are still created for those that come first).
    """

    def __init__(self, write: Callable[[str, list[Row]], None], batch_size: int) -> None:
        self._write = write
        self._size = batch_size
        self._buffers: dict[str, list[Row]] = {}

    def add(self, query: str, row: Row) -> None:
        buffer = self._buffers.get(query)
        if buffer is None:
            buffer = self._buffers[query] = []
        buffer.append(row)
        if len(buffer) >= self._size:
            self._flush(query)

    def _flush(self, query: str) -> None:
        buffer = self._buffers.get(query)
        if buffer:
            self._write(query, buffer)
            self._buffers[query] = []

    def flush_all(self) -> None:
        order = [Q.WRITE_CONCEPTS, Q.WRITE_SEMANTIC_TYPES, *self._buffers]
        for query in dict.fromkeys(order):
            self._flush(query)
