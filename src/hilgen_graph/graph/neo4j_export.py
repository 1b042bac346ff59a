"""Export a record stream as the CSV files of ``neo4j-admin database import full``.

For UMLS-size graphs the batched ``UNWIND`` load is too slow; Neo4j's offline importer reads
node and relationship CSV files with typed headers instead. The files written here hold the
Neo4j store's schema (:mod:`hilgen_graph.graph.neo4j_queries`), including the schema marker, so
:class:`~hilgen_graph.graph.neo4j_store.Neo4jStore` reads the imported database directly (after
``Neo4jStore.ensure_schema()`` has created its constraints and indexes).

Layout (one file per label or relationship type, header on the first line)::

    nodes_concept.csv        id:ID(Concept),name,rk:long,:LABEL
    nodes_text.csv           text:ID(Text),norm,:LABEL
    nodes_name.csv           norm:ID(Name),:LABEL
    nodes_semantic_type.csv  tui:ID(SemanticType),name,grp,:LABEL
    nodes_code.csv           key:ID(Code),db,code,:LABEL
    nodes_source.csv         name:ID(Source),version,:LABEL
    nodes_meta.csv           key:ID(Meta),value,:LABEL
    rels_isa.csv             :START_ID(Concept),:END_ID(Concept),source,:TYPE
    rels_has_term.csv        :START_ID(Concept),:END_ID(Text),source,tty,preferred:boolean,:TYPE
    rels_norm_of.csv         :START_ID(Name),:END_ID(Concept),:TYPE
    rels_has_type.csv        :START_ID(Concept),:END_ID(SemanticType),tui,rk:long,:TYPE
    rels_xref.csv            :START_ID(Concept),:END_ID(Code),:TYPE

Streaming: memory does not grow with the input. Rows of one concept that arrive together (as
every source streams them) are de-duplicated exactly, with the store's rules (a term is distinct
on (concept, text, source, term type) and preferred if any copy is); the same text, name or code
reached from different concepts is written once per concept and merged by the importer's
``--skip-duplicate-nodes``, and edges to concepts that never arrive are dropped by
``--skip-bad-relationships``: the command in :attr:`ExportStats.command` passes both, and is also
written to ``import.args`` for ``neo4j-admin database import full @import.args neo4j``.

Quoting is RFC 4180 (quotes doubled, backslashes literal: the importer's default
``--legacy-style-quoting=false``). An empty string is written as an empty field, which the
importer stores as an absent property; the store reads an absent property as ``""``.
"""

from __future__ import annotations

import csv
import os
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from hilgen_graph.errors import GraphError
from hilgen_graph.graph import neo4j_queries as Q
from hilgen_graph.graph.records import (
    Concept,
    GraphRecord,
    HasType,
    Isa,
    SemanticType,
    SourceInfo,
    Term,
    Xref,
)
from hilgen_graph.graph.store import sample_rank

# file stem -> (header, label or relationship type)
NODE_FILES: Final[dict[str, tuple[tuple[str, ...], str]]] = {
    "nodes_concept": (("id:ID(Concept)", "name", "rk:long", ":LABEL"), "Concept"),
    "nodes_text": (("text:ID(Text)", "norm", ":LABEL"), "Text"),
    "nodes_name": (("norm:ID(Name)", ":LABEL"), "Name"),
    "nodes_semantic_type": (
        ("tui:ID(SemanticType)", "name", "grp", ":LABEL"),
        "SemanticType",
    ),
    "nodes_code": (("key:ID(Code)", "db", "code", ":LABEL"), "Code"),
    "nodes_source": (("name:ID(Source)", "version", ":LABEL"), "Source"),
    "nodes_meta": (("key:ID(Meta)", "value", ":LABEL"), "Meta"),
}
REL_FILES: Final[dict[str, tuple[tuple[str, ...], str]]] = {
    "rels_isa": ((":START_ID(Concept)", ":END_ID(Concept)", "source", ":TYPE"), "ISA"),
    "rels_has_term": (
        (":START_ID(Concept)", ":END_ID(Text)", "source", "tty", "preferred:boolean", ":TYPE"),
        "HAS_TERM",
    ),
    "rels_norm_of": ((":START_ID(Name)", ":END_ID(Concept)", ":TYPE"), "NORM_OF"),
    "rels_has_type": (
        (":START_ID(Concept)", ":END_ID(SemanticType)", "tui", "rk:long", ":TYPE"),
        "HAS_TYPE",
    ),
    "rels_xref": ((":START_ID(Concept)", ":END_ID(Code)", ":TYPE"), "XREF"),
}
ARGS_FILE: Final = "import.args"
_BUFFER_BYTES: Final = 1 << 20
_PROGRESS_EVERY: Final = 1 << 16

