"""Embedded graph store at UMLS scale: bulk load speed, memory, size on disk, query latency.

A synthetic UMLS release (``graph_loader.synthetic_rrf``; 1M concepts, 4M MRCONSO rows, 3M is-a
MRREL rows; quick mode 50k concepts) is written to a temporary folder. Then, in a fresh child
process (so its peak RSS is the load's own):

* the end-to-end load (RRF parse -> records -> bulk Parquet -> ``COPY``), as RRF rows per second;
* the baseline: a bare line-by-line read of the same RRF files, in the same process; the ratio
  load/baseline says how close the load is to this machine's physical limit;
* peak RSS, store size on disk, and p50/p95/max latency of every query family over 1000 random
  concept ids (read-only store, warm), both wall-clock and CPU time (``cpu_*``; the CPU time of
the process, which stays meaningful when other jobs share the machine).

Targets (issue 3): >= 200k RRF rows/s, peak RSS < 3 GB, p95 < 5 ms for every neighbour query.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.measure import bare_read, dir_size, percentiles, rss_mb
from bench.query_families import query_families

FULL = {"concepts": 1_000_000, "conso_rows": 4_000_000, "isa_rows": 3_000_000}
QUICK = {"concepts": 50_000, "conso_rows": 200_000, "isa_rows": 150_000}
N_QUERIES = 1000
TARGET_ROWS_PER_S = 200_000
TARGET_RSS_MB = 3072
TARGET_P95_MS = 5.0


def _cpu_s() -> float:
    """CPU seconds of this process so far (all threads, user + system)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _child(meta_dir: str, store_dir: str, rrf_files: list[str], concepts: int) -> dict[str, Any]:
    from hilgen_graph.graph.bulk import build_store
    from hilgen_graph.graph.embedded import EmbeddedStore
    from hilgen_graph.graph_loader.sources import open_source
    from hilgen_graph.testing.synthetic_rrf import cui

    files = [Path(f) for f in rrf_files]
    base_rows, base_s = bare_read(files)
    phases: dict[str, float] = {}
    started = time.perf_counter()

    def progress(phase: str, n: int) -> None:
        phases[phase] = time.perf_counter() - started

    cpu0 = _cpu_s()
    source = open_source("umls", umls_dir=meta_dir)
    report = build_store(source, store_dir, progress=progress)
    load_s = time.perf_counter() - started
    load_cpu_s = _cpu_s() - cpu0
    rss_load = rss_mb()

    store = EmbeddedStore(store_dir)
    families = query_families(store, concepts, N_QUERIES, cui)
    latency: dict[str, dict[str, float]] = {}
    sizes: dict[str, float] = {}
    for family, call in families.items():
        samples = []
        cpu_samples = []
        total = 0
        for i in range(N_QUERIES):
            c0 = time.process_time()
            t0 = time.perf_counter()
            out = call(i)
            samples.append(time.perf_counter() - t0)
            cpu_samples.append(time.process_time() - c0)
            total += len(out) if hasattr(out, "__len__") else 1  # type: ignore[arg-type]
        latency[family] = percentiles(samples)
        cpu = percentiles(cpu_samples)
        latency[family].update({"cpu_p50_ms": cpu["p50_ms"], "cpu_p95_ms": cpu["p95_ms"]})
        sizes[family] = round(total / N_QUERIES, 2)
    t0 = time.perf_counter()
    reopened = EmbeddedStore(store_dir)
    reopen_s = time.perf_counter() - t0
    reopened.close()
    store.close()
    rrf_rows = base_rows
    load_rate = rrf_rows / load_s
    base_rate = base_rows / base_s
    neighbour = [f for f in latency if f != "concept"]
    return {
        "rrf_rows": rrf_rows,
        "source_report": {"dropped": source.report.dropped, "skipped": len(source.report.skipped)},
        "stats": report.stats.as_dict(),
        "store_dropped": report.dropped,
        "load_seconds": round(load_s, 2),
        "load_cpu_seconds": round(load_cpu_s, 2),
        "load_rows_per_cpu_s": round(rrf_rows / load_cpu_s),
        "loadavg_1m_after_load": round(os.getloadavg()[0], 2),
        "load_phases_s": {k: round(v, 2) for k, v in phases.items()},
        "load_rows_per_s": round(load_rate),
        "bare_read_seconds": round(base_s, 2),
        "bare_read_rows_per_s": round(base_rate),
        "load_vs_bare_read": round(load_rate / base_rate, 4),
        "peak_rss_mb_after_load": round(rss_load, 1),
        "peak_rss_mb": round(rss_mb(), 1),
        "store_mb": round(dir_size(Path(store_dir)) / 2**20, 1),
        "reopen_ms": round(reopen_s * 1000, 2),
        "latency": latency,
        "loadavg_1m_after_queries": round(os.getloadavg()[0], 2),
        "mean_results": sizes,
        "targets": {
            "load_rows_per_s>=200k": load_rate >= TARGET_ROWS_PER_S,
            "peak_rss<3GB": rss_load < TARGET_RSS_MB,
            "p95<5ms_every_neighbour_query": all(
                latency[f]["p95_ms"] < TARGET_P95_MS for f in neighbour
            ),
        },
    }


def run(quick: bool = False) -> dict[str, Any]:
    from hilgen_graph.testing.synthetic_rrf import SyntheticRrfSpec, write_synthetic_rrf

    sizes = QUICK if quick else FULL
    tmp = Path(tempfile.mkdtemp(prefix="hilgen-bench-graph-"))
    try:
        t0 = time.perf_counter()
        release = write_synthetic_rrf(tmp / "META", SyntheticRrfSpec(**sizes))
        generate_s = time.perf_counter() - t0
        rrf_files = [str(release.files[n]) for n in sorted(release.files) if n != "MRFILES.RRF"]
        ctx = mp.get_context("spawn")
        with ctx.Pool(1) as pool:
            result: dict[str, Any] = pool.apply(
                _child, (str(release.meta_dir), str(tmp / "store"), rrf_files, sizes["concepts"])
            )
        return {
            "sizes": sizes,
            "rrf_rows_by_file": dict(release.rows),
            "generate_seconds": round(generate_s, 1),
            "cpus": os.cpu_count(),
            **result,
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick=True), indent=2))
