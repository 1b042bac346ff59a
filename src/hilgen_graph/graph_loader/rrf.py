"""Reading UMLS Rich Release Format (RRF) files: pipe-separated rows, plain or gzip.

Column names come from ``MRFILES.RRF`` when the release has it (the way scispacy's
``umls_utils`` reads UMLS), else from the documented layouts below. Rows are streamed; a row
with the wrong number of fields raises a :class:`GraphError` naming file and line, or, with
``skip_bad_rows``, is recorded in the caller's list of :class:`SkippedRow` and left out.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from hilgen_graph import textio
from hilgen_graph.errors import GraphError
from hilgen_graph.graph_loader.report import SkippedRow

# The layouts of the files we read, as documented by NLM (used when MRFILES.RRF is absent).
DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "MRCONSO.RRF": (
        "CUI", "LAT", "TS", "LUI", "STT", "SUI", "ISPREF", "AUI", "SAUI", "SCUI", "SDUI",
        "SAB", "TTY", "CODE", "STR", "SRL", "SUPPRESS", "CVF",
    ),
    "MRSTY.RRF": ("CUI", "TUI", "STN", "STY", "ATUI", "CVF"),
    "MRREL.RRF": (
        "CUI1", "AUI1", "STYPE1", "REL", "CUI2", "AUI2", "STYPE2", "RELA", "RUI", "SRUI",
        "SAB", "SL", "RG", "DIR", "SUPPRESS", "CVF",
    ),
    "MRHIER.RRF": ("CUI", "AUI", "CXN", "PAUI", "SAB", "RELA", "PTR", "HCD", "CVF"),
    "MRSAB.RRF": (
        "VCUI", "RCUI", "VSAB", "RSAB", "SON", "SF", "SVER", "VSTART", "VEND", "IMETA",
        "RMETA", "SLC", "SCC", "SRL", "TFR", "CFR", "CXTY", "TTYL", "ATNL", "LAT", "CENC",
        "CURVER", "SABIN", "SSN", "SCIT",
    ),
    "MRDEF.RRF": ("CUI", "AUI", "ATUI", "SATUI", "SAB", "DEF", "SUPPRESS", "CVF"),
}  # fmt: skip

# The columns each reader needs; checked against MRFILES.RRF so a changed layout fails early.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "MRCONSO.RRF": ("CUI", "LAT", "TS", "STT", "ISPREF", "SAB", "TTY", "CODE", "STR", "SUPPRESS"),
    "MRSTY.RRF": ("CUI", "TUI", "STY"),
    "MRREL.RRF": ("CUI1", "REL", "CUI2", "RELA", "SAB", "SUPPRESS"),
    "MRHIER.RRF": ("CUI", "AUI", "PAUI", "SAB"),
    "MRSAB.RRF": ("RSAB", "SVER", "CURVER", "VSAB"),
}

_TEXT_CUT = 200


@dataclass(frozen=True, slots=True)
class RrfLayout:
    """Where a release's files are and which columns each has."""

    meta_dir: Path
    columns: dict[str, tuple[str, ...]]
    from_mrfiles: bool

    def find(self, name: str) -> Path | None:
        """``NAME.RRF`` or ``NAME.RRF.gz`` in the META folder, or None."""
        for candidate in (self.meta_dir / name, self.meta_dir / f"{name}.gz"):
            if candidate.is_file():
                return candidate
        return None

    def require(self, name: str, why: str) -> Path:
        path = self.find(name)
        if path is None:
            raise GraphError(
                f"the UMLS release has no {name} (nor {name}.gz), which is needed {why}",
                path=str(self.meta_dir),
                fix=f"point --umls-dir at the META folder of a UMLS release that contains {name} "
                "(plain or gzip-compressed)",
            )
        return path

    def columns_of(self, name: str) -> tuple[str, ...]:
        cols = self.columns.get(name) or DEFAULT_COLUMNS.get(name)
        if cols is None:
            raise GraphError(f"no column layout known for {name}", path=str(self.meta_dir))
        missing = [c for c in REQUIRED_COLUMNS.get(name, ()) if c not in cols]
        if missing:
            where = "MRFILES.RRF" if self.from_mrfiles else "the default layout"
            raise GraphError(
                f"{name} lacks the columns {', '.join(missing)} according to {where} "
                f"(it lists {','.join(cols)})",
                path=str(self.meta_dir / "MRFILES.RRF") if self.from_mrfiles else None,
                fix="use an unmodified UMLS release, or fix MRFILES.RRF's FMT column",
            )
        return cols


def iter_lines(path: Path) -> Iterator[tuple[int, str]]:
    """``(line_number, text)`` of a UTF-8 RRF file, plain or gzip (see :mod:`hilgen_graph.textio`:
    BOM and line endings removed; bad bytes raise :class:`GraphError` at their line)."""
    return textio.iter_lines(path, GraphError)


def has_rows(path: Path) -> bool:
    """Whether the file holds at least one non-blank line."""
    return any(line.strip() for _, line in iter_lines(path))