ExportProgress = Callable[[int], None]
"""Called with the number of records read so far (every 65,536 records and at the end)."""


@dataclass(frozen=True, slots=True)
class ExportStats:
    """What :func:`export_admin_csv` wrote."""

    out_dir: Path
    records: int  # records read from the stream
    rows: dict[str, int]  # file stem -> data rows written (header excluded)
    seconds: float
    dropped: dict[str, int] = field(default_factory=dict)  # e.g. {"ISA (self loops)": 3}
    multiline_fields: bool = False  # some value holds a line break
    command: tuple[str, ...] = ()  # the neo4j-admin command (paths relative to out_dir)

    @property
    def rows_written(self) -> int:
        return sum(self.rows.values())

    @property
    def rows_per_second(self) -> float:
        return self.rows_written / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "out_dir": str(self.out_dir),
            "records": self.records,
            "rows": dict(self.rows),
            "rows_written": self.rows_written,
            "seconds": round(self.seconds, 3),
            "rows_per_second": round(self.rows_per_second),
            "dropped": dict(self.dropped),
            "multiline_fields": self.multiline_fields,
            "command": list(self.command),
        }


def import_options(multiline_fields: bool = False) -> list[str]:
    """The importer's options for the files of this module (paths relative to their folder)."""
    options = [f"--nodes={stem}.csv" for stem in NODE_FILES]
    options += [f"--relationships={stem}.csv" for stem in REL_FILES]
    options += [
        "--skip-duplicate-nodes=true",
        "--skip-bad-relationships=true",
        "--skip-bad-entries-logging=true",
        "--bad-tolerance=-1",
    ]
    if multiline_fields:
        options.append("--multiline-fields=true")
    return options


def import_command(multiline_fields: bool = False, database: str = "neo4j") -> list[str]:
    """The whole ``neo4j-admin database import full`` command line, run inside the folder."""
    return [
        "neo4j-admin",
        "database",
        "import",
        "full",
        *import_options(multiline_fields),
        database,
    ]


class _Files:
    """One open CSV writer per output file, in a staging folder."""

    def __init__(self, staging: Path) -> None:
        self.staging = staging
        self.handles: dict[str, Any] = {}
        self.writers: dict[str, Any] = {}
        self.rows: dict[str, int] = {}
        for stem, (header, _) in {**NODE_FILES, **REL_FILES}.items():
            fh = open(  # noqa: SIM115 - closed in close()
                staging / f"{stem}.csv", "w", encoding="utf-8", newline="", buffering=_BUFFER_BYTES
            )
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(header)
            self.handles[stem] = fh
            self.writers[stem] = writer

    def close(self) -> None:
        for fh in self.handles.values():
            fh.close()


