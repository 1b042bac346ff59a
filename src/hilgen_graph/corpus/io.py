"""Reading corpus files: plain or gzip UTF-8 lines with exact line numbers (see
:mod:`hilgen_graph.textio`), and the checks every corpus reader shares."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from hilgen_graph import textio
from hilgen_graph.errors import CorpusFormatError, DataMissingError


def require_file(path: str | Path) -> Path:
    p = Path(path)
    if not p.is_file():
        raise DataMissingError(
            f"corpus file not found: {p}; check the path, or run `hilgen data check` to see "
            "which corpora are present and where to download missing ones"
        )
    return p


def iter_lines(path: str | Path) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, line)`` (1-based, without the line ending; BOM dropped).

    Bad bytes, a truncated gzip file or an over-long line raise :class:`CorpusFormatError` with
    the file and the line they are on.
    """
    return textio.iter_lines(require_file(path), CorpusFormatError)


def empty_corpus(path: str | Path, what: str = "no documents") -> CorpusFormatError:
    """The error for a corpus file with nothing in it (empty, or only blank lines)."""
    return CorpusFormatError(
        f"the corpus file is empty ({what})",
        path=str(path),
        fix="check the path: a corpus file holds at least one document or sentence",
    )
