"""Measured runs of the LLM arm (issue 11): `prompts compare` of several templates on the same
k-shot samples, one folder per dataset and seed, each with its check reports as JSON.

Same settings as ``hilgen prompts compare`` (so the CLI replays these runs from the run log and
cache for free and prints the same table):

    .venv/bin/python bench/llm_arm_runs.py --corpus FILE --store DIR --base-url URL \
        --model qwen2.5-coder-1.5b --collapse-to Disease --seeds 1,2,3 --out-dir runs/llm/ncbi \
        --templates marked-rewrite,marked-new-context,grounded-parents-children,\
        paper-parents-children
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from hilgen_graph.agents.generate import GenerateConfig, compare_prompts
from hilgen_graph.atomic import write_json
from hilgen_graph.graph.backends import open_store


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, required=True)
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--model", default="qwen2.5-coder-1.5b")
    ap.add_argument("--collapse-to", default=None)
    ap.add_argument("--seeds", default="1")
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--per-seed", type=int, default=3)
    ap.add_argument("--concepts-per-layer", type=int, default=1)
    ap.add_argument("--layers", default="parents,children,siblings,synonyms")
    ap.add_argument("--templates", required=True)
    ap.add_argument("--out-dir", type=Path, required=True)
    args = ap.parse_args()
    store = open_store("embedded", path=args.store)
    try:
        for seed in [int(x) for x in args.seeds.split(",")]:
            folder = args.out_dir / f"seed{seed}"
            config = GenerateConfig(
                corpus=args.corpus,
                out=folder / "unused.jsonl",
                k=args.k,
                seed=seed,
                per_seed=args.per_seed,
                model=args.model,
                base_url=args.base_url,
                collapse_to=args.collapse_to,
                layers=tuple(x for x in args.layers.split(",") if x),
                concepts_per_layer=args.concepts_per_layer,
                store_ref=str(args.store),
            )
            t0 = time.time()
            load0 = os.getloadavg()
            reports = compare_prompts(config, args.templates.split(","), store, folder)
            out = {
                "seed": seed,
                "wall_s": round(time.time() - t0, 1),
                "load_before": load0,
                "load_after": os.getloadavg(),
                "reports": {name: r.to_json() for name, r in reports.items()},
            }
            write_json(folder / "compare.json", out)
            print(json.dumps({"seed": seed, "wall_s": out["wall_s"], "load": out["load_after"]}))
            for name, r in reports.items():
                print(
                    f"  {name}: {r.accepted}/{r.total} accepted, rejected {r.rejected}, "
                    f"extra {json.dumps(r.extra)}",
                    flush=True,
                )
    finally:
        store.close()


if __name__ == "__main__":
    main()
