"""PNG plots of a report: F1 per variant with error bars (one panel per dataset), the
per-layer gains over the baseline, and the dev curves (mean dev strict F1 over seeds at every
checked step, one line per variant, one figure per dataset and model family)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from hilgen_graph.atomic import write_with  # noqa: E402

ORACLE_PREFIX = "oracle"


def plot_report(report: dict[str, Any], out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    datasets = report["datasets"]
    if not datasets:
        return []
    paths = []
    # 1. F1 per variant with error bars, one panel per dataset, bars per family
    fig, axes = plt.subplots(1, len(datasets), figsize=(6 * len(datasets), 4.5), squeeze=False)
    for ax, (ds, d) in zip(axes[0], datasets.items(), strict=True):
        fams = list(d["families"])
        names: list[str] = []
        for f in fams:
            names += [
                n for n in d["families"][f] if n not in names and not n.startswith(ORACLE_PREFIX)
            ]
        width = 0.8 / max(1, len(fams))
        for j, f in enumerate(fams):
            xs, ys, es = [], [], []
            for i, n in enumerate(names):
                row = d["families"][f].get(n)
                if row is None or math.isnan(row["strict_f1"]["mean"]):
                    continue
                xs.append(i + j * width)
                ys.append(100 * row["strict_f1"]["mean"])
                es.append(100 * row["strict_f1"]["sd"])
            ax.bar(xs, ys, width, yerr=es, capsize=3, label=f)
        ax.set_xticks([i + width * (len(fams) - 1) / 2 for i in range(len(names))])
        ax.set_xticklabels(names, rotation=45, ha="right", fontsize=8)
        ax.set_ylabel("strict F1 (%)")
        ax.set_title(ds)
        ax.legend(fontsize=8)
    fig.tight_layout()
    p = out_dir / "f1_per_variant.png"
    _save(fig, p)
    plt.close(fig)
    paths.append(p)
    # 2. per-layer gains (kg:<layer> and kg:all) over the baseline, absolute points
    fig, axes = plt.subplots(1, len(datasets), figsize=(6 * len(datasets), 4), squeeze=False)
    for ax, (ds, d) in zip(axes[0], datasets.items(), strict=True):
        fams = list(d["families"])
        width = 0.8 / max(1, len(fams))
        layers: list[str] = []
        for f in fams:
            layers += [n for n in d["families"][f] if n.startswith("kg") and n not in layers]
        for j, f in enumerate(fams):
            xs, ys = [], []
            for i, n in enumerate(layers):
                row = d["families"][f].get(n)
                if row is None or row.get("gain_points") is None or math.isnan(row["gain_points"]):
                    continue
                xs.append(i + j * width)
                ys.append(row["gain_points"])
            ax.bar(xs, ys, width, label=f)
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_xticks([i + width * (len(fams) - 1) / 2 for i in range(len(layers))])
        ax.set_xticklabels(layers, rotation=45, ha="right", fontsize=8)
        ax.set_ylabel("gain over baseline (F1 points)")
        ax.set_title(f"{ds}: per-layer gains")
        ax.legend(fontsize=8)
    fig.tight_layout()
    p = out_dir / "layer_gains.png"
    _save(fig, p)
    plt.close(fig)
    paths.append(p)
    paths += plot_dev_curves(report, out_dir)
    return paths


def _save(fig: Any, path: Path) -> None:
    def save(tmp: Path) -> None:
        fig.savefig(tmp, dpi=110)

    write_with(path, save, suffix=".png")


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)


def plot_dev_curves(report: dict[str, Any], out_dir: Path) -> list[Path]:
    """``dev_curves_<dataset>_<family>.png``: mean dev F1 per step for each variant, with
    the seeds' own curves faint behind it and the selected steps marked."""
    paths = []
    for ds, d in report["datasets"].items():
        for fam, variants in (d.get("dev_curves") or {}).items():
            if not variants:
                continue
            fig, ax = plt.subplots(figsize=(7, 4.5))
            for i, (v, c) in enumerate(variants.items()):
                colour = f"C{i % 10}"
                for ys in c["per_seed"].values():
                    pts = [(x, y) for x, y in zip(c["steps"], ys, strict=True) if y is not None]
                    ax.plot(
                        [x for x, _ in pts],
                        [100 * y for _, y in pts],
                        color=colour,
                        alpha=0.2,
                        linewidth=0.8,
                    )
                ax.plot(
                    c["steps"],
                    [100 * y for y in c["mean_dev_f1"]],
                    color=colour,
                    marker="o",
                    markersize=3,
                    label=f"{v} (n={len(c['per_seed'])})",
                )
                for st in c["best_step"].values():
                    ax.axvline(st, color=colour, alpha=0.15, linewidth=0.6, linestyle=":")
            ax.set_xlabel("optimisation step")
            ax.set_ylabel("dev strict F1 (%)")
            ax.set_title(f"{ds} — {fam}: dev curves (faint: seeds; dotted: chosen steps)")
            ax.legend(fontsize=7)
            fig.tight_layout()
            p = out_dir / f"dev_curves_{_slug(ds)}_{_slug(fam)}.png"
            _save(fig, p)
            plt.close(fig)
            paths.append(p)
    return paths
