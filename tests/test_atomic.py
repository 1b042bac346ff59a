"""The one atomic writer: all-or-nothing replacement, strict JSON, stale temporaries cleaned."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from hilgen_graph import atomic


def test_failed_write_keeps_old_content_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    atomic.write_text(target, "old\n")
    with pytest.raises(RuntimeError), atomic.atomic_writer(target) as fh:
        fh.write("half")
        raise RuntimeError("killed mid-write")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_write_json_is_strict_json(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        atomic.write_json(tmp_path / "x.json", {"f1": math.nan})
    atomic.write_json(tmp_path / "y.json", {"f1": 0.5, "path": tmp_path})
    assert json.loads((tmp_path / "y.json").read_text()) == {"f1": 0.5, "path": str(tmp_path)}


def test_stale_temporary_of_a_dead_writer_is_removed_live_ones_kept(tmp_path: Path) -> None:
    target = tmp_path / "data.jsonl"
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    stale = tmp_path / f".data.jsonl.{dead}.abc.tmp"
    live = tmp_path / f".data.jsonl.{1}.abc.tmp"  # pid 1 is always alive
    stale.write_text("x")
    live.write_text("y")
    n = atomic.write_jsonl(target, [{"a": 1}, {"a": 2}])
    assert n == 2 and target.read_text().count("\n") == 2
    assert not stale.exists() and live.exists()


def test_write_with_gives_the_library_a_path_with_its_extension(tmp_path: Path) -> None:
    seen: list[str] = []

    def save(p: Path) -> None:
        seen.append(p.name)
        p.write_bytes(b"npz")

    atomic.write_with(tmp_path / "index.npz", save, suffix=".npz")
    assert seen[0].endswith(".npz") and (tmp_path / "index.npz").read_bytes() == b"npz"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.npz"]
