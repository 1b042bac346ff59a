"""Pair the nnshot family of two run folders of one grid that differ only in
``training.nnshot_support`` (e.g. runs/grid-gold-support against runs/grid-bf16).

Usage: python -m bench.support_compare GOLD_DIR TRAIN_DIR; prints a Markdown table per dataset
and variant: dev and test strict F1 of nnshot (mean over the seeds both folders finished), the
per-seed test gain of the gold-only support, whether the linear family is unchanged, and the CPU
time of the paired cells."""

from __future__ import annotations

import statistics
import sys
from pathlib import Path
from typing import Any

from bench.precision_compare import run_cells


def cells(run_dir: Path) -> dict[tuple[str, int, str], dict[str, Any]]:
    """The grid folder's finished runs by (dataset, seed, variant)."""
    return {(r["dataset"], r["seed"], r["variant"]): r for r in run_cells(run_dir).values()}


def main(gold_dir: str, train_dir: str) -> None:
    gold, train = cells(Path(gold_dir)), cells(Path(train_dir))
    paired = sorted(k for k in gold if k in train and k[2] != "baseline")
    rows: dict[tuple[str, str], list[tuple[int, dict, dict]]] = {}
    for ds, seed, variant in paired:
        rows.setdefault((ds, variant), []).append(
            (seed, gold[ds, seed, variant], train[ds, seed, variant])
        )
    print(
        "| dataset | variant | seeds | nnshot dev: train → gold | nnshot test: train → gold | "
        "per-seed test gain | linear unchanged | CPU-min train → gold |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for (ds, variant), items in rows.items():

        def f1(r: dict, part: str) -> float:
            fam = r["families"]["nnshot"]
            return 100 * (fam["dev_f1"] if part == "dev" else fam["test"]["strict"]["f1"])

        dev_t = statistics.mean(f1(t, "dev") for _, _, t in items)
        dev_g = statistics.mean(f1(g, "dev") for _, g, _ in items)
        test_t = statistics.mean(f1(t, "test") for _, _, t in items)
        test_g = statistics.mean(f1(g, "test") for _, g, _ in items)
        gains = ", ".join(f"{f1(g, 'test') - f1(t, 'test'):+.2f}" for _, g, t in items)
        same = sum(g["families"]["linear"] == t["families"]["linear"] for _, g, t in items)
        cpu_t = sum(t["timing"]["cpu_seconds"] for _, _, t in items) / 60
        cpu_g = sum(g["timing"]["cpu_seconds"] for _, g, _ in items) / 60
        print(
            f"| {ds} | {variant} | {','.join(str(s) for s, _, _ in items)} | "
            f"{dev_t:.2f} → {dev_g:.2f} | {test_t:.2f} → {test_g:.2f} | {gains} | "
            f"{same}/{len(items)} | {cpu_t:.1f} → {cpu_g:.1f} |"
        )


if __name__ == "__main__":
    main(*sys.argv[1:3])
