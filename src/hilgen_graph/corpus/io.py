"""File helpers for corpus readers and writers: plain or gzip input, atomic output."""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from hilgen_graph.errors import CorpusFormatError, DataMissingError

GZIP_MAGIC = b"\x1f\x8b"


def is_gzip(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(2) == GZIP_MAGIC


def open_text(path: str | Path) -> TextIO:
    """Open a corpus file for reading as UTF-8 text, transparently un-gzipping it."""
    p = Path(path)
    if not p.is_file():
        raise DataMissingError(
            f"corpus file not found: {p}; check the path, or run `hilgen data check` to see "
            "which corpora are present and where to download missing ones"
        )
    if is_gzip(p):
        return io.TextIOWrapper(gzip.open(p, "rb"), encoding="utf-8", newline="")
    return p.open(encoding="utf-8", newline="")


def iter_lines(path: str | Path) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, line)`` (1-based, without the line ending)."""
    p = Path(path)
    with open_text(p) as fh:
        lineno = 0
        try:
            for lineno, raw in enumerate(fh, start=1):
                yield lineno, raw.rstrip("\r\n")
        except UnicodeDecodeError as err:
            raise CorpusFormatError(
                f"not UTF-8 text ({err.reason})",
                path=str(p),
                line=lineno + 1,
                fix="convert the file to UTF-8 (for example with iconv)",
            ) from err
        except (OSError, EOFError) as err:  # truncated or corrupt gzip
            raise CorpusFormatError(
                f"cannot read the file: {err}",
                path=str(p),
                line=lineno + 1,
                fix="the gzip file is truncated or corrupt; download it again",
            ) from err


