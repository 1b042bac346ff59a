"""The same grid cells in two precisions: test strict F1 and the chosen step per cell, paired.

Every run in the bf16 folder that also exists (same dataset, seed, variant folder) in one of the
fp32 folders is compared: the per-cell difference, how many cells chose the same dev step, the
per-variant means over the shared seeds, and the CPU time of the two runs where both recorded
it. Markdown on stdout (or ``--out FILE``).

    .venv/bin/python bench/precision_compare.py runs/grid-bf16 runs/ncbi-grid runs/bc5cdr-grid \
        --out bench/results/evaluation/precision_bf16_vs_fp32.md
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any


def run_cells(root: Path) -> dict[str, dict[str, Any]]:
    """Every finished run of a grid folder: its ``result.json`` by ``dataset/seed-N/variant``."""
    out = {}
    for f in sorted((root / "runs").glob("*/seed-*/*/result.json")):
        out[str(f.relative_to(root / "runs"))] = json.loads(f.read_text())
    return out


def compare(bf16: Path, fp32: list[Path], family: str = "linear") -> str:
    ref: dict[str, dict[str, Any]] = {}
    for root in fp32:
        ref.update(run_cells(root))
    rows = []
    for rel, b in run_cells(bf16).items():
        a = ref.get(rel)
        if a is None or family not in a["families"] or family not in b["families"]:
            continue
        fa, fb = a["families"][family], b["families"][family]
        rows.append(
            {
                "dataset": b["dataset"],
                "variant": b["variant"],
                "seed": b["seed"],
                "fp32": 100 * fa["test"]["strict"]["f1"],
                "bf16": 100 * fb["test"]["strict"]["f1"],
                "step_fp32": fa["best_step"],
                "step_bf16": fb["best_step"],
                "cpu_fp32": a.get("timing", {}).get("cpu_seconds"),
                "cpu_bf16": b.get("timing", {}).get("cpu_seconds"),
                "families_fp32": "+".join(sorted(a["families"])),
                "families_bf16": "+".join(sorted(b["families"])),
            }
        )
    if not rows:
        return "No cell is in both folders.\n"
    diffs = [r["bf16"] - r["fp32"] for r in rows]
    same_step = sum(r["step_fp32"] == r["step_bf16"] for r in rows)
    lines = [
        f"Family `{family}`: {len(rows)} cells in both precisions (same sample, dev subset, test "
        "split and initial head per seed). bf16 − fp32 test strict F1 per cell: "
        f"mean {statistics.mean(diffs):+.3f} points, mean |d| "
        f"{statistics.mean(abs(d) for d in diffs):.3f}, largest |d| "
        f"{max(abs(d) for d in diffs):.3f}; the same dev-chosen step in {same_step} of "
        f"{len(rows)} cells.",
        "",
    ]
    timed = [r for r in rows if r["cpu_fp32"] and r["cpu_bf16"]]
    if timed:
        fp = sum(r["cpu_fp32"] for r in timed)
        bf = sum(r["cpu_bf16"] for r in timed)
        fam_a = sorted({r["families_fp32"] for r in timed})
        fam_b = sorted({r["families_bf16"] for r in timed})
        lines += [
            f"CPU time of the {len(timed)} cells that recorded it in both: fp32 "
            f"{fp / 60:.1f} CPU-min (families trained: {', '.join(fam_a)}), bf16 "
            f"{bf / 60:.1f} CPU-min ({', '.join(fam_b)}): {fp / bf:.2f}x.",
            "",
        ]
    by_variant: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_variant[(r["dataset"], r["variant"])].append(r)
    lines += [
        "| dataset | variant | seeds | fp32 mean | bf16 mean | bf16 − fp32 |",
        "|---|---|---|---|---|---|",
    ]
    for (ds, v), rs in by_variant.items():
        a = statistics.mean(r["fp32"] for r in rs)
        b = statistics.mean(r["bf16"] for r in rs)
        seeds = ",".join(str(r["seed"]) for r in sorted(rs, key=lambda r: r["seed"]))
        lines.append(f"| {ds} | {v} | {seeds} | {a:.2f} | {b:.2f} | {b - a:+.2f} |")
    lines += [
        "",
        "| dataset | variant | seed | fp32 F1 | bf16 F1 | d | step fp32 | step bf16 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['dataset']} | {r['variant']} | {r['seed']} | {r['fp32']:.2f} | "
            f"{r['bf16']:.2f} | {r['bf16'] - r['fp32']:+.2f} | {r['step_fp32']} | "
            f"{r['step_bf16']} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("bf16", type=Path, help="the run folder trained with precision bf16")
    ap.add_argument("fp32", type=Path, nargs="+", help="run folder(s) of the same grid in fp32")
    ap.add_argument("--family", default="linear")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    text = compare(args.bf16, args.fp32, args.family)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        print(text, end="")


if __name__ == "__main__":
    main()
