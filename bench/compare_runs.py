"""Paired per-seed comparison of one variant between two run folders of the same protocol
(same samples, dev subset and test split): dev F1 (the selection criterion) and test strict F1,
with the baseline of the first folder for reference.

    .venv/bin/python bench/compare_runs.py runs/bc5cdr-grid runs/bc5cdr-exact \
        --dataset bc5cdr --variant kg:all --seeds 1,2,3 [--json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def _result(root: Path, dataset: str, seed: int, variant: str) -> dict | None:
    f = root / "runs" / dataset / f"seed-{seed}" / variant.replace(":", "-") / "result.json"
    return json.loads(f.read_text()) if f.is_file() else None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("a", type=Path)
    ap.add_argument("b", type=Path)
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--variant", default="kg:all")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--family", default="linear")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rows = []
    for seed in [int(x) for x in args.seeds.split(",")]:
        base = _result(args.a, args.dataset, seed, "baseline")
        ra = _result(args.a, args.dataset, seed, args.variant)
        rb = _result(args.b, args.dataset, seed, args.variant)
        if not (base and ra and rb):
            continue
        pick = [r["families"][args.family] for r in (base, ra, rb)]
        rows.append(
            {
                "seed": seed,
                "dev": [round(100 * p["dev_f1"], 2) for p in pick],
                "test": [round(100 * p["test"]["strict"]["f1"], 2) for p in pick],
                "per_type_test": [
                    {t: round(100 * v["f1"], 2) for t, v in p["test"]["per_type"].items()}
                    for p in pick
                ],
                "n_synthetic": [ra["n_synthetic"], rb["n_synthetic"]],
            }
        )
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    print(f"{args.dataset} {args.variant}: baseline | {args.a.name} | {args.b.name}")
    print("| seed | dev base | dev A | dev B | test base | test A | test B | B - A (test) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        d, t = r["dev"], r["test"]
        print(
            f"| {r['seed']} | {d[0]} | {d[1]} | {d[2]} | {t[0]} | {t[1]} | {t[2]} | "
            f"{t[2] - t[1]:+.2f} |"
        )
    if rows:
        n = len(rows)
        mean = [sum(r["test"][i] for r in rows) / n for i in range(3)]
        dmean = [sum(r["dev"][i] for r in rows) / n for i in range(3)]
        print(
            f"| mean | {dmean[0]:.2f} | {dmean[1]:.2f} | {dmean[2]:.2f} | {mean[0]:.2f} | "
            f"{mean[1]:.2f} | {mean[2]:.2f} | {mean[2] - mean[1]:+.2f} |"
        )


if __name__ == "__main__":
    main()
