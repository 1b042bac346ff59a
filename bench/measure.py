"""Measurement helpers shared by the benchmarks: sizes on disk, peak memory, the bare-read
baseline and latency percentiles."""

from __future__ import annotations

import resource
import statistics
import time
from pathlib import Path


def rss_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def dir_size(path: Path) -> int:
    """Bytes of every file below ``path``."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def bare_read(files: list[Path]) -> tuple[int, float]:
    """Rows and seconds of a bare line-by-line read of ``files``: the physical limit."""
    started = time.perf_counter()
    rows = 0
    for f in files:
        with f.open("r", encoding="utf-8", newline="\n") as fh:
            for _ in fh:
                rows += 1
    return rows, time.perf_counter() - started


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50, p95 and max of latency samples (seconds), in milliseconds."""
    ordered = sorted(samples)
    q = statistics.quantiles(ordered, n=100, method="inclusive")
    return {
        "p50_ms": round(q[49] * 1000, 3),
        "p95_ms": round(q[94] * 1000, 3),
        "max_ms": round(ordered[-1] * 1000, 3),
    }
