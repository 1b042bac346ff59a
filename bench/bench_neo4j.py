"""Neo4j store: batched load, query latency, and the admin-import CSV export at UMLS scale.

Two parts, each on a synthetic UMLS release (``graph_loader.synthetic_rrf``):

* **Neo4j store** (50k concepts, 200k MRCONSO rows, 150k is-a MRREL rows; quick mode 5k): a real
  Neo4j 5.26 is started (``tests/support/neo4j_server.py``), the release is loaded end to end
  with the batched ``UNWIND`` writes (RRF parse -> records -> Bolt), and we report RRF rows/s,
  its ratio to a bare line-by-line read of the same files (same process), peak RSS of this
  process and of the server JVM, the database size on disk, and p50/p95/max latency of every
  query family over 1000 random concept ids (the same families as ``bench_graph``).
* **Admin-import CSV export** (1M concepts, 4M MRCONSO rows, 3M is-a rows; quick mode 50k):
  ``export_admin_csv`` end to end from the RRF files, reported as RRF rows/s and CSV rows/s, the
  export's own rate (the source's parse time, measured alone in the same process, subtracted),
  and the ratio to the bare line read. Target (issue 3): >= 400k rows/s. The 50k export is also
  fed to the real ``neo4j-admin database import full`` and its time reported.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.measure import bare_read, dir_size, percentiles, rss_mb
from bench.query_families import query_families

STORE_FULL = {"concepts": 50_000, "conso_rows": 200_000, "isa_rows": 150_000}
STORE_QUICK = {"concepts": 5_000, "conso_rows": 20_000, "isa_rows": 15_000}
EXPORT_FULL = {"concepts": 1_000_000, "conso_rows": 4_000_000, "isa_rows": 3_000_000}
EXPORT_QUICK = {"concepts": 50_000, "conso_rows": 200_000, "isa_rows": 150_000}
N_QUERIES = 1000
N_QUERIES_QUICK = 200
TARGET_EXPORT_ROWS_PER_S = 400_000
RRF_FILES = ("MRCONSO.RRF", "MRSTY.RRF", "MRREL.RRF")


def _jvm_peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024.0, 1)
    except OSError:
        return None
    return None


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process (from /proc), e.g. the server JVM."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _release(root: Path, sizes: dict[str, int]) -> tuple[Path, list[Path]]:
    from hilgen_graph.testing.synthetic_rrf import SyntheticRrfSpec, write_synthetic_rrf

    meta = root / f"rrf-{sizes['concepts']}"
    spec = SyntheticRrfSpec(
        concepts=sizes["concepts"], conso_rows=sizes["conso_rows"], isa_rows=sizes["isa_rows"]
    )
    release = write_synthetic_rrf(meta, spec)
    return meta, [release.files[n] for n in RRF_FILES]


def _store_part(root: Path, quick: bool) -> dict[str, Any]:
    from tests.support.neo4j_server import start_neo4j

    from hilgen_graph.graph.neo4j_store import Neo4jStore
    from hilgen_graph.graph_loader.sources import open_source
    from hilgen_graph.testing.synthetic_rrf import cui

    sizes = STORE_QUICK if quick else STORE_FULL
    n_queries = N_QUERIES_QUICK if quick else N_QUERIES
    meta, files = _release(root, sizes)
    base_rows, base_s = bare_read(files)
    server = start_neo4j(root / "neo4j", heap="1g")
    try:
        store = Neo4jStore(server.uri)
        jvm_cpu0 = _cpu_seconds(server.pid) or 0.0
        cpu0 = time.process_time()
        started = time.perf_counter()
        report = store.load_with_report(open_source("umls", umls_dir=meta))
        load_s = time.perf_counter() - started
        load_cpu_s = time.process_time() - cpu0 + ((_cpu_seconds(server.pid) or 0.0) - jvm_cpu0)
        store_mb = dir_size(root / "neo4j") / 2**20
        families = query_families(store, sizes["concepts"], n_queries, cui)
        for call in families.values():  # warm the query plans
            for i in range(min(20, n_queries)):
                call(i)
        latency: dict[str, dict[str, float]] = {}
        for family, call in families.items():
            samples = []
            for i in range(n_queries):
                t0 = time.perf_counter()
                call(i)
                samples.append(time.perf_counter() - t0)
            latency[family] = percentiles(samples)
        store.close()
        jvm_rss = _jvm_peak_rss_mb(server.pid)
    finally:
        server.stop()
    load_rate = base_rows / load_s
    base_rate = base_rows / base_s
    return {
        "sizes": sizes,
        "rrf_rows": base_rows,
        "records": report.records,
        "stats": report.stats.as_dict(),
        "store_dropped": report.dropped,
        "load_seconds": round(load_s, 2),
        "load_rows_per_s": round(load_rate),
        "load_records_per_s": round(report.records / load_s),
        "load_cpu_seconds_python_plus_jvm": round(load_cpu_s, 2),
        "load_rows_per_cpu_s": round(base_rows / load_cpu_s),
        "bare_read_rows_per_s": round(base_rate),
        "load_vs_bare_read": round(load_rate / base_rate, 5),
        "store_mb_on_disk": round(store_mb, 1),
        "peak_rss_mb_python": round(rss_mb(), 1),
        "peak_rss_mb_neo4j_jvm": jvm_rss,
        "queries": n_queries,
        "latency": latency,
    }


def _export_part(root: Path, quick: bool) -> dict[str, Any]:
    from hilgen_graph.graph.neo4j_export import export_admin_csv
    from hilgen_graph.graph_loader.sources import open_source

    sizes = EXPORT_QUICK if quick else EXPORT_FULL
    meta, files = _release(root, sizes)
    base_rows, base_s = bare_read(files)
    c0 = time.process_time()
    t0 = time.perf_counter()
    records = sum(1 for _ in open_source("umls", umls_dir=meta))
    source_s = time.perf_counter() - t0
    source_cpu = time.process_time() - c0
    out = root / f"csv-{sizes['concepts']}"
    c0 = time.process_time()
    stats = export_admin_csv(open_source("umls", umls_dir=meta), out)
    export_cpu = time.process_time() - c0
    export_s = stats.seconds
    own_s = max(export_s - source_s, 1e-9)
    own_cpu = max(export_cpu - source_cpu, 1e-9)
    # CPU time is what this process got of the 2 shared cores: robust when other jobs run.
    base_cpu0 = time.process_time()
    bare_read(files)
    base_cpu = time.process_time() - base_cpu0
    rate = base_rows / export_s
    base_rate = base_rows / base_s
    result: dict[str, Any] = {
        "sizes": sizes,
        "rrf_rows": base_rows,
        "records": records,
        "csv_rows": stats.rows_written,
        "csv_mb": round(dir_size(out) / 2**20, 1),
        "source_only_seconds": round(source_s, 2),
        "export_seconds": round(export_s, 2),
        "export_rrf_rows_per_s": round(rate),
        "export_csv_rows_per_s": round(stats.rows_written / export_s),
        "export_own_csv_rows_per_s": round(stats.rows_written / own_s),
        "export_own_records_per_s": round(records / own_s),
        "bare_read_rows_per_s": round(base_rate),
        "export_vs_bare_read": round(rate / base_rate, 4),
        "cpu": {
            "source_only_cpu_s": round(source_cpu, 2),
            "export_cpu_s": round(export_cpu, 2),
            "export_rrf_rows_per_cpu_s": round(base_rows / export_cpu),
            "export_csv_rows_per_cpu_s": round(stats.rows_written / export_cpu),
            "export_own_csv_rows_per_cpu_s": round(stats.rows_written / own_cpu),
            "bare_read_rows_per_cpu_s": round(base_rows / base_cpu),
            "export_vs_bare_read": round((base_rows / export_cpu) / (base_rows / base_cpu), 4),
        },
        "peak_rss_mb": round(rss_mb(), 1),
        "targets": {
            "export_csv_rows_per_s>=400k": stats.rows_written / export_s
            >= TARGET_EXPORT_ROWS_PER_S,
            "export_own_csv_rows_per_cpu_s>=400k": stats.rows_written / own_cpu
            >= TARGET_EXPORT_ROWS_PER_S,
        },
    }
    return result


def _admin_import_part(root: Path) -> dict[str, Any]:
    """Feed a 50k-concept export to the real neo4j-admin importer (offline, 2 threads)."""
    from tests.support.neo4j_server import admin_import, start_neo4j

    from hilgen_graph.graph.neo4j_export import export_admin_csv
    from hilgen_graph.graph.neo4j_store import Neo4jStore
    from hilgen_graph.graph_loader.sources import open_source

    meta, _ = _release(root, EXPORT_QUICK)
    out = root / "csv-import"
    stats = export_admin_csv(open_source("umls", umls_dir=meta), out)
    imported = admin_import(out, list(stats.command[4:-1]), root / "imported")
    server = start_neo4j(root / "neo4j-imported", copy_from=root / "imported")
    try:
        t0 = time.perf_counter()
        store = Neo4jStore(server.uri)
        graph = store.finish_import()
        finish_s = time.perf_counter() - t0
        store.close()
    finally:
        server.stop()
    return {
        "sizes": EXPORT_QUICK,
        "csv_rows": stats.rows_written,
        "admin_import_seconds_incl_jvm_start": round(imported.seconds, 2),
        "admin_import_csv_rows_per_s": round(stats.rows_written / imported.seconds),
        "finish_import_seconds": round(finish_s, 2),
        "stats": graph.as_dict(),
    }


def run(quick: bool = False) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="bench-neo4j-"))
    try:
        return {
            "store": _store_part(root, quick),
            "export": _export_part(root, quick),
            "admin_import": _admin_import_part(root),
        }
    finally:
        shutil.rmtree(root, ignore_errors=True)
