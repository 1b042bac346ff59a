"""Bulk load of a record stream into an embedded store directory.

The path: records -> per-table spools (bounded in-memory chunks, spilled as uncompressed Arrow
IPC files hash-partitioned into buckets) -> per-bucket de-duplication with pyarrow -> one Parquet
file per table -> ``COPY ... FROM``. Memory is bounded by the chunk size and by one bucket at a
time, not by the size of the input.

Atomicity: the store is built in a hidden sibling directory ``.NAME.loading-PID``; the schema
marker (``Meta {key: "schema"}``) is written last, the database is closed, and only then is the
directory swapped into place by :mod:`hilgen_graph.graph.swap`, whose renames a kill at any point
leaves recoverable (the next load or open finishes them). A failed or interrupted load leaves the
previous store (or nothing) at the target path, never a half-written store that reads as
complete; a stream without concepts or semantic types is refused rather than replacing a
store with an empty one.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any, Final, cast

import ladybug
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.feather as feather
import pyarrow.parquet as pq

from hilgen_graph.errors import GraphError
from hilgen_graph.graph import embedded_queries as Q
from hilgen_graph.graph import swap
from hilgen_graph.graph.records import (
    Concept,
    GraphRecord,
    GraphStats,
    HasType,
    Isa,
    SemanticType,
    SourceInfo,
    TableBlock,
    Term,
    Xref,
)
from hilgen_graph.graph.store import sample_rank

DB_FILE: Final = "graph.lbug"
CHUNK_ROWS: Final = 250_000  # rows a spool holds in memory before spilling to Arrow IPC
N_BUCKETS: Final = 8  # hash partitions per spilled table (power of two)
SLOT_TARGET: Final = 64  # same-type sampling: about this many members per type slot
MAX_SLOT_BITS: Final = 16
_CHECK_EVERY: Final = 65_536  # records between spool-size checks and progress callbacks
NO_NORM: Final = "\x1f"  # Name key prefix of a term whose normalised form is empty ("!!!")

Progress = Callable[[str, int], None]
"""Called with (phase, records read so far); phases: "read", "dedup", "copy", "done"."""


def slot_bits(members: int) -> int:
    """Slot bits of a type: ``2**bits`` slots of about :data:`SLOT_TARGET` members each."""
    return min(MAX_SLOT_BITS, max(0, (members // SLOT_TARGET).bit_length() - 1))


def slot_key(tui: str, rank: int, bits: int) -> str:
    """The TypeSlot key of a concept with sampling rank ``rank`` under semantic type ``tui``:
    the type's slot ``rank >> (32 - bits)`` (so a slot holds a contiguous range of ranks)."""
    return f"{tui}:{rank >> (32 - bits)}"


@dataclass(frozen=True, slots=True)
class LoadReport:
    """What a bulk load did: the final stats, rows read, dropped rows and timings."""

    stats: GraphStats
    records: int
    seconds: float
    dropped: dict[str, int] = field(default_factory=dict)  # table -> rows dropped (dangling ids)
    path: str = ""


