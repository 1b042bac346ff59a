"""The one line reader: exact line numbers for bad bytes, BOM, CRLF, gzip, over-long lines."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from hilgen_graph.errors import CorpusFormatError, GraphError
from hilgen_graph.textio import control_characters, iter_lines


def test_bom_crlf_and_gzip_give_the_same_lines(tmp_path: Path) -> None:
    plain = tmp_path / "a.txt"
    plain.write_bytes(b"one\ntwo\n\nthree")
    other = tmp_path / "b.txt"  # gzip by its first bytes, whatever the name
    other.write_bytes(gzip.compress(b"\xef\xbb\xbfone\r\ntwo\r\n\r\nthree"))
    want = [(1, "one"), (2, "two"), (3, ""), (4, "three")]
    assert list(iter_lines(plain, GraphError)) == list(iter_lines(other, GraphError)) == want


def test_a_bad_byte_far_into_the_file_names_its_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_bytes(b"".join(b"line %d\n" % i for i in range(1, 20_000)) + b"ok \xc3(\n")
    with pytest.raises(CorpusFormatError) as info:
        list(iter_lines(path, CorpusFormatError))
    assert info.value.line == 20_000 and info.value.path == str(path)
    assert "byte 0xc3 at column 4" in str(info.value) and "iconv" in str(info.value)


def test_a_truncated_gzip_file_names_the_line_after_the_last_read(tmp_path: Path) -> None:
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(b"".join(b"row %d\n" % i for i in range(5000)))[:-40])
    with pytest.raises(GraphError, match="truncated or corrupt") as info:
        list(iter_lines(path, GraphError))
    assert info.value.line is not None and info.value.line > 1


def test_an_over_long_line_is_an_error_not_a_memory_blow_up(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_bytes(b"short\n" + b"x" * 5000 + b"\n")
    assert [n for n, _ in iter_lines(path, GraphError, max_line_bytes=5000)] == [1, 2]
    with pytest.raises(GraphError, match="longer than 4999 bytes") as info:
        list(iter_lines(path, GraphError, max_line_bytes=4999))
    assert info.value.line == 2


def test_control_characters() -> None:
    assert control_characters("a\tb") == ""
    assert control_characters("a\x00b\x1bc\x7f") == "\x00\x1b\x7f"
