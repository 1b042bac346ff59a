"""Streaming speed of every knowledge source, against a bare line-by-line read of the same files.

The UMLS source streams a synthetic release at UMLS proportions (default 1M concepts, 4M MRCONSO
rows, 3M is-a rows in MRREL; ``quick``: 20k concepts), generated once into the cache folder. Each
measurement runs in a fresh child process so that its peak RSS is its own. The baseline is the
physical limit here: reading the same RRF files line by line and doing nothing with the lines
(and, as a second baseline, splitting each line on ``|``).

Wall-clock figures depend on what else runs on the machine; the ``*_cpu_*`` figures (process CPU
time of the child) are the ones to compare across runs on a shared box.

Run: ``python -m bench.run_all --only sources [--quick]``; or this module directly.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from hilgen_graph.settings import cache_dir
from hilgen_graph.testing.synthetic_rrf import SyntheticRrfSpec, write_synthetic_rrf

RRF_FILES = ("MRCONSO.RRF", "MRSTY.RRF", "MRREL.RRF")

_CHILD = r"""
import json, resource, sys, time
kind, arg = sys.argv[1], sys.argv[2]
from hilgen_graph.graph_loader.sources import iter_source
t0 = time.perf_counter()
c0 = time.process_time()
n = rows = 0
if kind == "read":
    for name in arg.split(","):
        with open(name, encoding="utf-8") as fh:
            for _ in fh:
                n += 1
    rows = n
elif kind == "split":
    for name in arg.split(","):
        with open(name, encoding="utf-8") as fh:
            for line in fh:
                line.split("|")
                n += 1
    rows = n
else:
    options = json.loads(arg)
    for _ in iter_source(kind, **options):
        n += 1
seconds = time.perf_counter() - t0
cpu = time.process_time() - c0
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"records": n, "rows": rows, "seconds": seconds, "cpu_seconds": cpu,
                  "peak_rss_mb": peak_kib / 1024}))
"""


def _child(kind: str, arg: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, kind, arg],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _release(spec: SyntheticRrfSpec) -> tuple[Path, dict[str, int], float | None]:
    """The synthetic release for ``spec``, generated once into the cache folder."""
    folder = cache_dir() / "bench" / f"synthetic_rrf_{spec.concepts}_{spec.seed}"
    marker = folder / "release.json"
    if marker.is_file():
        rows = json.loads(marker.read_text())["rows"]
        return folder, rows, None
    started = time.perf_counter()
    release = write_synthetic_rrf(folder, spec)
    seconds = time.perf_counter() - started
    marker.write_text(json.dumps({"rows": release.rows, "isa_edges": release.isa_edges}))
    return folder, dict(release.rows), seconds


def run(quick: bool = False) -> dict[str, object]:
    spec = SyntheticRrfSpec().scaled(20_000) if quick else SyntheticRrfSpec()
    folder, rows, gen_seconds = _release(spec)
    input_rows = sum(rows[name] for name in RRF_FILES)
    paths = ",".join(str(folder / name) for name in RRF_FILES)

    bare = _child("read", paths)
    split = _child("split", paths)
    umls = _child("umls", json.dumps({"umls_dir": str(folder)}))
    umls_rows_s = input_rows / umls["seconds"]
    bare_rows_s = bare["rows"] / bare["seconds"]
    result: dict[str, object] = {
        "synthetic_release": {
            "concepts": spec.concepts,
            "rows": rows,
            "generated_in_s": round(gen_seconds, 1) if gen_seconds is not None else "cached",
        },
        "baseline_bare_read": {
            "rows_per_s": round(bare_rows_s),
            "rows_per_cpu_s": round(bare["rows"] / bare["cpu_seconds"]),
            "seconds": round(bare["seconds"], 2),
        },
        "baseline_read_and_split": {
            "rows_per_s": round(split["rows"] / split["seconds"]),
            "rows_per_cpu_s": round(split["rows"] / split["cpu_seconds"]),
            "seconds": round(split["seconds"], 2),
        },
        "umls": {
            "input_rrf_rows": input_rows,
            "records": int(umls["records"]),
            "seconds": round(umls["seconds"], 2),
            "cpu_seconds": round(umls["cpu_seconds"], 2),
            "rrf_rows_per_s": round(umls_rows_s),
            "rrf_rows_per_cpu_s": round(input_rows / umls["cpu_seconds"]),
            "records_per_s": round(umls["records"] / umls["seconds"]),
            "peak_rss_mb": round(umls["peak_rss_mb"], 1),
            "ratio_to_bare_read": round(umls_rows_s / bare_rows_s, 3),
            "ratio_to_bare_read_cpu": round(
                (input_rows / umls["cpu_seconds"]) / (bare["rows"] / bare["cpu_seconds"]), 3
            ),
        },
    }
    for name in ("mesh", "doid", "hpo", "semantic_network", "free"):
        figures = _child(name, "{}")
        result[name] = {
            "records": int(figures["records"]),
            "seconds": round(figures["seconds"], 2),
            "cpu_seconds": round(figures["cpu_seconds"], 2),
            "records_per_s": round(figures["records"] / figures["seconds"]),
            "peak_rss_mb": round(figures["peak_rss_mb"], 1),
        }
    return result


if __name__ == "__main__":
    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