# --- spools -------------------------------------------------------------------------------------
class _Spool:
    """Rows of one staging table: appended in memory, spilled to bucketed Arrow IPC in chunks."""

    def __init__(
        self, name: str, schema: pa.Schema, bucket_col: int, root: Path, *, ordered: bool = False
    ) -> None:
        self.name = name
        self.ordered = ordered  # keep a sequence column so "first seen" survives bucketing
        self.schema = schema
        self.bucket_col = bucket_col
        self.root = root
        self.rows: list[tuple[Any, ...]] = []
        self.add = self.rows.append
        self.spills = 0
        self.seq = 0

    def _table(self, rows: list[tuple[Any, ...]]) -> pa.Table:
        # One pass per column (zip(*rows) over many rows is far slower).
        arrays = [
            pa.array(list(map(itemgetter(i), rows)), type=f.type) for i, f in enumerate(self.schema)
        ]
        if not self.ordered:
            return pa.Table.from_arrays(arrays, schema=self.schema)
        seq = pa.array(np.arange(self.seq, self.seq + len(rows), dtype=np.int64))
        self.seq += len(rows)
        return pa.Table.from_arrays([*arrays, seq], names=[*self.schema.names, "_seq"])

    def _partition(self) -> list[pa.Table]:
        """The pending rows as one table per bucket (hash of the bucket column)."""
        rows = self.rows
        col = self.bucket_col
        keys = [r[col] for r in rows]
        table = self._table(rows)
        rows.clear()
        return self._split(table, keys)

    def _split(self, table: pa.Table, keys: list[Any]) -> list[pa.Table]:
        hashes = np.fromiter(map(hash, keys), dtype=np.int64, count=len(keys))
        buckets = hashes & (N_BUCKETS - 1)
        order = np.argsort(buckets, kind="stable")
        table = table.take(pa.array(order))
        counts = np.bincount(buckets, minlength=N_BUCKETS)
        parts = []
        start = 0
        for n in counts.tolist():
            parts.append(table.slice(start, n))
            start += n
        return parts

    def add_table(self, table: pa.Table) -> None:
        """Spill a block of rows given as a table (this spool's columns, unordered spools)."""
        if table.num_rows:
            table = table.cast(self.schema)
            if self.ordered:
                seq = np.arange(self.seq, self.seq + table.num_rows, dtype=np.int64)
                self.seq += table.num_rows
                table = table.append_column("_seq", pa.array(seq))
            self._write(self._split(table, table.column(self.bucket_col).to_pylist()))

    def spill(self) -> None:
        if self.rows:
            self._write(self._partition())

    def _write(self, parts: list[pa.Table]) -> None:
        for b, part in enumerate(parts):
            if part.num_rows:
                feather.write_feather(
                    part,
                    self.root / f"{self.name}-b{b:02d}-{self.spills:05d}.arrow",
                    compression="uncompressed",
                )
        self.spills += 1

    def buckets(self) -> Iterable[pa.Table]:
        """Exactly ``N_BUCKETS`` tables (some may be empty); equal bucket keys share a table,
        and spools bucketed on the same ids put them in the same bucket number."""
        if self.spills == 0:
            yield from self._partition()
            return
        self.spill()
        empty = self._table([])
        for b in range(N_BUCKETS):
            files = sorted(self.root.glob(f"{self.name}-b{b:02d}-*.arrow"))
            if not files:
                yield empty
                continue
            table = pa.concat_tables(feather.read_table(f, memory_map=False) for f in files)
            yield table.sort_by("_seq") if self.ordered else table
            for f in files:
                f.unlink()


_S = pa.string()
_SCHEMAS: Final[dict[str, tuple[pa.Schema, int]]] = {
    "concept": (pa.schema([("id", _S), ("name", _S)]), 0),
    "term": (
        pa.schema(
            [
                ("norm", _S),
                ("cid", _S),
                ("text", _S),
                ("source", _S),
                ("tty", _S),
                ("preferred", pa.bool_()),
            ]
        ),
        0,
    ),
    "hastype": (pa.schema([("cid", _S), ("tui", _S)]), 0),
    "isa": (pa.schema([("child", _S), ("parent", _S), ("source", _S)]), 0),
    "xref": (pa.schema([("key", _S), ("cid", _S), ("db", _S), ("code", _S)]), 0),
}


class _Writer:
    """Appends de-duplicated tables into one Parquet file per target table."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.writers: dict[str, pq.ParquetWriter] = {}
        self.rows: dict[str, int] = {}

    def write(self, name: str, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        writer = self.writers.get(name)
        if writer is None:
            writer = pq.ParquetWriter(
                self.root / f"{name}.parquet", table.schema, compression="none"
            )
            self.writers[name] = writer
        writer.write_table(table)
        self.rows[name] = self.rows.get(name, 0) + table.num_rows

    def close(self) -> dict[str, Path]:
        for w in self.writers.values():
            w.close()
        return {name: self.root / f"{name}.parquet" for name in self.writers}


def _distinct(table: pa.Table, keys: list[str], firsts: list[str], maxes: list[str]) -> pa.Table:
    """Rows distinct on ``keys``; ``firsts`` keep the first-seen value, ``maxes`` the maximum."""
    aggs: list[tuple[str, str]] = [(c, "first") for c in firsts] + [(c, "max") for c in maxes]
    grouped = table.group_by(keys, use_threads=False).aggregate(aggs)
    rename = {f"{c}_first": c for c in firsts} | {f"{c}_max": c for c in maxes}
    return grouped.rename_columns([rename.get(n, n) for n in grouped.column_names])


# --- reading the stream -------------------------------------------------------------------------
@dataclass
class _Collected:
    semtypes: dict[str, tuple[str, str]] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    type_rows: dict[str, int] = field(default_factory=dict)  # tui -> HasType rows read
    records: int = 0
    self_loops: int = 0


def _staging_columns(name: str, t: pa.Table) -> pa.Table:
    """A :class:`TableBlock`'s record-field columns as the rows ``_read_stream`` spools."""
    if name == "term":
        norm = t.column("normalized")
        no_norm = pc.binary_join_element_wise(NO_NORM, t.column("text"), "")
        columns = [pc.if_else(pc.equal(norm, ""), no_norm, norm), t.column("concept_id"),
                   t.column("text"), t.column("source"), t.column("term_type"),
                   t.column("is_preferred")]  # fmt: skip
    elif name == "xref":
        key = pc.binary_join_element_wise(t.column("db"), t.column("code"), ":")
        columns = [key, t.column("concept_id"), t.column("db"), t.column("code")]
    else:  # concept, hastype, isa: the same columns in the same order
        columns = t.columns
    return pa.table(columns, names=_SCHEMAS[name][0].names)


