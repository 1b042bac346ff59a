"""Resumable runs: a run folder whose ``records.jsonl`` is appended one whole record at a time.

A run is a folder::

    RUN/meta.json       what the run was started with (refused on resume if it changed)
    RUN/records.jsonl   one RunRecord per line: id, status, payload, raw reply, error
    RUN/ledger.json     token/cost ledger (written by the caller, see ledger.py)

Each work item has a stable id chosen by the caller (e.g. ``record_id(seed_id, prompt, i)``).
``append`` writes one complete line with a single ``write`` on an ``O_APPEND`` descriptor and
``fsync``s it: the append is the commit point. A run killed mid-write leaves at most one
partial last line, which :class:`RunLog` cuts off when it opens the folder again; items without
a complete record are done again, items with one are skipped (``done_ids``). So a killed run
continues where it stopped with no duplicate and no loss. Raw model replies are kept in the
record (``raw``) whatever the status, so rejected sentences can be inspected.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from hilgen_graph.atomic import write_json
from hilgen_graph.errors import ConfigError, CorpusFormatError

RECORDS_FILE = "records.jsonl"
META_FILE = "meta.json"
LEDGER_FILE = "ledger.json"

T = TypeVar("T")

RecordStatus = Literal["ok", "rejected", "failed"]


def record_id(*parts: object) -> str:
    """A stable id for a work item from its parts (seed sentence id, prompt name, index, ...)."""
    text = "\x1f".join(str(p) for p in parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


class RunRecord(BaseModel):
    """One finished work item.

    ``status``: ``ok`` (produced output), ``rejected`` (the model answered but its output was
    refused; ``raw`` keeps the reply) or ``failed`` (no usable answer; ``error`` says why).
    ``payload`` is free JSON for the caller (generated sentences, funnel verdicts, ...).
    """

    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1)
    status: RecordStatus = "ok"
    payload: dict[str, Any] = Field(default_factory=dict)
    raw: str | None = None
    error: str | None = None
    attempts: int = 1
    seconds: float = 0.0
    created_at: float = Field(default_factory=time.time)


class RunLog:
    """The append-only record file of one run folder (thread-safe within a process).

    Opening a folder repairs a torn last line, loads the ids already done, and checks
    ``meta`` against the stored ``meta.json`` (``ConfigError`` if it differs, unless
    ``meta`` is ``None``).
    """

    def __init__(self, run_dir: str | Path, *, meta: Mapping[str, Any] | None = None) -> None:
        self.run_dir = Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.run_dir / RECORDS_FILE
        self._lock = threading.Lock()
        self._check_meta(meta)
        self.repaired_bytes = self._repair()
        self._done: set[str] = {r.id for r in self.records()}

    # -- meta ---------------------------------------------------------------------------------
    def _check_meta(self, meta: Mapping[str, Any] | None) -> None:
        meta_path = self.run_dir / META_FILE
        if meta is None:
            return
        wanted = json.loads(json.dumps(dict(meta), sort_keys=True, default=str))
        if meta_path.is_file():
            stored = json.loads(meta_path.read_text(encoding="utf-8"))
            if stored != wanted:
                diff = sorted(
                    k for k in set(stored) | set(wanted) if stored.get(k) != wanted.get(k)
                )
                raise ConfigError(
                    f"{self.run_dir}: this run folder was started with different settings "
                    f"(differs in: {', '.join(diff)}); how to fix: use a new run folder, or "
                    "rerun with the same settings to resume"
                )
        else:
            write_json(meta_path, wanted)

    @property
    def meta(self) -> dict[str, Any]:
        meta_path = self.run_dir / META_FILE
        if not meta_path.is_file():
            return {}
        data = json.loads(meta_path.read_text(encoding="utf-8"))
        return dict(data)

    # -- the record file ----------------------------------------------------------------------
    def _repair(self) -> int:
        """Cut a partial last line left by a killed writer; returns the bytes removed."""
        if not self.path.is_file():
            return 0
        size = self.path.stat().st_size
        if size == 0:
            return 0
        with self.path.open("rb+") as fh:
            fh.seek(max(0, size - 1))
            if fh.read(1) == b"\n":
                return 0
            # find the last newline; everything after it is a torn record
            pos = size
            block = 64 * 1024
            keep = 0
            while pos > 0:
                start = max(0, pos - block)
                fh.seek(start)
                chunk = fh.read(pos - start)
                idx = chunk.rfind(b"\n")
                if idx >= 0:
                    keep = start + idx + 1
                    break
                pos = start
            fh.truncate(keep)
            fh.flush()
            os.fsync(fh.fileno())
            return size - keep

    def records(self) -> Iterator[RunRecord]:
        """Every stored record in file order; the first record of an id wins."""
        if not self.path.is_file():
            return
        seen: set[str] = set()
        with self.path.open(encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, start=1):
                if not line.endswith("\n"):
                    return  # a torn last line being written right now: not committed
                if not line.strip():
                    continue
                try:
                    rec = RunRecord.model_validate_json(line)
                except PydanticValidationError as err:
                    raise CorpusFormatError(
                        f"run record is not valid: {err.errors()[0]['msg']}",
                        path=str(self.path),
                        line=lineno,
                        fix="remove that line; its work item will be done again on resume",
                    ) from err
                if rec.id in seen:
                    continue
                seen.add(rec.id)
                yield rec

    def done_ids(self) -> set[str]:
        """Ids of the work items that have a complete record."""
        with self._lock:
            return set(self._done)

    def __contains__(self, item_id: object) -> bool:
        with self._lock:
            return item_id in self._done

    def __len__(self) -> int:
        with self._lock:
            return len(self._done)

    def pending(self, items: Iterable[tuple[str, T]]) -> Iterator[tuple[str, T]]:
        """The ``(id, item)`` pairs that have no record yet, in order (duplicates dropped)."""
        seen: set[str] = set()
        done = self.done_ids()
        for item_id, item in items:
            if item_id in done or item_id in seen:
                continue
            seen.add(item_id)
            yield item_id, item

    def append(self, record: RunRecord) -> bool:
        """Commit one record; returns ``False`` (and writes nothing) if its id is already done."""
        line = (record.model_dump_json() + "\n").encode("utf-8")
        with self._lock:
            if record.id in self._done:
                return False
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                view = memoryview(line)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
                os.fsync(fd)
            finally:
                os.close(fd)
            self._done.add(record.id)
            return True

    @property
    def ledger_path(self) -> Path:
        return self.run_dir / LEDGER_FILE
