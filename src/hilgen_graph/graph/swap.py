"""Putting a finished store build in place of the old store, so that no kill loses a store.

A store directory ``T`` is replaced through sibling directories named after the loading process
(``PID``); each name says what its content is, so whatever a kill leaves behind is finished the
same way by the next load or open (:func:`recover`):

* ``.T.loading-PID``: a build in progress. Incomplete: removed once ``PID`` is gone.
* ``.T.ready-PID``: a finished build (schema marker written, database closed), waiting to become
  ``T``. It is never deleted by recovery: it is moved into place.
* ``.T.old-PID``: the previous store, moved aside for the swap. Put back when ``T`` is missing,
  else deleted.
* ``.T.trash-PID``: a previous store being deleted (a kill during deletion leaves part of it).

The swap (:func:`swap_into_place`) is four renames in the same folder, each atomic:
``loading -> ready``, ``T -> old``, ``ready -> T``, ``old -> trash``, then the trash is deleted.
Between any two of them a reader sees either the old store, the new one, or (for the instant
between the second and third rename) no store at ``T``; :func:`recover`, run by the next open or
load, completes the swap from there.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from hilgen_graph.processes import pid_alive

LOADING: Final = "loading"
READY: Final = "ready"
OLD: Final = "old"
TRASH: Final = "trash"
_KINDS: Final = (LOADING, READY, OLD, TRASH)


def sibling(target: Path, kind: str, pid: int | None = None) -> Path:
    """``.NAME.KIND-PID`` beside ``target`` (this process's pid by default)."""
    return target.parent / f".{target.name}.{kind}-{os.getpid() if pid is None else pid}"


def _leftovers(target: Path) -> Iterator[tuple[str, int, Path]]:
    """(kind, pid, path) of every swap directory beside ``target``."""
    if not target.parent.is_dir():
        return
    prefix = f".{target.name}."
    for entry in target.parent.iterdir():
        if not entry.name.startswith(prefix):
            continue
        kind, sep, pid = entry.name[len(prefix) :].rpartition("-")
        if sep and kind in _KINDS and pid.isdigit():
            yield kind, int(pid), entry


def _rename(src: Path, dst: Path) -> bool:
    """Rename, tolerating another process that recovered the same entry first."""
    try:
        os.rename(src, dst)
    except FileNotFoundError:
        return False
    except OSError:
        if src.exists() and dst.exists():
            return False  # dst appeared meanwhile (another recovery); leave src for later
        raise
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def recover(target: Path, *, own: bool = False) -> list[str]:
    """Finish or undo what killed loads left beside ``target``; return what was done.

    Only leftovers of processes that are gone are touched (and this process's own with
    ``own=True``, after a failed swap). Per process, in a fixed order: a finished build
    (``ready``) becomes the store, putting the store it replaces aside; a store moved aside
    (``old``) is put back when no store is at ``target``, else deleted; builds in progress and
    trash are deleted.
    """
    done: list[str] = []
    me = os.getpid()
    by_pid: dict[int, dict[str, Path]] = {}
    for kind, pid, path in _leftovers(target):
        if pid == me and not own:
            continue
        if pid != me and pid_alive(pid):
            continue
        by_pid.setdefault(pid, {})[kind] = path
    # oldest first, so that of two finished builds the newest ends up in place
    order = sorted(by_pid, key=lambda p: min(x.stat().st_mtime for x in by_pid[p].values()))
    for pid in order:
        entries = by_pid[pid]
        ready, old = entries.get(READY), entries.get(OLD)
        if ready is not None:
            if old is None and target.exists():
                old = sibling(target, OLD, pid)
                if _rename(target, old):
                    done.append(f"moved the replaced store aside to {old.name}")
            if not target.exists() and _rename(ready, target):
                done.append(f"put the finished build {ready.name} in place")
            elif ready.exists():
                _remove(ready)  # the target is another, newer load's store
                done.append(f"removed the superseded build {ready.name}")
        if old is not None and old.exists():
            if not target.exists():
                if _rename(old, target):
                    done.append(f"restored the previous store from {old.name}")
            else:
                trash = sibling(target, TRASH, pid)
                if _rename(old, trash):
                    _remove(trash)
                    done.append(f"removed the replaced store {old.name}")
        for kind in (LOADING, TRASH):
            left = entries.get(kind)
            if left is not None and left.exists():
                _remove(left)
                done.append(f"removed {left.name}")
    return done


def swap_into_place(build: Path, target: Path) -> None:
    """Make the finished build directory ``build`` the store at ``target``.

    A kill at any point leaves names that :func:`recover` completes to the new store (once the
    build is marked ready) or leaves the old store in place (before that).
    """
    pid = os.getpid()
    ready = sibling(target, READY, pid)
    old = sibling(target, OLD, pid)
    trash = sibling(target, TRASH, pid)
    for stale in (ready, old, trash):
        _remove(stale)
    os.rename(build, ready)  # 1: the build is finished (never deleted from here on)
    try:
        if target.exists():
            os.rename(target, old)  # 2: the previous store aside
        os.rename(ready, target)  # 3: the new store in place
    except BaseException:
        # put the previous store back; the finished build stays ready for the next load
        if not target.exists() and old.exists():
            with contextlib.suppress(OSError):
                os.rename(old, target)
        raise
    if old.exists():
        os.rename(old, trash)  # 4: the previous store is garbage
        _remove(trash)