def _read_stream(
    records: Iterable[GraphRecord | TableBlock],
    spools: dict[str, _Spool],
    progress: Progress | None,
) -> _Collected:
    out = _Collected()
    add_concept = spools["concept"].add
    add_term = spools["term"].add
    add_type = spools["hastype"].add
    add_isa = spools["isa"].add
    add_xref = spools["xref"].add
    type_rows = out.type_rows
    n = 0
    next_check = _CHECK_EVERY  # a TableBlock counts as its rows, so n may jump past it
    for rec in cast(Iterable[Any], records):  # dispatched on its exact type below
        n += 1
        kind = type(rec)
        if kind is Term:
            add_term((rec.normalized or NO_NORM + rec.text, rec.concept_id, rec.text,
                      rec.source, rec.term_type, rec.is_preferred))  # fmt: skip
        elif kind is Isa:
            if rec.child == rec.parent:
                out.self_loops += 1
            else:
                add_isa((rec.child, rec.parent, rec.source))
        elif kind is Concept:
            if not rec.id:
                raise GraphError(
                    f"record {n}: a Concept with an empty id ({rec!r})",
                    fix="fix the knowledge source so every concept has an id",
                )
            add_concept((rec.id, rec.preferred_name))
            for tui in rec.semantic_types:
                add_type((rec.id, tui))
                type_rows[tui] = type_rows.get(tui, 0) + 1
        elif kind is HasType:
            add_type((rec.concept_id, rec.tui))
            type_rows[rec.tui] = type_rows.get(rec.tui, 0) + 1
        elif kind is SemanticType:
            out.semtypes.setdefault(rec.tui, (rec.name, rec.group))
        elif kind is Xref:
            add_xref((f"{rec.db}:{rec.code}", rec.concept_id, rec.db, rec.code))
        elif kind is SourceInfo:
            out.sources[rec.name] = rec.version
        elif kind is TableBlock:  # many records of one kind at once
            table = _staging_columns(rec.table_name, rec.table)
            n += table.num_rows - 1
            spools[rec.table_name].add_table(table)
            if rec.table_name == "hastype":
                counts = pc.value_counts(table.column("tui"))
                for tui, k in zip(counts.field("values").to_pylist(),
                                  counts.field("counts").to_pylist(), strict=True):  # fmt: skip
                    type_rows[tui] = type_rows.get(tui, 0) + k
        else:
            raise GraphError(
                f"record {n}: {type(rec).__name__} is not a graph record",
                fix="stream Concept, Term, SemanticType, HasType, Isa, Xref or SourceInfo records",
            )
        if n >= next_check:
            next_check = n + _CHECK_EVERY
            for spool in spools.values():
                if len(spool.rows) >= CHUNK_ROWS:
                    spool.spill()
            if progress is not None:
                progress("read", n)
    out.records = n
    return out