def export_admin_csv(
    records: Iterable[GraphRecord],
    out_dir: str | Path,
    *,
    progress: ExportProgress | None = None,
) -> ExportStats:
    """Write ``records`` as ``neo4j-admin database import full`` CSV files into ``out_dir``.

    The files are written in a staging folder beside them and moved into ``out_dir`` only when
    the stream has been read completely, so an interrupted export leaves no partial file set.
    Raises :class:`GraphError` for an unusable ``out_dir`` or a record that is not a graph record.
    """
    started = time.perf_counter()
    out = Path(out_dir).expanduser().absolute()
    if out.exists() and not out.is_dir():
        raise GraphError(
            "the export path exists and is not a folder",
            path=str(out),
            fix="pass a folder for --out (it is created if missing)",
        )
    out.mkdir(parents=True, exist_ok=True)
    staging = out / f".export-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    try:
        files = _Files(staging)
        try:
            state = _write_stream(records, files, progress)
        finally:
            files.close()
        rows = _write_small_files(staging, state)
        rows.update(state.rows)
        multiline = state.multiline
        (staging / ARGS_FILE).write_text(
            "\n".join(import_options(multiline)) + "\n", encoding="utf-8"
        )
        for entry in sorted(staging.iterdir()):
            os.replace(entry, out / entry.name)
        staging.rmdir()
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    dropped = {"ISA (self loops)": state.self_loops} if state.self_loops else {}
    return ExportStats(
        out_dir=out,
        records=state.records,
        rows={stem: rows.get(stem, 0) for stem in (*NODE_FILES, *REL_FILES)},
        seconds=time.perf_counter() - started,
        dropped=dropped,
        multiline_fields=multiline,
        command=tuple(import_command(multiline)),
    )


@dataclass
class _State:
    records: int = 0
    self_loops: int = 0
    multiline: bool = False
    rows: dict[str, int] = field(default_factory=dict)
    semtypes: dict[str, tuple[str, str]] = field(default_factory=dict)
    tuis_seen: set[str] = field(default_factory=set)
    sources: dict[str, str] = field(default_factory=dict)