def resolve_meta_dir(umls_dir: Path | str) -> Path:
    """The folder holding the RRF files: ``umls_dir`` itself, or its ``META`` subfolder."""
    root = Path(umls_dir).expanduser()
    if not root.is_dir():
        raise GraphError(
            "the UMLS directory does not exist or is not a folder",
            path=str(root),
            fix="pass the META folder of your local UMLS release (it holds MRCONSO.RRF)",
        )
    if not _has_rrf(root, "MRCONSO.RRF") and _has_rrf(root / "META", "MRCONSO.RRF"):
        return root / "META"
    return root


def _has_rrf(folder: Path, name: str) -> bool:
    return (folder / name).is_file() or (folder / f"{name}.gz").is_file()


def read_layout(umls_dir: Path | str) -> RrfLayout:
    """Find the META folder and read ``MRFILES.RRF`` (``FIL|DES|FMT|CLS|RWS|BTS``) if present."""
    meta = resolve_meta_dir(umls_dir)
    mrfiles = RrfLayout(meta, {}, False).find("MRFILES.RRF")
    if mrfiles is None:
        return RrfLayout(meta, dict(DEFAULT_COLUMNS), False)
    columns: dict[str, tuple[str, ...]] = {}
    for lineno, line in iter_lines(mrfiles):
        if not line:
            continue
        fields = line.split("|")
        if len(fields) < 3 or not fields[0] or not fields[2]:
            raise GraphError(
                "MRFILES.RRF row needs FIL|DES|FMT|... with a file name and its columns",
                path=str(mrfiles),
                line=lineno,
                fix="use the MRFILES.RRF of the release unchanged, or delete it to use the "
                "default column layouts",
            )
        columns[fields[0]] = tuple(fields[2].split(","))
    if not columns:
        raise GraphError(
            "MRFILES.RRF is empty",
            path=str(mrfiles),
            fix="use the MRFILES.RRF of the release unchanged, or delete it to use the default "
            "column layouts",
        )
    return RrfLayout(meta, columns, True)


class RrfReader:
    """Stream the rows of one RRF file as lists of fields, with line numbers.

    ``skipped`` is the list bad rows are recorded in when skipping is on; with ``skipped=None``
    the first bad row raises :class:`GraphError`.
    """

    def __init__(
        self, path: Path, columns: tuple[str, ...], skipped: list[SkippedRow] | None = None
    ) -> None:
        self.path = path
        self.columns = columns
        self.skipped = skipped
        self.index = {name: i for i, name in enumerate(columns)}

    def col(self, name: str) -> int:
        return self.index[name]

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        n = len(self.columns)
        for lineno, line in iter_lines(self.path):
            fields = line.split("|")
            size = len(fields)
            if size == n + 1 and not fields[n]:  # RRF rows end with '|'
                yield lineno, fields
            elif size == 1 and not line.strip():
                continue  # blank line (e.g. a trailing newline)
            else:
                closed = not fields[-1]
                self.bad_row(
                    lineno,
                    line,
                    f"expected {n} '|'-separated fields ({','.join(self.columns)}), "
                    f"found {size - 1 if closed else size}"
                    + ("" if closed else " and no closing '|'"),
                )

    def bad_row(self, lineno: int, raw: str, reason: str) -> None:
        """Raise for a bad row, or record it when skipping bad rows."""
        if self.skipped is None:
            raise GraphError(
                reason,
                path=str(self.path),
                line=lineno,
                fix="repair or remove that line, or load with skip_bad_rows=True "
                "(--skip-bad-rows) to load the rest and report the skipped lines",
            )
        self.skipped.append(SkippedRow(str(self.path), lineno, reason, raw[:_TEXT_CUT]))


class NotColumnar(Exception):
    """A block that the columnar reader cannot take as is (a bad row, odd text): the caller goes
    on with :class:`RrfReader` after the ``rows_done`` rows already read."""

    def __init__(self, rows_done: int) -> None:
        super().__init__(rows_done)
        self.rows_done = rows_done


def read_blocks(
    path: Path, columns: tuple[str, ...], wanted: tuple[str, ...], block_size: int = 1 << 24
) -> Iterator[pa.Table]:
    """The ``wanted`` columns of an RRF file as string tables of about ``block_size`` bytes.

    Raises :class:`NotColumnar` (with the rows read so far) at the first block pyarrow cannot
    parse, whose rows do not close with an empty field, or whose ``wanted`` text holds a NUL.
    """
    names = [*columns, "_end"]  # RRF rows end with '|': one more, empty, field
    done = 0
    try:
        gz = textio.is_gzip(path)
        stream = pa.input_stream(str(path), compression="gzip" if gz else None)
        reader = pa_csv.open_csv(
            stream,
            read_options=pa_csv.ReadOptions(
                column_names=names, block_size=block_size, use_threads=False
            ),
            parse_options=pa_csv.ParseOptions(delimiter="|", quote_char=False),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                include_columns=[*wanted, "_end"],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        for batch in reader:
            end = batch.column("_end")
            if pc.any(pc.not_equal(end, "")).as_py() or any(
                pc.any(pc.match_substring(batch.column(c), "\x00")).as_py() for c in wanted
            ):
                raise NotColumnar(done)
            yield pa.Table.from_batches([batch]).select(list(wanted))
            done += batch.num_rows
    except (pa.ArrowInvalid, OSError, EOFError) as err:
        raise NotColumnar(done) from err