def _stage(spools: dict[str, _Spool], collected: _Collected, out_dir: Path) -> dict[str, Path]:
    """De-duplicate every spool bucket by bucket and write one Parquet file per store table."""
    w = _Writer(out_dir)
    slots: set[str] = set()
    type_counts: dict[str, int] = {}
    bits = {tui: slot_bits(n) for tui, n in collected.type_rows.items()}
    for t, h in zip(spools["concept"].buckets(), spools["hastype"].buckets(), strict=True):
        # Both spools are bucketed by concept id, so a concept's types are in its bucket.
        t = _distinct(t, ["id"], ["name"], [])
        ids = t.column("id").to_pylist()
        ranks = {i: sample_rank(i) for i in ids}
        h = _distinct(h, ["cid", "tui"], [], []).select(["cid", "tui"])
        w.write("HAS_TYPE", h)
        cids = h.column("cid").to_pylist()
        tuis_col = h.column("tui").to_pylist()
        keys = [
            slot_key(tui, ranks[cid] if cid in ranks else sample_rank(cid), bits.get(tui, 0))
            for cid, tui in zip(cids, tuis_col, strict=True)
        ]
        slots.update(keys)
        w.write("IN_SLOT", pa.table({"cid": h.column("cid"), "slot": pa.array(keys, _S)}))
        by_concept: dict[str, list[str]] = {}
        for cid, tui in zip(cids, tuis_col, strict=True):
            by_concept.setdefault(cid, []).append(tui)
            type_counts[tui] = type_counts.get(tui, 0) + 1
        rk = pa.array([ranks[i] for i in ids], type=pa.int64())
        tuis = pa.array([",".join(sorted(by_concept.get(i, ()))) for i in ids], type=_S)
        w.write(
            "Concept",
            pa.table({"id": t.column("id"), "name": t.column("name"), "rk": rk, "tuis": tuis}),
        )
    for t in spools["term"].buckets():
        w.write("Name", _distinct(t, ["norm"], [], []).select(["norm"]))
        terms = _distinct(t, ["cid", "norm", "text", "source", "tty"], [], ["preferred"])
        w.write("HAS_TERM", terms.select(["cid", "norm", "text", "source", "tty", "preferred"]))
    for t in spools["isa"].buckets():
        w.write("ISA", _distinct(t, ["child", "parent", "source"], [], []).select(
            ["child", "parent", "source"]))  # fmt: skip
    for t in spools["xref"].buckets():
        w.write("Code", _distinct(t, ["key"], ["db", "code"], []).select(["key", "db", "code"]))
        w.write("XREF", _distinct(t, ["cid", "key"], [], []).select(["cid", "key"]))
    all_tuis = sorted(set(collected.semtypes) | set(collected.type_rows))
    w.write(
        "SemanticType",
        pa.table(
            {
                "tui": pa.array(all_tuis, _S),
                "name": pa.array([collected.semtypes.get(t, ("", ""))[0] for t in all_tuis], _S),
                "grp": pa.array([collected.semtypes.get(t, ("", ""))[1] for t in all_tuis], _S),
                "n": pa.array([type_counts.get(t, 0) for t in all_tuis], pa.int64()),
                "bits": pa.array([bits.get(t, 0) for t in all_tuis], pa.int64()),
            }
        ),
    )
    w.write("TypeSlot", pa.table({"key": pa.array(sorted(slots), _S)}))
    return w.close()


# Node tables first (relationship COPY needs its end points), then relationships.
_COPY_ORDER: Final = [
    "Concept",
    "SemanticType",
    "TypeSlot",
    "Name",
    "Code",
    "HAS_TERM",
    "HAS_TYPE",
    "IN_SLOT",
    "ISA",
    "XREF",
]


def _copy_warnings(result: Any) -> int:
    """Rows COPY skipped (IGNORE_ERRORS): parsed from its summary message."""
    results = result if isinstance(result, list) else [result]
    dropped = 0
    for r in results:
        for row in r.get_all():
            text = str(row[0])
            if "warnings encountered" in text:
                head = text.split(" warnings encountered")[0].split()
                if head and head[-1].isdigit():
                    dropped += int(head[-1])
    return dropped


def result_rows(result: Any) -> list[Any]:
    """The rows of one statement's result (``execute`` types a list for multi-statement text)."""
    if isinstance(result, list):
        result = result[-1]
    return cast(list[Any], result.get_all())


def _scalar(conn: ladybug.Connection, query: str, params: dict[str, Any] | None = None) -> Any:
    rows = result_rows(conn.execute(query, params or {}))
    return rows[0][0] if rows else None


def read_stats(conn: ladybug.Connection) -> GraphStats:
    """The stats of an open store."""
    return GraphStats(
        concepts=int(_scalar(conn, Q.COUNT_CONCEPTS) or 0),
        terms=int(_scalar(conn, Q.COUNT_TERMS) or 0),
        isa=int(_scalar(conn, Q.COUNT_ISA) or 0),
        semantic_types=int(_scalar(conn, Q.COUNT_SEMANTIC_TYPES) or 0),
        sources={str(n): str(v) for n, v in result_rows(conn.execute(Q.SOURCES))},
    )


