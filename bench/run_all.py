"""Run every benchmark module ``bench/bench_*.py`` and write its figures to ``bench/results/``.

Each module exposes ``run(quick: bool = False) -> dict``; its result is written atomically to
``bench/results/<name>.json`` together with the machine it ran on. ``--quick`` uses small sizes;
``--only NAME`` runs one module.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import tempfile
import time
import traceback
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def _machine() -> dict[str, object]:
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
    }


def _write_atomic(path: Path, obj: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, indent=2, default=str)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--only", action="append", default=[], help="run only this module")
    args = parser.parse_args(argv)
    names = sorted(p.stem for p in Path(__file__).parent.glob("bench_*.py"))
    if args.only:
        names = [n for n in names if n in args.only or n.removeprefix("bench_") in args.only]
    failed = 0
    for name in names:
        started = time.time()
        print(f"== {name}", flush=True)
        try:
            module = importlib.import_module(f"bench.{name}")
            result = module.run(quick=args.quick)
            status = "ok"
        except Exception:  # a failing benchmark is recorded, the others still run
            result = {"error": traceback.format_exc()}
            status = "failed"
            failed += 1
        record = {
            "benchmark": name,
            "status": status,
            "quick": args.quick,
            "seconds": round(time.time() - started, 2),
            "machine": _machine(),
            "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "result": result,
        }
        _write_atomic(RESULTS / f"{name.removeprefix('bench_')}.json", record)
        print(json.dumps(record["result"], indent=2, default=str)[:4000], flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