def _write_stream(
    records: Iterable[GraphRecord], files: _Files, progress: ExportProgress | None
) -> _State:
    """The hot loop: one pass over the stream, rows written as they come.

    Rows of the concept whose records are arriving are held in small per-concept windows
    (terms, types, xrefs) and written when another concept's rows begin, so repeats within a
    concept collapse exactly as in the store.
    """
    st = _State()
    w = files.writers
    concept_row = w["nodes_concept"].writerow
    text_row = w["nodes_text"].writerow
    name_row = w["nodes_name"].writerow
    code_row = w["nodes_code"].writerow
    isa_row = w["rels_isa"].writerow
    has_term_row = w["rels_has_term"].writerow
    norm_of_row = w["rels_norm_of"].writerow
    has_type_row = w["rels_has_type"].writerow
    xref_row = w["rels_xref"].writerow
    n_concept = n_text = n_name = n_code = n_isa = n_term = n_norm = n_type = n_xref = 0
    tuis_seen = st.tuis_seen
    # per-concept windows
    term_cid: str | None = None
    terms: dict[tuple[str, str, str], list[Any]] = {}  # (text, source, tty) -> [norm, preferred]
    type_cid: str | None = None
    types: set[str] = set()
    xref_cid: str | None = None
    xrefs: set[str] = set()
    multiline = False

    def flush_terms() -> None:
        nonlocal n_text, n_name, n_term, n_norm
        norms: set[str] = set()
        texts: set[str] = set()
        for (text, source, tty), (norm, preferred) in terms.items():
            if text not in texts:
                texts.add(text)
                text_row((text, norm, "Text"))
                n_text += 1
            has_term_row((term_cid, text, source, tty, "true" if preferred else "false",
                          "HAS_TERM"))  # fmt: skip
            n_term += 1
            if norm and norm not in norms:
                norms.add(norm)
                name_row((norm, "Name"))
                norm_of_row((norm, term_cid, "NORM_OF"))
                n_name += 1
                n_norm += 1
        terms.clear()

    n = 0
    for rec in records:
        n += 1
        kind = type(rec)
        if kind is Term:
            cid = rec.concept_id  # type: ignore[union-attr]
            if cid != term_cid:
                if terms:
                    flush_terms()
                term_cid = cid
            text = rec.text  # type: ignore[union-attr]
            key = (text, rec.source, rec.term_type)  # type: ignore[union-attr]
            held = terms.get(key)
            if held is None:
                terms[key] = [rec.normalized, rec.is_preferred]  # type: ignore[union-attr]
                if "\n" in text or "\r" in text:
                    multiline = True
            elif rec.is_preferred:  # type: ignore[union-attr]
                held[1] = True
        elif kind is Isa:
            child = rec.child  # type: ignore[union-attr]
            parent = rec.parent  # type: ignore[union-attr]
            if child == parent:
                st.self_loops += 1
            else:
                isa_row((child, parent, rec.source, "ISA"))  # type: ignore[union-attr]
                n_isa += 1
        elif kind is Concept:
            cid = rec.id  # type: ignore[union-attr]
            if not cid:
                raise GraphError(
                    f"record {n}: a Concept with an empty id ({rec!r})",
                    fix="fix the knowledge source so every concept has an id",
                )
            name = rec.preferred_name  # type: ignore[union-attr]
            if "\n" in name or "\r" in name:
                multiline = True
            rk = sample_rank(cid)
            concept_row((cid, name, rk, "Concept"))
            n_concept += 1
            tuis = rec.semantic_types  # type: ignore[union-attr]
            if tuis:
                if cid != type_cid:
                    type_cid = cid
                    types.clear()
                for tui in tuis:
                    if tui not in types:
                        types.add(tui)
                        tuis_seen.add(tui)
                        has_type_row((cid, tui, tui, rk, "HAS_TYPE"))
                        n_type += 1
        elif kind is HasType:
            cid = rec.concept_id  # type: ignore[union-attr]
            tui = rec.tui  # type: ignore[union-attr]
            if cid != type_cid:
                type_cid = cid
                types.clear()
            if tui not in types:
                types.add(tui)
                tuis_seen.add(tui)
                has_type_row((cid, tui, tui, sample_rank(cid), "HAS_TYPE"))
                n_type += 1
        elif kind is SemanticType:
            st.semtypes.setdefault(rec.tui, (rec.name, rec.group))  # type: ignore[union-attr]
        elif kind is Xref:
            cid = rec.concept_id  # type: ignore[union-attr]
            code_key = f"{rec.db}:{rec.code}"  # type: ignore[union-attr]
            if cid != xref_cid:
                xref_cid = cid
                xrefs.clear()
            if code_key not in xrefs:
                xrefs.add(code_key)
                code_row((code_key, rec.db, rec.code, "Code"))  # type: ignore[union-attr]
                xref_row((cid, code_key, "XREF"))
                n_code += 1
                n_xref += 1
        elif kind is SourceInfo:
            st.sources[rec.name] = rec.version  # type: ignore[union-attr]
        else:
            raise GraphError(
                f"record {n}: {type(rec).__name__} is not a graph record",
                fix="stream Concept, Term, SemanticType, HasType, Isa, Xref or SourceInfo records",
            )
        if progress is not None and n % _PROGRESS_EVERY == 0:
            progress(n)
    if terms:
        flush_terms()
    if progress is not None:
        progress(n)
    st.records = n
    st.multiline = multiline
    st.rows = {
        "nodes_concept": n_concept,
        "nodes_text": n_text,
        "nodes_name": n_name,
        "nodes_code": n_code,
        "rels_isa": n_isa,
        "rels_has_term": n_term,
        "rels_norm_of": n_norm,
        "rels_has_type": n_type,
        "rels_xref": n_xref,
    }
    return st


def _write_small_files(staging: Path, st: _State) -> dict[str, int]:
    """Semantic types, sources and the meta nodes (schema marker included), known at the end."""

    def write(stem: str, rows: list[tuple[object, ...]]) -> None:
        header = NODE_FILES[stem][0]
        with open(staging / f"{stem}.csv", "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)

    tuis = sorted(set(st.semtypes) | st.tuis_seen)
    semtype_rows = [(t, *st.semtypes.get(t, ("", "")), "SemanticType") for t in tuis]
    source_rows = [(name, version, "Source") for name, version in sorted(st.sources.items())]
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    meta_rows = [
        ("loaded_at", stamp, "Meta"),
        ("loaded_by", "neo4j-admin import of hilgen graph export-neo4j-csv", "Meta"),
        ("schema", Q.SCHEMA_VERSION, "Meta"),
    ]
    write("nodes_semantic_type", list(semtype_rows))
    write("nodes_source", list(source_rows))
    write("nodes_meta", list(meta_rows))
    return {
        "nodes_semantic_type": len(semtype_rows),
        "nodes_source": len(source_rows),
        "nodes_meta": len(meta_rows),
    }
