"""Seeded mutations of real files, each with what a correct reader must do with the result.

A :class:`Mutation` replaces one file of a fixture with mutated bytes and says what is expected:

* ``same``: the reader returns exactly what it returns for the unmutated file (BOM, CRLF, gzip);
* ``error_at``: the reader raises the project's error naming that file and line ``line``;
* ``error``: the reader raises the project's error naming the file (empty or binary files);
* ``parse``: the reader returns a result, and ``check(result)`` holds (a huge line is read);
* ``any``: the reader returns a result whose invariants hold, or raises the project's error
  naming the file (truncations, random edits, deleted or repeated lines).
"""

from __future__ import annotations

import gzip
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

BOM = b"\xef\xbb\xbf"
BAD_BYTES = (b"\xff", b"\xfe", b"\x80", b"\xc3(", b"\xe2\x28\xa1", b"\xed\xa0\x80", b"\xf8")
HUGE = 200_000  # longer than csv's default field limit (131,072)


@dataclass(frozen=True)
class Mutation:
    kind: str
    file: str  # the fixture file it replaces
    data: bytes
    expect: str  # same | error_at | error | parse | any
    line: int | None = None
    check: Callable[[Any], bool] | None = None

    def __repr__(self) -> str:
        return f"Mutation({self.kind}, {self.file}, expect={self.expect}, line={self.line})"


def lines_of(data: bytes) -> list[bytes]:
    """The file's lines with their endings (``b"".join(lines) == data``)."""
    return data.splitlines(keepends=True)


def _body(line: bytes) -> bytes:
    return line.rstrip(b"\r\n")


def _ending(line: bytes) -> bytes:
    return line[len(_body(line)) :]


def with_line(lines: list[bytes], index: int, body: bytes) -> bytes:
    """The file with line ``index`` (0-based) replaced by ``body`` (its line ending kept)."""
    out = list(lines)
    out[index] = body + _ending(lines[index])
    return b"".join(out)


def insert_at(line: bytes, pos: int, what: bytes) -> bytes:
    body = _body(line)
    return body[:pos] + what + body[pos:]


def generic(rng: random.Random, file: str, data: bytes, n: int) -> Iterator[Mutation]:
    """Mutations every line-based reader must survive: ``n`` random ones plus the fixed
    same-content forms (BOM, CRLF, gzip), an empty and a binary file."""
    lines = lines_of(data)
    nonblank = [i for i, line in enumerate(lines) if _body(line)]
    yield Mutation("bom", file, BOM + data, "same")
    yield Mutation("crlf", file, data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"), "same")
    yield Mutation("gzip", file, gzip.compress(data, mtime=0), "same")
    yield Mutation("bom+crlf+gzip", file, gzip.compress(BOM + data.replace(b"\n", b"\r\n")), "same")
    yield Mutation("empty", file, b"", "error")
    yield Mutation("blank lines only", file, b"\n\n  \n", "error")
    yield Mutation("binary", file, rng.randbytes(512) + b"\xff\xfe", "error")
    yield Mutation("binary gzip", file, gzip.compress(rng.randbytes(256) + b"\xff"), "error")
    for _ in range(n):
        roll = rng.random()
        if roll < 0.3 and nonblank:  # a byte that is not UTF-8, at a known line
            i = rng.choice(nonblank)
            pos = rng.randrange(len(_body(lines[i])) + 1)
            bad = rng.choice(BAD_BYTES)
            yield Mutation(
                "non-utf8",
                file,
                with_line(lines, i, insert_at(lines[i], pos, bad)),
                "error_at",
                line=i + 1,
            )
        elif roll < 0.45:
            cut = rng.randrange(len(data))
            yield Mutation("truncate", file, data[:cut], "any")
        elif roll < 0.55 and nonblank:
            i = rng.choice(nonblank)
            yield Mutation("delete line", file, b"".join(lines[:i] + lines[i + 1 :]), "any")
        elif roll < 0.62 and nonblank:
            i = rng.choice(nonblank)
            yield Mutation("repeat line", file, b"".join(lines[: i + 1] + lines[i:]), "any")
        elif roll < 0.8 and nonblank:
            i = rng.choice(nonblank)
            pos = rng.randrange(len(_body(lines[i])) + 1)
            yield Mutation(
                "insert tab", file, with_line(lines, i, insert_at(lines[i], pos, b"\t")), "any"
            )
        elif roll < 0.9 and nonblank:
            i = rng.choice(nonblank)
            body = bytearray(_body(lines[i]))
            if body:
                body[rng.randrange(len(body))] = rng.choice(b"|\t 0123456789:-_aZ\x00\x1b")
            yield Mutation("change byte", file, with_line(lines, i, bytes(body)), "any")
        else:
            i = rng.randrange(len(lines) + 1)
            junk = bytes(rng.choice(b"abc|\t:-19 \x00") for _ in range(rng.randrange(1, 40)))
            out = lines[:i] + [junk + b"\n"] + lines[i:]
            yield Mutation("insert junk line", file, b"".join(out), "any")
