"""The store swap cannot lose a store: a kill -9 after any of its renames is completed by the
next open or load, and what it leaves behind is cleaned (no stranded ``.NAME.old-PID``)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from tests.graph.fixture_graph import fixture_records

from hilgen_graph.graph import swap
from hilgen_graph.graph.embedded import EmbeddedStore
from hilgen_graph.graph.records import Concept, GraphRecord, Term

# The child makes a finished build, then swaps it in and kills itself with SIGKILL right after
# its KILL_AFTER-th rename (0: before the first). Nothing of Python's cleanup runs.
CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from hilgen_graph.graph import swap

    target, kill_after, source = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    build = swap.sibling(target, swap.LOADING)
    if source == "-":
        build.mkdir()
        (build / "graph.lbug").write_text("new")
    else:
        os.rename(source, build)
    real_rename, calls = os.rename, [0]

    def rename(src, dst):
        if calls[0] == kill_after:
            os.kill(os.getpid(), signal.SIGKILL)
        calls[0] += 1
        real_rename(src, dst)

    os.rename = rename
    if kill_after == 4:  # after the last rename, while the old store is being deleted
        import shutil
        def rmtree(*a, **k):
            os.kill(os.getpid(), signal.SIGKILL)
        shutil.rmtree = rmtree
    swap.swap_into_place(build, target)
    """
)
RENAMES = 4


def _swap_killed(target: Path, kill_after: int, source: Path | None = None) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    args = [sys.executable, "-c", CHILD, str(target), str(kill_after), str(source or "-")]
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == -9, done.stderr


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("kill_after", range(RENAMES + 1))
def test_a_kill_at_any_point_of_the_swap_is_recovered(tmp_path: Path, kill_after: int) -> None:
    target = tmp_path / "kg"
    target.mkdir()
    (target / "graph.lbug").write_text("old")
    _swap_killed(target, kill_after)
    left = _names(tmp_path)
    if kill_after == 2:  # between "store aside" and "build in place": no store at the target
        assert "kg" not in left and any(".kg.old-" in n for n in left)
    done = swap.recover(target)
    assert done, left
    assert _names(tmp_path) == ["kg"]  # nothing stranded
    # Once the build was marked ready (first rename), it is the store; before, the old one.
    expected = "old" if kill_after == 0 else "new"
    assert (target / "graph.lbug").read_text() == expected
    assert swap.recover(target) == []  # idempotent


def test_a_kill_during_a_first_load_leaves_the_build_to_recover(tmp_path: Path) -> None:
    target = tmp_path / "kg"
    _swap_killed(target, 1)  # marked ready, never renamed into place
    swap.recover(target)
    assert _names(tmp_path) == ["kg"]
    assert (target / "graph.lbug").read_text() == "new"


def test_live_loads_are_left_alone(tmp_path: Path) -> None:
    target = tmp_path / "kg"
    target.mkdir()
    mine = swap.sibling(target, swap.LOADING)  # this process is alive
    mine.mkdir()
    assert swap.recover(target) == []
    assert mine.is_dir()


def _records(name: str) -> list[GraphRecord]:
    return [Concept("X1", name), Term("X1", name, name.lower(), "SRC", "PT", True)]


def _build(path: Path, records: list[GraphRecord]) -> None:
    writer = EmbeddedStore(path, read_only=False)
    try:
        writer.load(records)
    finally:
        writer.close()


def test_opening_after_a_kill_between_the_two_renames_finds_the_new_store(
    tmp_path: Path,
) -> None:
    target = tmp_path / "kg"
    _build(target, _records("Old"))
    _build(tmp_path / "next", _records("New"))
    _swap_killed(target, 2, source=tmp_path / "next")
    assert not target.exists()
    with EmbeddedStore(target) as store:  # the open completes the swap
        concept = store.concept("X1")
        assert concept is not None and concept.preferred_name == "New"
    assert _names(tmp_path) == ["kg"]


def test_the_next_load_after_a_kill_keeps_nothing_stray(tmp_path: Path) -> None:
    target = tmp_path / "kg"
    _build(target, _records("Old"))
    _build(tmp_path / "next", _records("New"))
    _swap_killed(target, 2, source=tmp_path / "next")
    _build(target, list(fixture_records()))
    assert _names(tmp_path) == ["kg"]
    with EmbeddedStore(target) as store:
        assert store.stats().concepts > 1