# --- the target directory -----------------------------------------------------------------------
def _check_target(target: Path) -> None:
    if target.exists() and not target.is_dir():
        raise GraphError(
            "the store path exists and is not a directory",
            path=str(target),
            fix="pass a directory path for --store (it is created if missing)",
        )
    if target.is_dir() and any(target.iterdir()) and not (target / DB_FILE).exists():
        raise GraphError(
            "the folder exists, is not empty and is not a hilgen graph store; refusing to "
            "replace it",
            path=str(target),
            fix="pass an empty or new folder for --store",
        )


def build_store(
    records: Iterable[GraphRecord],
    target: str | Path,
    *,
    progress: Progress | None = None,
) -> LoadReport:
    """Bulk-load ``records`` into a new embedded store at ``target`` (replacing any old store).

    Raises :class:`GraphError` for a target that is not a store folder, or a bad record.
    """
    started = time.perf_counter()
    target = Path(target).expanduser().absolute()
    target.parent.mkdir(parents=True, exist_ok=True)
    swap.recover(target)  # finish or undo what a killed earlier load left here
    _check_target(target)
    build = swap.sibling(target, swap.LOADING)
    if build.exists():
        shutil.rmtree(build)
    staging = build / "staging"
    staging.mkdir(parents=True)
    try:
        spools = {
            name: _Spool(name, schema, col, staging, ordered=name == "concept")
            for name, (schema, col) in _SCHEMAS.items()
        }
        columnar = getattr(records, "columnar_records", None)  # e.g. UmlsSource: faster
        stream = columnar() if callable(columnar) else records
        collected = _read_stream(stream, spools, progress)
        if not (spools["concept"].rows or spools["concept"].spills or collected.semtypes):
            raise GraphError(
                f"the source gave no concepts and no semantic types ({collected.records} "
                "records read); an empty store would replace the one here, so nothing was "
                "loaded",
                path=str(target),
                fix="check the source files (an empty or truncated MRCONSO.RRF, a filter such "
                "as --sab that keeps nothing); the existing store, if any, is unchanged",
            )
        if progress is not None:
            progress("dedup", collected.records)
        final = staging / "final"
        final.mkdir()
        files = _stage(spools, collected, final)
        if progress is not None:
            progress("copy", collected.records)
        try:
            stats, dropped = _copy_into_new_db(build / DB_FILE, files, collected)
        except RuntimeError as err:  # the engine's errors: translate at the boundary
            raise GraphError(
                f"the bulk copy into the embedded store failed: {err}",
                path=str(target),
                fix="check free disk space and the records of the source; nothing was replaced",
            ) from err
        shutil.rmtree(staging)
        swap.swap_into_place(build, target)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    if progress is not None:
        progress("done", collected.records)
    return LoadReport(
        stats=stats,
        records=collected.records,
        seconds=time.perf_counter() - started,
        dropped=dropped,
        path=str(target),
    )


def _copy_into_new_db(
    db_file: Path, files: dict[str, Path], collected: _Collected
) -> tuple[GraphStats, dict[str, int]]:
    """Create the schema, COPY every staged table, write sources and (last) the marker."""
    db = ladybug.Database(str(db_file))
    try:
        conn = ladybug.Connection(db)
        for ddl in [*Q.NODE_TABLES.values(), *Q.REL_TABLES.values()]:
            conn.execute(ddl)
        dropped: dict[str, int] = {}
        for table in _COPY_ORDER:
            if table in files:
                ignore = table in Q.REL_TABLES
                result = conn.execute(Q.copy_from(table, str(files[table]), ignore_errors=ignore))
                if ignore:
                    skipped = _copy_warnings(result)
                    if skipped:
                        dropped[table] = skipped
        if collected.self_loops:
            dropped["ISA (self loops)"] = collected.self_loops
        for name, version in sorted(collected.sources.items()):
            conn.execute(Q.SOURCE_PUT, {"name": name, "version": version})
        stats = read_stats(conn)
        conn.execute(
            Q.META_PUT,
            {"key": "loaded_at", "value": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
        )
        # The marker goes in last: a store without it never reads as complete.
        conn.execute(Q.META_PUT, {"key": "schema", "value": Q.SCHEMA_VERSION})
        conn.close()
    finally:
        db.close()
    return stats, dropped
