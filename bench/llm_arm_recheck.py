"""Re-check the accepted sentences of measured LLM-arm runs with the current funnel (``hilgen
check`` semantics: accepted records run through every stage again, generation-time rejections
kept as recorded) and sum per template over the seeds.

    .venv/bin/python bench/llm_arm_recheck.py runs/llm/ncbi --store runs/free-store
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from hilgen_graph.graph.backends import open_store
from hilgen_graph.validation.report import check_file


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("root", type=Path)
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--seeds", default=None)
    args = ap.parse_args()
    only = set(args.seeds.split(",")) if args.seeds else None
    store = open_store("embedded", path=args.store)
    per: dict[str, Counter[str]] = {}
    stages: dict[str, Counter[str]] = {}
    try:
        for path in sorted(args.root.glob("seed*/*.jsonl")):
            if path.name.endswith(".rejected.jsonl") or path.name == "unused.jsonl":
                continue
            if only is not None and path.parent.name.removeprefix("seed") not in only:
                continue
            name = path.name.removesuffix(".jsonl")
            report = check_file(path, store)
            c = per.setdefault(name, Counter())
            c["candidates"] += report.total
            c["accepted"] += report.accepted
            stages.setdefault(name, Counter()).update(report.rejected)
    finally:
        store.close()
    out = {
        name: {
            "candidates": c["candidates"],
            "accepted": c["accepted"],
            "acceptance": round(c["accepted"] / c["candidates"], 3) if c["candidates"] else 0,
            "rejected": dict(stages[name]),
        }
        for name, c in per.items()
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
