"""Resumable runs: a killed run continues where it stopped with no duplicate and no loss."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from hilgen_graph.errors import ConfigError, CorpusFormatError
from hilgen_graph.llm.runlog import RECORDS_FILE, RunLog, RunRecord, record_id


def test_append_records_and_resume(tmp_path: Path) -> None:
    log = RunLog(tmp_path, meta={"model": "m", "k": 5})
    assert log.append(RunRecord(id="a", payload={"n": 1}, raw="raw a"))
    assert log.append(RunRecord(id="b", status="rejected", raw="garbage", error="parse"))
    assert not log.append(RunRecord(id="a", payload={"n": 2}))  # duplicate id: refused
    again = RunLog(tmp_path, meta={"k": 5, "model": "m"})  # same meta, any key order
    assert again.done_ids() == {"a", "b"} and len(again) == 2
    recs = {r.id: r for r in again.records()}
    assert recs["a"].payload == {"n": 1} and recs["b"].raw == "garbage"
    items = [("a", 1), ("c", 3), ("b", 2), ("c", 3), ("d", 4)]
    assert list(again.pending(items)) == [("c", 3), ("d", 4)]


def test_changed_settings_are_refused(tmp_path: Path) -> None:
    RunLog(tmp_path, meta={"model": "m", "k": 5})
    with pytest.raises(ConfigError, match="differs in: k"):
        RunLog(tmp_path, meta={"model": "m", "k": 10})
    assert RunLog(tmp_path).meta == {"model": "m", "k": 5}  # meta=None: no check


def test_torn_last_line_is_cut_and_redone(tmp_path: Path) -> None:
    log = RunLog(tmp_path)
    log.append(RunRecord(id="a"))
    with (tmp_path / RECORDS_FILE).open("a") as fh:
        fh.write('{"id": "b", "status": "ok", "pay')  # a writer killed mid-line
    again = RunLog(tmp_path)
    assert again.repaired_bytes > 0 and again.done_ids() == {"a"}
    assert again.append(RunRecord(id="b"))
    lines = (tmp_path / RECORDS_FILE).read_text().splitlines()
    assert [json.loads(x)["id"] for x in lines] == ["a", "b"]


def test_corrupt_middle_line_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / RECORDS_FILE).write_text('{"id": "a"}\n{"nope": 1}\n')
    with pytest.raises(CorpusFormatError, match=r"records.jsonl:2"):
        RunLog(tmp_path)


def test_record_ids_are_stable() -> None:
    assert record_id("s1", "prompt", 0) == record_id("s1", "prompt", 0)
    assert record_id("s1", "prompt", 0) != record_id("s1", "prompt", 1)
    assert record_id("a", "bc") != record_id("ab", "c")


WORKER = textwrap.dedent(
    """
    import sys, time
    from hilgen_graph.llm.runlog import RunLog, RunRecord
    log = RunLog(sys.argv[1], meta={"task": "count"})
    for i in range(int(sys.argv[2])):
        rid = f"item-{i:04d}"
        if rid in log:
            continue
        time.sleep(0.002)
        log.append(RunRecord(id=rid, payload={"i": i}, raw="x" * 2000))
        print(rid, flush=True)
    """
)


def test_killed_run_continues_without_duplicate_or_loss(tmp_path: Path) -> None:
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    run_dir = tmp_path / "run"
    n = 400
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, str(script), str(run_dir), str(n)], stdout=subprocess.PIPE, env=env
    )
    assert proc.stdout is not None
    for _ in range(50):  # let it commit some records, then kill it without warning
        proc.stdout.readline()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()
    partial = RunLog(run_dir).done_ids()
    assert 50 <= len(partial) < n
    t0 = time.monotonic()
    subprocess.run(
        [sys.executable, str(script), str(run_dir), str(n)],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
        timeout=120,
    )
    assert time.monotonic() - t0 < 120
    ids = [json.loads(x)["id"] for x in (run_dir / RECORDS_FILE).read_text().splitlines()]
    assert len(ids) == len(set(ids)) == n  # no duplicate, no loss
    assert set(ids) == {f"item-{i:04d}" for i in range(n)}
