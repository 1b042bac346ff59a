"""The one way the toolkit writes a file: through a temporary file in the same folder, renamed
over the target only when the whole content is written.

A reader never sees a half-written file, and a killed write leaves no stray temporary file
behind for long: temporaries are named ``.NAME.*.tmp`` and removed on any error; a kill -9
between write and rename leaves one, which :func:`clean_stale` removes on the next write to the
same target.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, TextIO

from hilgen_graph.processes import pid_alive

_MODE = 0o644  # mkstemp makes 0600 files; results are meant to be read by others


def _temp_prefix(target: Path) -> str:
    return f".{target.name}."


def clean_stale(target: Path) -> None:
    """Remove temporaries that a killed earlier write to ``target`` left behind: those whose
    writing process (the pid in the name) is gone; a live writer's file is left alone."""
    if not target.parent.is_dir():
        return
    prefix = _temp_prefix(target)
    for p in target.parent.iterdir():
        if not (p.name.startswith(prefix) and ".tmp" in p.name[len(prefix) :]):
            continue
        pid = p.name[len(prefix) :].split(".", 1)[0]
        if pid.isdigit() and not pid_alive(int(pid)):  # threads of a live process share its pid
            p.unlink(missing_ok=True)


@contextmanager
def _atomic(path: str | Path, binary: bool) -> Iterator[IO[Any]]:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(target)
    fd, tmp = tempfile.mkstemp(
        dir=target.parent, prefix=f"{_temp_prefix(target)}{os.getpid()}.", suffix=".tmp"
    )
    try:
        if binary:
            fh: IO[Any] = os.fdopen(fd, "wb")
        else:
            fh = os.fdopen(fd, "w", encoding="utf-8", newline="\n")
        with fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _MODE)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def atomic_writer(path: str | Path) -> Iterator[TextIO]:
    """A text file handle (UTF-8, ``\\n`` newlines) whose content replaces ``path`` on success."""
    with _atomic(path, binary=False) as fh:
        yield fh  # type: ignore[misc]


@contextmanager
def atomic_binary_writer(path: str | Path) -> Iterator[IO[bytes]]:
    """A binary file handle whose content replaces ``path`` on success."""
    with _atomic(path, binary=True) as fh:
        yield fh


def write_text(path: str | Path, text: str) -> None:
    with atomic_writer(path) as fh:
        fh.write(text)


def write_bytes(path: str | Path, data: bytes) -> None:
    with atomic_binary_writer(path) as fh:
        fh.write(data)


def write_json(path: str | Path, obj: Any, *, indent: int | None = None) -> None:
    """Strict JSON (no NaN/Infinity: they raise ``ValueError``); non-JSON values via ``str``."""
    with atomic_writer(path) as fh:
        json.dump(obj, fh, ensure_ascii=False, default=str, indent=indent, allow_nan=False)
        fh.write("\n")


def write_jsonl(
    path: str | Path, rows: Iterable[Any], encode: Callable[[Any], Any] = lambda r: r
) -> int:
    """One JSON object per line; returns how many rows were written."""
    n = 0
    with atomic_writer(path) as fh:
        for row in rows:
            fh.write(json.dumps(encode(row), ensure_ascii=False, allow_nan=False) + "\n")
            n += 1
    return n


def write_with(path: str | Path, save: Callable[[Path], None], suffix: str = "") -> None:
    """For libraries that insist on writing a path themselves (``np.savez``, matplotlib): they
    write a temporary path (ending in ``suffix`` where the library needs its extension), which
    then replaces ``path``."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(target)
    fd, tmp = tempfile.mkstemp(
        dir=target.parent, prefix=f"{_temp_prefix(target)}{os.getpid()}.", suffix=".tmp" + suffix
    )
    os.close(fd)
    try:
        save(Path(tmp))
        os.chmod(tmp, _MODE)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
