"""The one way the toolkit reads a text file: UTF-8 lines with exact line numbers.

Every reader of corpora and knowledge sources (PubTator, CoNLL, JSONL, RRF, OBO, MeSH, the
Semantic Network) takes its lines from :func:`iter_lines`. It reads bytes one line at a time and
decodes each line on its own, so a bad byte is reported at the line (and byte column) where it
is, not at the end of an 8 KB decoding chunk. The same rules hold on every path:

* plain or gzip input, told by the file's first bytes (not its name);
* a UTF-8 byte-order mark at the start of the file is dropped;
* ``\\n`` and ``\\r\\n`` line endings are both removed (a ``\\r`` elsewhere is kept as text);
* a line longer than :data:`MAX_LINE_BYTES` is an error, not a memory blow-up;
* a file that is not UTF-8, a truncated gzip file, or an unreadable one raise the caller's
  error class (a :class:`~hilgen_graph.errors.HilgenError` taking ``path``, ``line`` and
  ``fix``) naming the file and the line.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Final, Protocol, cast

from hilgen_graph.errors import HilgenError

GZIP_MAGIC: Final = b"\x1f\x8b"
BOM: Final = b"\xef\xbb\xbf"
MAX_LINE_BYTES: Final = 64 << 20  # 64 MiB: longer lines are not text of any format we read


class ErrorClass(Protocol):
    """The error a reader raises: message plus where (``path``, ``line``) and ``fix``."""

    def __call__(
        self, message: str, *, path: str | None = ..., line: int | None = ..., fix: str | None = ...
    ) -> HilgenError: ...


def is_gzip(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(2) == GZIP_MAGIC


@contextmanager
def _open_bytes(path: Path, error: ErrorClass) -> Iterator[IO[bytes]]:
    try:
        opened = gzip.open(path, "rb") if is_gzip(path) else path.open("rb")  # noqa: SIM115
        fh = cast(IO[bytes], opened)
    except OSError as err:
        raise error(
            f"cannot open the file: {err.strerror or err}",
            path=str(path),
            fix="check the path and the file's permissions",
        ) from err
    with fh:
        yield fh


def decode_line(raw: bytes, lineno: int, path: Path, error: ErrorClass) -> str:
    """One line's bytes as text (BOM on line 1 and the line ending removed)."""
    if lineno == 1 and raw.startswith(BOM):
        raw = raw[len(BOM) :]
    if raw.endswith(b"\n"):
        raw = raw[:-2] if raw.endswith(b"\r\n") else raw[:-1]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise error(
            f"not UTF-8 text: byte 0x{raw[err.start]:02x} at column {err.start + 1} ({err.reason})",
            path=str(path),
            line=lineno,
            fix="convert the file to UTF-8 (for example with iconv -f latin1 -t utf-8)",
        ) from err


def iter_lines(
    path: str | Path,
    error: ErrorClass,
    *,
    max_line_bytes: int = MAX_LINE_BYTES,
) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, text)`` (1-based, without the line ending) of a UTF-8 file.

    ``error`` is the class raised for bad bytes, a truncated gzip stream or an over-long line
    (``CorpusFormatError`` for corpora, ``GraphError`` for knowledge sources).
    """
    p = Path(path)
    lineno = 0
    with _open_bytes(p, error) as fh:
        while True:
            try:
                raw = fh.readline(max_line_bytes + 1)
            except (OSError, EOFError, zlib.error) as err:  # truncated or corrupt gzip
                raise error(
                    f"cannot read the file after line {lineno}: {err}",
                    path=str(p),
                    line=lineno + 1,
                    fix="the (gzip) file is truncated or corrupt; copy or download it again",
                ) from err
            if not raw:
                return
            lineno += 1
            if len(raw) > max_line_bytes and not raw.endswith(b"\n"):
                raise error(
                    f"line is longer than {max_line_bytes} bytes; this is not a text file of "
                    "the expected format",
                    path=str(p),
                    line=lineno,
                    fix="check that the path names the right file",
                )
            yield lineno, decode_line(raw, lineno, p, error)


def control_characters(text: str) -> str:
    """The control characters (C0 other than tab, and DEL) in ``text``; empty when none."""
    return "".join(sorted({c for c in text if (c < " " and c != "\t") or c == "\x7f"}))
