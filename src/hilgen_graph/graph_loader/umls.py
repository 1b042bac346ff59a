"""The UMLS source: a local licensed release (RRF files) streamed as graph records.

The filters and the preferred-name rule are stated once, here, as named constants:

* ``DEFAULT_LANGUAGES``: MRCONSO rows kept by ``LAT`` (English only by default);
* ``DEFAULT_SUPPRESS``: ``SUPPRESS`` flags whose rows are dropped (obsolete ``O``, suppressed by
  the editors ``E``, suppressed by the source ``Y``);
* ``sab``: the source vocabularies kept (all when not given), checked against MRSAB;
* ``PREFERRED_RULE``: the concept's name is the first row with ``TS=P``, ``STT=PF`` and
  ``ISPREF=Y``; a concept with no such row is named by its first kept row.

Memory stays flat in the size of MRCONSO: real releases sort MRCONSO by CUI, so rows are
aggregated one CUI at a time; MRSTY, MRREL and MRHIER are streamed. What is kept is one entry per
loaded concept (to drop relations whose ends were not loaded) and one per is-a edge (to drop the
duplicate that MRREL carries for both directions). ``hierarchy="mrhier"`` additionally keeps a
compact AUI -> CUI table of the kept atoms (16 bytes per atom) to resolve MRHIER's parent AUIs.

MRREL's direction: in ``CUI1 REL CUI2`` the relation is that of CUI2 to CUI1, so ``REL=PAR``
means CUI2 is a parent of CUI1 and ``REL=CHD`` that CUI2 is a child of CUI1. ``RELA`` reads the
same way: ``isa`` (found on CHD rows) means CUI2 is-a CUI1, ``inverse_isa`` (on PAR rows) means
CUI1 is-a CUI2. ``REL`` decides when it is PAR/CHD; ``RELA`` decides for other ``REL`` values.

``columnar_records()`` (what the embedded bulk load asks for) gives the same content with
MRCONSO, MRSTY and MRREL read by pyarrow in blocks of whole concepts, as ``TableBlock`` tables;
from a block it cannot take (a bad row, unsorted CUIs) it goes on with the streaming readers.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hilgen_graph.errors import DataMissingError, GraphError
from hilgen_graph.graph.normalize import normalize, normalize_array
from hilgen_graph.graph.records import (
    Concept,
    GraphRecord,
    HasType,
    Isa,
    SemanticType,
    SourceInfo,
    TableBlock,
    Term,
    Xref,
)
from hilgen_graph.graph_loader.report import SkippedRow, SourceReport
from hilgen_graph.graph_loader.rrf import (
    NotColumnar,
    RrfLayout,
    RrfReader,
    has_rows,
    iter_lines,
    read_blocks,
    read_layout,
)
from hilgen_graph.graph_loader.semantic_network import load_semantic_network

# --- filters and rules (the one place they are stated) ---------------------------------------
DEFAULT_LANGUAGES: tuple[str, ...] = ("ENG",)
DEFAULT_SUPPRESS: tuple[str, ...] = ("O", "E", "Y")
DEFAULT_SABS: tuple[str, ...] | None = None  # None: every source vocabulary in the release
# A row names its concept when TS, STT and ISPREF have these values (first such row wins).
PREFERRED_RULE: dict[str, str] = {"TS": "P", "STT": "PF", "ISPREF": "Y"}
# MRREL rows that are is-a edges: REL values, then RELA values for other REL values.
PARENT_REL = "PAR"  # CUI2 is a parent of CUI1
CHILD_REL = "CHD"  # CUI2 is a child of CUI1
PARENT_RELA = "inverse_isa"  # CUI2 is a parent of CUI1
CHILD_RELA = "isa"  # CUI2 is-a CUI1
# Codes of these source vocabularies become Xref(cui, SAB, CODE) records (linking MeSH ids etc.).
DEFAULT_XREF_SABS: tuple[str, ...] = ("MSH", "SNOMEDCT_US")
NO_CODE = frozenset({"", "NOCODE"})
# Where the is-a hierarchy comes from.
HIERARCHY_MODES: tuple[str, ...] = ("mrrel", "mrhier", "both", "none")
DEFAULT_HIERARCHY = "mrrel"
UMLS_SOURCE_NAME = "UMLS"
COLUMNAR_BLOCK_BYTES = 1 << 26  # block size of columnar_records()' reading (64 MiB of text)


def parse_list(value: str | Iterable[str] | None) -> tuple[str, ...] | None:
    """``"SNOMEDCT_US,MSH"`` or ``["SNOMEDCT_US", "MSH"]`` -> a tuple; None/empty -> None."""
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else list(value)
    cleaned = tuple(dict.fromkeys(s.strip() for s in items if s and s.strip()))
    return cleaned or None


class _EdgeSet:
    """Seen is-a edges, each as one ``child NUL parent NUL sab`` string (a tuple when an id
    itself holds a NUL, so distinct edges never share a key)."""

    def __init__(self) -> None:
        self.keys: set[str | tuple[str, str, str]] = set()
        self.count = 0

    def add(self, child: str, parent: str, sab: str) -> bool:
        """Add the edge; False when it was already there."""
        joined = f"{child}\x00{parent}\x00{sab}"
        key = joined if joined.count("\x00") == 2 else (child, parent, sab)
        if key in self.keys:
            return False
        self.keys.add(key)
        return True

    def add_joined(self, keys: list[str]) -> list[bool]:
        """:meth:`add` for keys already joined (ids free of NUL); counts the new ones."""
        seen, add = self.keys, self.keys.add
        new = [k not in seen and (add(k) or True) for k in keys]
        self.count += sum(new)
        return new


class _AuiTable:
    """AUI -> CUI for kept atoms, as two int64 arrays (sorted on first lookup)."""

    def __init__(self) -> None:
        self._auis = array("q")
        self._cuis = array("q")
        self._other: dict[str, str] = {}
        self._sorted: tuple[object, object] | None = None

    def add(self, aui: str, cui: str) -> None:
        key = _aui_key(aui)
        if key is not None and len(cui) == 8 and cui[0] == "C" and cui[1:].isdigit():
            self._auis.append(key)
            self._cuis.append(int(cui[1:]))
        elif aui:
            self._other[aui] = cui

    def get(self, aui: str) -> str | None:
        import numpy as np

        if self._sorted is None:
            auis = np.frombuffer(self._auis, dtype=np.int64) if self._auis else np.zeros(0, "i8")
            cuis = np.frombuffer(self._cuis, dtype=np.int64) if self._cuis else np.zeros(0, "i8")
            order = np.argsort(auis, kind="stable")
            self._sorted = (auis[order], cuis[order])
        key = _aui_key(aui)
        if key is None:
            return self._other.get(aui)
        keys, values = self._sorted
        pos = int(np.searchsorted(keys, key))  # type: ignore[call-overload]
        if pos < len(keys) and int(keys[pos]) == key:  # type: ignore[arg-type,index]
            return f"C{int(values[pos]):07d}"  # type: ignore[index]
        return self._other.get(aui)


def _aui_key(aui: str) -> int | None:
    """``A0016515`` -> a unique int (number and digit count), or None for other shapes."""
    num = aui[1:]
    if aui[:1] == "A" and 0 < len(num) < 16 and num.isascii() and num.isdigit():
        return int(num) << 4 | len(num)
    return None


class UmlsSource:
    """Stream a UMLS release (``umls_dir`` = its META folder) as graph records.

    Order: ``SourceInfo`` (UMLS, then each kept SAB with its MRSAB version; without MRSAB only
    UMLS, as the SABs are known only after MRCONSO), the semantic types, per concept its
    ``Concept``, ``Term`` and ``Xref`` records, then ``HasType`` (MRSTY), then ``Isa``.
    ``report`` (a :class:`SourceReport`) holds the skipped rows and dropped relations once the
    iterator is exhausted; ``skipped`` is its list of skipped rows.
    """

    name = "umls"

    def __init__(
        self,
        umls_dir: Path | str,
        *,
        sab: str | Sequence[str] | None = DEFAULT_SABS,
        languages: str | Sequence[str] | None = DEFAULT_LANGUAGES,
        suppress: str | Sequence[str] | None = DEFAULT_SUPPRESS,
        hierarchy: str = DEFAULT_HIERARCHY,
        xref_sabs: str | Sequence[str] | None = DEFAULT_XREF_SABS,
        skip_bad_rows: bool = False,
        semantic_network: Path | str | None | bool = True,
    ) -> None:
        if hierarchy not in HIERARCHY_MODES:
            raise GraphError(
                f"unknown hierarchy mode {hierarchy!r}; allowed: {', '.join(HIERARCHY_MODES)}"
            )
        self.layout: RrfLayout = read_layout(umls_dir)
        self.sabs = parse_list(sab)
        self.languages = parse_list(languages)  # None: every language
        self.suppress = frozenset(parse_list(suppress) or ())
        self.hierarchy = hierarchy
        self.xref_sabs = frozenset(parse_list(xref_sabs) or ())
        self.skip_bad_rows = skip_bad_rows
        self.semantic_network = semantic_network
        self.report = SourceReport(self.name)
        self._counts = [0, 0, 0]
        for name, why in (
            ("MRCONSO.RRF", "for concept names"),
            ("MRSTY.RRF", "for semantic types"),
        ):
            self._require_rows(self.layout.require(name, why))
        if hierarchy in ("mrrel", "both"):
            self._require_rows(
                self.layout.require(
                    "MRREL.RRF",
                    "for the is-a hierarchy (from Python, UmlsSource(hierarchy='mrhier') reads "
                    "MRHIER.RRF instead and hierarchy='none' loads no hierarchy)",
                )
            )
        if hierarchy in ("mrhier", "both"):
            self._require_rows(self.layout.require("MRHIER.RRF", "for hierarchy='mrhier'"))
        mrsab = self.layout.find("MRSAB.RRF")
        if mrsab is not None:
            self._require_rows(mrsab)
        self.source_versions = self._read_mrsab()
        self._metadata_skipped = list(self.report.skipped)  # bad MRSAB rows, kept per run
        self.release = self._read_release()
        self._check_sabs()

    @property
    def skipped(self) -> list[SkippedRow]:
        return self.report.skipped

    @staticmethod
    def _require_rows(path: Path) -> None:
        """An empty MRCONSO, MRSTY, MRSAB or MRREL is a broken release, not an empty graph."""
        if not has_rows(path):
            raise GraphError(
                f"{path.name} is empty",
                path=str(path),
                fix="copy or extract the release again (the file may have been truncated); "
                "nothing was loaded and no existing store was replaced",
            )

    # --- metadata ----------------------------------------------------------------------------
    def _read_mrsab(self) -> dict[str, str] | None:
        """RSAB -> SVER for current versions (CURVER=Y), or None when MRSAB is absent."""
        path = self.layout.find("MRSAB.RRF")
        if path is None:
            return None
        reader = RrfReader(path, self.layout.columns_of("MRSAB.RRF"), self._skip_list())
        i_rsab, i_sver, i_cur = reader.col("RSAB"), reader.col("SVER"), reader.col("CURVER")
        versions: dict[str, str] = {}
        for _, f in reader.rows():
            if f[i_cur] in ("Y", "") or f[i_rsab] not in versions:
                versions[f[i_rsab]] = f[i_sver]
        return versions

    def _read_release(self) -> str:
        meta = self.layout.meta_dir
        for candidate in (meta / "release.dat", meta.parent / "release.dat"):
            if candidate.is_file():
                for _, line in iter_lines(candidate):
                    if line.startswith("umls.release.name="):
                        return line.split("=", 1)[1].strip()
        match = re.search(r"\d{4}A[A-Z]", str(meta))
        return match.group(0) if match else "unknown"

    def _check_sabs(self) -> None:
        if self.sabs is None or self.source_versions is None:
            return  # without MRSAB, unknown SABs are reported after reading MRCONSO
        unknown = [s for s in self.sabs if s not in self.source_versions]
        if unknown:
            raise GraphError(
                f"unknown source abbreviation(s) {', '.join(unknown)}; MRSAB.RRF lists: "
                f"{', '.join(sorted(self.source_versions))}",
                path=str(self.layout.find("MRSAB.RRF")),
                fix="pass SABs from that list (e.g. --sab SNOMEDCT_US,MSH)",
            )

    def _skip_list(self) -> list[SkippedRow] | None:
        return self.report.skipped if self.skip_bad_rows else None

    # --- streaming ---------------------------------------------------------------------------
    def __iter__(self) -> Iterator[GraphRecord]:
        return self._records(columnar=False)  # type: ignore[return-value]

    def columnar_records(self) -> Iterator[GraphRecord | TableBlock]:
        """The same stream, with MRSTY's ``HasType`` and MRREL's ``Isa`` records as
        :class:`TableBlock` tables (read with pyarrow, in blocks): for the embedded bulk load."""
        return self._records(columnar=True)

    def _records(self, columnar: bool) -> Iterator[GraphRecord | TableBlock]:
        self.report = SourceReport(self.name)
        self.report.skipped.extend(self._metadata_skipped)
        yield SourceInfo(UMLS_SOURCE_NAME, self.release)
        if self.source_versions is not None:
            kept = self.sabs if self.sabs is not None else tuple(sorted(self.source_versions))
            for sab in kept:
                yield SourceInfo(sab, self.source_versions[sab])
        known_tuis: set[str] = set()
        yield from self._semantic_types(known_tuis)
        concept_ids: set[str] = set()
        self._counts = [0, 0, 0]  # concepts, terms, xrefs
        atoms = _AuiTable() if self.hierarchy in ("mrhier", "both") else None
        seen_sabs: set[str] = set()
        if columnar and atoms is None:
            yield from self._concepts_columnar(concept_ids, seen_sabs)
        else:
            yield from self._concepts(concept_ids, atoms, seen_sabs)
        for kind, n in zip(("concept", "term", "xref"), self._counts, strict=True):
            self.report.count(kind, n)
        if self.source_versions is None and self.sabs is not None:
            unknown = [s for s in self.sabs if s not in seen_sabs]
            if unknown:
                raise GraphError(
                    f"unknown source abbreviation(s) {', '.join(unknown)}; MRCONSO.RRF has "
                    f"rows of: {', '.join(sorted(seen_sabs)) or '(none)'}",
                    path=str(self.layout.find("MRCONSO.RRF")),
                    fix="pass SABs from that list",
                )
        if columnar:
            yield from self._has_types_columnar(concept_ids, known_tuis)
        else:
            yield from self._has_types(concept_ids, known_tuis)
        edges = _EdgeSet()
        if self.hierarchy in ("mrrel", "both"):
            if columnar:
                yield from self._mrrel_columnar(concept_ids, edges)
            else:
                yield from self._mrrel(concept_ids, edges)
        if atoms is not None:
            yield from self._mrhier(concept_ids, edges, atoms)
        self.report.count("isa", edges.count)

    def _semantic_types(self, known: set[str]) -> Iterator[SemanticType]:
        if self.semantic_network is False:
            return
        path = None if self.semantic_network is True else Path(str(self.semantic_network))
        try:
            net = load_semantic_network(path)
        except DataMissingError:
            if path is not None:
                raise
            return  # types then come from MRSTY's TUI/STY columns, without groups
        for sem_type in net.types:
            known.add(sem_type.tui)
            self.report.count("semantic_type")
            yield sem_type

    def _concepts_columnar(
        self, concept_ids: set[str], seen_sabs: set[str]
    ) -> Iterator[GraphRecord | TableBlock]:
        """:meth:`_concepts` on pyarrow blocks (a block's last CUI waits for the next block);
        from a block it cannot take, streamed."""
        path = self.layout.require("MRCONSO.RRF", "for concept names")
        columns = self.layout.columns_of("MRCONSO.RRF")
        wanted = ("CUI", "LAT", "TS", "STT", "ISPREF", "SAB", "TTY", "CODE", "STR", "SUPPRESS")
        done = 0  # rows handed on (the held back rows are not)
        held: pa.Table | None = None
        try:
            for block in read_blocks(path, columns, wanted, COLUMNAR_BLOCK_BYTES):
                if held is not None:
                    block = pa.concat_tables([held, block])
                block = block.combine_chunks()
                codes = pc.dictionary_encode(block.column("CUI").chunk(0)).indices.to_numpy()
                last = int(np.flatnonzero(np.diff(codes, prepend=-1))[-1])
                held = block.slice(last)
                yield from self._concept_block(block.slice(0, last), concept_ids, seen_sabs)
                done += last
            if held is not None:
                yield from self._concept_block(held, concept_ids, seen_sabs)
        except NotColumnar:
            yield from self._concepts(concept_ids, None, seen_sabs, skip_rows=done)

    def _concept_block(
        self, block: pa.Table, concept_ids: set[str], seen_sabs: set[str]
    ) -> list[TableBlock]:
        """Concept, Term and Xref tables of whole concepts' rows, as :meth:`_emit_concept`
        makes them; :class:`NotColumnar` when the CUIs are not in runs of new ones."""
        if block.num_rows == 0:
            return []
        cui = block.column("CUI")
        enc = pc.dictionary_encode(cui.combine_chunks())
        runs = np.diff(enc.indices.to_numpy(), prepend=-1) != 0
        run_cuis = enc.dictionary.to_pylist()
        if (
            int(runs.sum()) != len(run_cuis)
            or "" in run_cuis
            or any(c in concept_ids for c in run_cuis)
        ):
            raise NotColumnar(0)  # unsorted or empty CUIs: the streaming path says what
        seen_sabs.update(pc.unique(block.column("SAB")).to_pylist())
        keep = pc.invert(pc.is_in(block.column("SUPPRESS"), pa.array(sorted(self.suppress))))
        if self.languages is not None:
            keep = pc.and_(keep, pc.is_in(block.column("LAT"), pa.array(self.languages)))
        if self.sabs is not None:
            keep = pc.and_(keep, pc.is_in(block.column("SAB"), pa.array(self.sabs)))
        rows = block.filter(keep)
        if rows.num_rows == 0:
            return []
        row_cui = pc.dictionary_encode(rows.column("CUI").combine_chunks()).indices.to_numpy()
        starts = np.flatnonzero(np.diff(row_cui, prepend=-1))
        run_of = np.cumsum(np.diff(row_cui, prepend=-1) != 0) - 1
        rule = np.ones(rows.num_rows, dtype=bool)
        for col, value in PREFERRED_RULE.items():
            rule &= pc.equal(rows.column(col), value).to_numpy(zero_copy_only=False)
        named = np.flatnonzero(rule)
        with_rule, first = np.unique(run_of[named], return_index=True)
        chosen = starts.copy()
        chosen[with_rule] = named[first]  # else the concept's first kept row
        ids = pc.take(rows.column("CUI"), starts)
        names = pc.take(rows.column("STR"), chosen)
        pref_sabs = pc.take(rows.column("SAB"), chosen)
        concept_ids.update(ids.to_pylist())
        # Terms: the first row of each (concept, text, source).
        indexed = rows.append_column("_i", pa.array(np.arange(rows.num_rows)))
        firsts = indexed.group_by(["CUI", "STR", "SAB"], use_threads=False).aggregate(
            [("_i", "min")]
        )
        pick = np.sort(firsts.column("_i_min").to_numpy())
        terms = rows.take(pick)
        text, sab = terms.column("STR"), terms.column("SAB")
        preferred = pc.and_(
            pc.equal(text, pc.take(names, run_of[pick])),
            pc.equal(sab, pc.take(pref_sabs, run_of[pick])),
        )
        term_table = pa.table({
            "concept_id": terms.column("CUI"), "text": text,
            "normalized": normalize_array(text.combine_chunks()), "source": sab,
            "term_type": terms.column("TTY"), "is_preferred": preferred,
        })  # fmt: skip
        coded = pc.and_(
            pc.is_in(rows.column("SAB"), pa.array(sorted(self.xref_sabs), pa.string())),
            pc.invert(pc.is_in(rows.column("CODE"), pa.array(sorted(NO_CODE)))),
        )
        xrefs = (
            rows.filter(coded)
            .group_by(["CUI", "SAB", "CODE"], use_threads=False)
            .aggregate([])
            .rename_columns(["concept_id", "db", "code"])
        )
        counts = self._counts
        counts[0] += len(ids)
        counts[1] += term_table.num_rows
        counts[2] += xrefs.num_rows
        return [
            TableBlock("concept", pa.table({"id": ids, "preferred_name": names})),
            TableBlock("term", term_table),
            TableBlock("xref", xrefs),
        ]

    def _concepts(
        self,
        concept_ids: set[str],
        atoms: _AuiTable | None,
        seen_sabs: set[str],
        skip_rows: int = 0,
    ) -> Iterator[GraphRecord]:
        path = self.layout.require("MRCONSO.RRF", "for concept names")
        reader = RrfReader(path, self.layout.columns_of("MRCONSO.RRF"), self._skip_list())
        c = reader.col
        i_cui, i_lat, i_ts, i_stt, i_ispref = c("CUI"), c("LAT"), c("TS"), c("STT"), c("ISPREF")
        i_sab, i_tty, i_code, i_str, i_sup = c("SAB"), c("TTY"), c("CODE"), c("STR"), c("SUPPRESS")
        i_aui = reader.index.get("AUI")
        langs = frozenset(self.languages) if self.languages is not None else None
        sabs = frozenset(self.sabs) if self.sabs is not None else None
        suppress = self.suppress
        current: str | None = None  # no CUI yet: an empty first CUI is reported too
        current_line = 0
        group: list[list[str]] = []
        rows = reader.rows()
        for lineno, f in islice(rows, skip_rows):  # loaded already, by _concepts_columnar
            if f[i_cui] != current:
                current, current_line = f[i_cui], lineno
        for lineno, f in rows:
            cui = f[i_cui]
            if cui != current:
                if group and current:
                    yield from self._emit_concept(
                        current, group, i_ts, i_stt, i_ispref, i_sab, i_tty, i_code, i_str
                    )
                    concept_ids.add(current)
                group = []
                if not cui:
                    reader.bad_row(lineno, "|".join(f), "empty CUI field")
                    current = None
                    continue
                if cui in concept_ids:
                    raise GraphError(
                        f"MRCONSO.RRF is not sorted by CUI: {cui} appears again here after "
                        f"other concepts (first block ended before line {current_line})",
                        path=str(path),
                        line=lineno,
                        fix="sort the file by its first column (LC_ALL=C sort -t'|' -k1,1 -s), "
                        "as UMLS releases ship it",
                    )
                current = cui
                current_line = lineno
            seen_sabs.add(f[i_sab])
            if (
                (langs is None or f[i_lat] in langs)
                and f[i_sup] not in suppress
                and (sabs is None or f[i_sab] in sabs)
            ):
                group.append(f)
                if atoms is not None and i_aui is not None:
                    atoms.add(f[i_aui], cui)
        if group and current:
            yield from self._emit_concept(
                current, group, i_ts, i_stt, i_ispref, i_sab, i_tty, i_code, i_str
            )
            concept_ids.add(current)

    def _emit_concept(
        self,
        cui: str,
        group: list[list[str]],
        i_ts: int,
        i_stt: int,
        i_ispref: int,
        i_sab: int,
        i_tty: int,
        i_code: int,
        i_str: int,
    ) -> Iterator[GraphRecord]:
        preferred = group[0]
        for f in group:
            if f[i_ts] == "P" and f[i_stt] == "PF" and f[i_ispref] == "Y":
                preferred = f
                break
        name = preferred[i_str]
        yield Concept(cui, name)
        pref_key = (name, preferred[i_sab])
        seen: set[tuple[str, str]] = set()
        xrefs: set[tuple[str, str]] = set()
        xref_sabs = self.xref_sabs
        n_terms = 0
        for f in group:
            text, sab = f[i_str], f[i_sab]
            key = (text, sab)
            if key not in seen:
                seen.add(key)
                n_terms += 1
                yield Term(cui, text, normalize(text), sab, f[i_tty], key == pref_key)
            if sab in xref_sabs:
                code = f[i_code]
                if code not in NO_CODE and (sab, code) not in xrefs:
                    xrefs.add((sab, code))
                    yield Xref(cui, sab, code)
        counts = self._counts
        counts[0] += 1
        counts[1] += n_terms
        counts[2] += len(xrefs)

    def _has_types(
        self, concept_ids: set[str], known_tuis: set[str], skip_rows: int = 0
    ) -> Iterator[GraphRecord]:
        path = self.layout.require("MRSTY.RRF", "for semantic types")
        reader = RrfReader(path, self.layout.columns_of("MRSTY.RRF"), self._skip_list())
        i_cui, i_tui, i_sty = reader.col("CUI"), reader.col("TUI"), reader.col("STY")
        n = dropped = 0
        for _, f in islice(reader.rows(), skip_rows, None):
            tui = f[i_tui]
            if tui not in known_tuis:
                known_tuis.add(tui)
                self.report.count("semantic_type")
                yield SemanticType(tui, f[i_sty], "")
            if f[i_cui] in concept_ids:
                n += 1
                yield HasType(f[i_cui], tui)
            else:
                dropped += 1
        self.report.count("has_type", n)
        self.report.drop("has_type_dangling", dropped)

    def _has_types_columnar(
        self, concept_ids: set[str], known_tuis: set[str]
    ) -> Iterator[GraphRecord | TableBlock]:
        """:meth:`_has_types` on pyarrow blocks; from a block it cannot read, streamed."""
        path = self.layout.require("MRSTY.RRF", "for semantic types")
        columns = self.layout.columns_of("MRSTY.RRF")
        ids = pa.array(list(concept_ids), pa.string())
        n = dropped = 0
        try:
            for block in read_blocks(path, columns, ("CUI", "TUI", "STY"), COLUMNAR_BLOCK_BYTES):
                tui = block.column("TUI")
                for t in pc.unique(tui).to_pylist():
                    if t not in known_tuis:
                        known_tuis.add(t)
                        self.report.count("semantic_type")
                        first = pc.index(tui, t).as_py()
                        yield SemanticType(t, block.column("STY")[first].as_py(), "")
                kept = block.filter(pc.is_in(block.column("CUI"), value_set=ids))
                n += kept.num_rows
                dropped += block.num_rows - kept.num_rows
                yield TableBlock("hastype", kept.select(["CUI", "TUI"]).rename_columns(
                    ["concept_id", "tui"]))  # fmt: skip
        except NotColumnar as stop:
            self.report.count("has_type", n)
            self.report.drop("has_type_dangling", dropped)
            yield from self._has_types(concept_ids, known_tuis, skip_rows=stop.rows_done)
            return
        self.report.count("has_type", n)
        self.report.drop("has_type_dangling", dropped)

    def _mrrel_columnar(
        self, concept_ids: set[str], edges: _EdgeSet
    ) -> Iterator[GraphRecord | TableBlock]:
        """:meth:`_mrrel` on pyarrow blocks; from a block it cannot read, streamed."""
        path = self.layout.require("MRREL.RRF", "for the is-a hierarchy")
        columns = self.layout.columns_of("MRREL.RRF")
        ids = pa.array(list(concept_ids), pa.string())
        sabs = pa.array(self.sabs, pa.string()) if self.sabs is not None else None
        suppress = pa.array(sorted(self.suppress), pa.string())
        wanted = ("CUI1", "REL", "CUI2", "RELA", "SAB", "SUPPRESS")
        try:
            for block in read_blocks(path, columns, wanted, COLUMNAR_BLOCK_BYTES):
                rel, rela = block.column("REL"), block.column("RELA")
                other = pc.invert(pc.is_in(rel, value_set=pa.array([PARENT_REL, CHILD_REL])))
                up = pc.or_(pc.equal(rel, PARENT_REL), pc.and_(other, pc.equal(rela, PARENT_RELA)))
                down = pc.or_(pc.equal(rel, CHILD_REL), pc.and_(other, pc.equal(rela, CHILD_RELA)))
                keep = pc.and_(pc.or_(up, down), pc.invert(pc.is_in(block["SUPPRESS"], suppress)))
                if sabs is not None:
                    keep = pc.and_(keep, pc.is_in(block.column("SAB"), value_set=sabs))
                block, up = block.filter(keep), pc.filter(up, keep)
                c1, c2 = block.column("CUI1"), block.column("CUI2")
                child, parent = pc.if_else(up, c1, c2), pc.if_else(up, c2, c1)
                loop = pc.equal(child, parent)
                both = pc.and_(pc.is_in(child, value_set=ids), pc.is_in(parent, value_set=ids))
                n_loops = pc.sum(loop).as_py() or 0
                n_dangling = pc.sum(pc.and_(pc.invert(loop), pc.invert(both))).as_py() or 0
                if n_loops:
                    self.report.drop("isa_self_loop", n_loops)
                if n_dangling:
                    self.report.drop("isa_dangling", n_dangling)
                ok = pc.and_(pc.invert(loop), both)
                isa = pa.table({"child": pc.filter(child, ok), "parent": pc.filter(parent, ok),
                                "source": pc.filter(block.column("SAB"), ok)})  # fmt: skip
                keys = pc.binary_join_element_wise(*isa.columns, "\x00").to_pylist()
                yield TableBlock("isa", isa.filter(pa.array(edges.add_joined(keys), pa.bool_())))
        except NotColumnar as stop:
            yield from self._mrrel(concept_ids, edges, skip_rows=stop.rows_done)

    def _mrrel(
        self, concept_ids: set[str], edges: _EdgeSet, skip_rows: int = 0
    ) -> Iterator[GraphRecord]:
        path = self.layout.require("MRREL.RRF", "for the is-a hierarchy")
        reader = RrfReader(path, self.layout.columns_of("MRREL.RRF"), self._skip_list())
        c = reader.col
        i_c1, i_rel, i_c2, i_rela = c("CUI1"), c("REL"), c("CUI2"), c("RELA")
        i_sab, i_sup = c("SAB"), c("SUPPRESS")
        sabs = frozenset(self.sabs) if self.sabs is not None else None
        suppress = self.suppress
        for _, f in islice(reader.rows(), skip_rows, None):
            rel = f[i_rel]
            if rel == PARENT_REL:
                child, parent = f[i_c1], f[i_c2]
            elif rel == CHILD_REL:
                child, parent = f[i_c2], f[i_c1]
            else:
                rela = f[i_rela]
                if rela == PARENT_RELA:
                    child, parent = f[i_c1], f[i_c2]
                elif rela == CHILD_RELA:
                    child, parent = f[i_c2], f[i_c1]
                else:
                    continue
            sab = f[i_sab]
            if (sabs is not None and sab not in sabs) or f[i_sup] in suppress:
                continue
            isa = self._edge(child, parent, sab, concept_ids, edges)
            if isa is not None:
                yield isa

    def _mrhier(
        self, concept_ids: set[str], edges: _EdgeSet, atoms: _AuiTable
    ) -> Iterator[GraphRecord]:
        path = self.layout.require("MRHIER.RRF", "for hierarchy='mrhier'")
        reader = RrfReader(path, self.layout.columns_of("MRHIER.RRF"), self._skip_list())
        i_cui, i_paui, i_sab = reader.col("CUI"), reader.col("PAUI"), reader.col("SAB")
        sabs = frozenset(self.sabs) if self.sabs is not None else None
        for _, f in reader.rows():
            paui, sab = f[i_paui], f[i_sab]
            if not paui or (sabs is not None and sab not in sabs):
                continue
            parent = atoms.get(paui)
            if parent is None:
                self.report.drop("isa_parent_atom_not_loaded")
                continue
            isa = self._edge(f[i_cui], parent, sab, concept_ids, edges)
            if isa is not None:
                yield isa

    def _edge(
        self, child: str, parent: str, sab: str, concept_ids: set[str], edges: _EdgeSet
    ) -> Isa | None:
        if child == parent:
            self.report.drop("isa_self_loop")
            return None
        if child not in concept_ids or parent not in concept_ids:
            self.report.drop("isa_dangling")
            return None
        if not edges.add(child, parent, sab):
            return None  # the same edge from the other direction's row
        edges.count += 1
        return Isa(child, parent, sab)
