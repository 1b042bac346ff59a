"""Aggregate a run folder into ``report.json`` and ``report.md`` (and plots).

Per dataset × model family × variant: strict IOB2 F1 mean ± sd over seeds (the headline),
seqeval default and IO-collapsed F1, precision/recall, per-type F1, gain over baseline in
absolute points and relative %, paired bootstrap against the baseline of the same seed, and F1
on test mentions seen / unseen in the training + synthetic data. The ensemble chosen on dev is
a row of its own; the oracle ensemble (best on test) is shown apart and labelled as such.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import yaml

from hilgen_graph.atomic import write_json, write_text
from hilgen_graph.errors import EvaluationError
from hilgen_graph.evaluation.metrics import improvement, mean_sd, paired_bootstrap

ENSEMBLE_ROW = "best ensemble (dev)"
ORACLE_ROW = "oracle ensemble (best on TEST)"


def _read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _ms(values: list[float]) -> dict[str, Any]:
    m = mean_sd(values)
    return {"mean": m.mean, "sd": m.sd, "n": m.n, "values": values}


def _fmt(d: dict[str, Any] | None) -> str:
    if not d or d.get("n", 0) == 0 or math.isnan(d["mean"]):
        return "–"
    return f"{100 * d['mean']:.2f} ± {100 * d['sd']:.2f}"


def _variant_dirs(cfg: dict[str, Any]) -> list[tuple[str, str]]:
    return [(v, v.replace(":", "-").replace("+", "_plus_")) for v in cfg["variants"]]


def build_report(run_dir: Path) -> dict[str, Any]:
    """Read every finished run below ``run_dir`` and compute the aggregate figures."""
    cfg_path = run_dir / "config.yaml"
    if not cfg_path.is_file():
        raise EvaluationError(
            f"{run_dir} is not an evaluation run folder (no config.yaml); "
            "make one with `hilgen evaluate --config FILE.yaml --out DIR`"
        )
    cfg = yaml.safe_load(cfg_path.read_text(encoding="utf-8"))
    grid = _read(run_dir / "grid.json") if (run_dir / "grid.json").is_file() else {}
    samples = int(cfg.get("bootstrap_samples", 1000))
    report: dict[str, Any] = {"name": cfg["name"], "config": cfg, "grid": grid, "datasets": {}}
    for ds in [d["name"] if isinstance(d, dict) else d for d in cfg["datasets"]]:
        ds_dir = run_dir / "runs" / ds
        gold_file = ds_dir / "test_gold.json"
        gold = _read(gold_file)["tags"] if gold_file.is_file() else None
        ds_out: dict[str, Any] = {"families": {}, "failed": [], "runs": 0}
        results: dict[tuple[int, str], dict[str, Any]] = {}
        preds: dict[tuple[int, str], dict[str, Any]] = {}
        ensembles: dict[int, dict[str, Any]] = {}
        for seed in cfg["seeds"]:
            sd = ds_dir / f"seed-{seed}"
            for v, slug in _variant_dirs(cfg):
                if (sd / slug / "result.json").is_file():
                    results[(seed, v)] = _read(sd / slug / "result.json")
                    ds_out["runs"] += 1
                elif (sd / slug / "failed.json").is_file():
                    f = _read(sd / slug / "failed.json")
                    ds_out["failed"].append({"seed": seed, "variant": v, "error": f["error"]})
            if (sd / "ensembles.json").is_file():
                ensembles[seed] = _read(sd / "ensembles.json")
        for fam in cfg["model"]:
            rows: dict[str, Any] = {}
            base = {
                s: r["families"][fam]["test"]["strict"]["f1"]
                for (s, v), r in results.items()
                if v == "baseline" and fam in r["families"]
            }
            base_mean = mean_sd(base.values()).mean if base else math.nan
            for v, slug in _variant_dirs(cfg):
                rs = {s: r for (s, vv), r in results.items() if vv == v and fam in r["families"]}
                if not rs:
                    continue
                fams = {s: r["families"][fam] for s, r in rs.items()}
                strict = [f["test"]["strict"]["f1"] for f in fams.values()]
                row: dict[str, Any] = {
                    "seeds": sorted(rs),
                    "strict_f1": _ms(strict),
                    "precision": _ms([f["test"]["strict"]["precision"] for f in fams.values()]),
                    "recall": _ms([f["test"]["strict"]["recall"] for f in fams.values()]),
                    "default_f1": _ms([f["test"]["default_f1"] for f in fams.values()]),
                    "io_f1": _ms([f["test"]["io_f1"] for f in fams.values()]),
                    "dev_f1": _ms([f["dev_f1"] for f in fams.values()]),
                    "seen_f1": _ms([f["seen"]["f1"] for f in fams.values()]),
                    "unseen_f1": _ms([f["unseen"]["f1"] for f in fams.values()]),
                    "per_type_f1": {},
                    "n_synthetic": _ms([float(r["n_synthetic"]) for r in rs.values()]),
                    "n_gold": _ms([float(r["n_gold"]) for r in rs.values()]),
                    "seconds": _ms([float(r["timing"]["seconds"]) for r in rs.values()]),
                    "missing_support_labels": sorted(
                        {x for r in rs.values() for x in r.get("missing_support_labels", [])}
                    )
                    if fam == "nnshot"
                    else [],
                }
                types = sorted({t for f in fams.values() for t in f["test"]["per_type"]})
                for t in types:
                    row["per_type_f1"][t] = _ms(
                        [f["test"]["per_type"].get(t, {"f1": 0.0})["f1"] for f in fams.values()]
                    )
                imp = improvement(base_mean, row["strict_f1"]["mean"])
                row["gain_points"] = imp.absolute_points
                row["gain_relative_percent"] = imp.relative_percent
                if v != "baseline" and gold is not None:
                    row["bootstrap"] = _bootstrap(
                        ds_dir, cfg, fam, v, slug, gold, sorted(rs), samples, preds
                    )
                rows[v] = row
            ens = {s: e[fam] for s, e in ensembles.items() if fam in e}
            if ens:
                best = [e["best_on_dev"]["test"]["strict"]["f1"] for e in ens.values()]
                row = {
                    "seeds": sorted(ens),
                    "strict_f1": _ms(best),
                    "default_f1": _ms(
                        [e["best_on_dev"]["test"]["default_f1"] for e in ens.values()]
                    ),
                    "io_f1": _ms([e["best_on_dev"]["test"]["io_f1"] for e in ens.values()]),
                    "precision": _ms(
                        [e["best_on_dev"]["test"]["strict"]["precision"] for e in ens.values()]
                    ),
                    "recall": _ms(
                        [e["best_on_dev"]["test"]["strict"]["recall"] for e in ens.values()]
                    ),
                    "dev_f1": _ms([e["best_on_dev"]["dev_f1"] for e in ens.values()]),
                    "chosen": {str(s): e["best_on_dev"]["name"] for s, e in ens.items()},
                }
                imp = improvement(base_mean, row["strict_f1"]["mean"])
                row["gain_points"] = imp.absolute_points
                row["gain_relative_percent"] = imp.relative_percent
                if gold is not None:
                    row["bootstrap"] = _bootstrap_ensemble(ds_dir, fam, gold, ens, samples)
                rows[ENSEMBLE_ROW] = row
                oracle = [e["oracle_best_on_test"]["test_f1"] for e in ens.values()]
                orow: dict[str, Any] = {
                    "strict_f1": _ms(oracle),
                    "chosen": {str(s): e["oracle_best_on_test"]["name"] for s, e in ens.items()},
                    "note": "chosen by looking at test: an upper bound, not a result",
                }
                imp = improvement(base_mean, orow["strict_f1"]["mean"])
                orow["gain_points"] = imp.absolute_points
                orow["gain_relative_percent"] = imp.relative_percent
                rows[ORACLE_ROW] = orow
            ds_out["families"][fam] = rows
        report["datasets"][ds] = ds_out
    return report


def _pred(ds_dir: Path, seed: int, slug: str, cache: dict[Any, Any]) -> dict[str, Any]:
    key = (seed, slug)
    if key not in cache:
        cache[key] = _read(ds_dir / f"seed-{seed}" / slug / "predictions.json")
    return cache[key]


def _bootstrap(
    ds_dir: Path,
    cfg: dict[str, Any],
    fam: str,
    v: str,
    slug: str,
    gold: list[list[str]],
    seeds: list[int],
    samples: int,
    cache: dict[Any, Any],
) -> list[dict[str, Any]]:
    out = []
    for s in seeds:
        base_dir = ds_dir / f"seed-{s}" / "baseline" / "predictions.json"
        if not base_dir.is_file():
            continue
        b = _pred(ds_dir, s, "baseline", cache)["test"].get(fam)
        p = _pred(ds_dir, s, slug, cache)["test"].get(fam)
        if b is None or p is None or len(b) != len(gold):
            continue
        r = paired_bootstrap(gold, b, p, samples=samples, seed=s)
        out.append(
            {"seed": s, "delta_f1": r.delta_f1, "p_value": r.p_value, "ci95": [r.ci_low, r.ci_high]}
        )
    return out


def _bootstrap_ensemble(
    ds_dir: Path, fam: str, gold: list[list[str]], ens: dict[int, dict[str, Any]], samples: int
) -> list[dict[str, Any]]:
    out = []
    for s, e in ens.items():
        base = ds_dir / f"seed-{s}" / "baseline" / "predictions.json"
        tags = e.get("best_test_tags")
        if not base.is_file() or tags is None:
            continue
        b = _read(base)["test"].get(fam)
        if b is None or len(b) != len(gold):
            continue
        r = paired_bootstrap(gold, b, tags, samples=samples, seed=s)
        out.append(
            {"seed": s, "delta_f1": r.delta_f1, "p_value": r.p_value, "ci95": [r.ci_low, r.ci_high]}
        )
    return out


def _sig(row: dict[str, Any]) -> str:
    bs = row.get("bootstrap")
    if not bs:
        return "–"
    return f"{sum(1 for b in bs if b['p_value'] < 0.05)}/{len(bs)}"


def _gain(row: dict[str, Any]) -> tuple[str, str]:
    gp, gr = row.get("gain_points"), row.get("gain_relative_percent")
    a = "–" if gp is None or math.isnan(gp) else f"{gp:+.2f}"
    b = "–" if gr is None or math.isnan(gr) else f"{gr:+.1f} %"
    return a, b


def render_markdown(report: dict[str, Any]) -> str:
    cfg = report["config"]
    grid = report.get("grid", {})
    lines = [f"# Evaluation report: {report['name']}", ""]
    lines.append(
        f"{cfg['k']}-shot, seeds {cfg['seeds']}, encoder `{cfg['encoder']}`, model families "
        f"{', '.join(cfg['model'])}; dev subset {cfg.get('dev_subset')} sentences (checkpoint "
        f"selection), test: {'full split' if not cfg.get('test_limit') else cfg['test_limit']}."
    )
    if grid:
        lines.append(
            f"Run time: {grid.get('total_seconds', 0) / 60:.1f} min of compute over all "
            f"invocations (last invocation {grid.get('seconds', 0) / 60:.1f} min; "
            f"{grid.get('finished', 0)} trained, {grid.get('reused', 0)} reused, "
            f"{grid.get('failed', 0)} failed). Machine: {grid.get('machine', '?')}."
        )
    lines += [
        "",
        "Strict = seqeval strict IOB2 (headline); default = seqeval default mode; "
        "IO = IO-collapsed F1 as in the paper's code. Values are mean ± sd over seeds, "
        "in %. Gain is over the baseline mean: absolute F1 points and relative %. "
        "`p<.05` counts the seeds where a paired bootstrap (test sentences) finds the "
        "variant better than that seed's baseline.",
        "",
    ]
    for ds, d in report["datasets"].items():
        lines.append(f"## {ds}")
        lines.append("")
        fams = list(d["families"])
        if len(fams) > 1:
            lines.append("Model families side by side (strict F1):")
            lines.append("")
            lines.append("| variant | " + " | ".join(fams) + " |")
            lines.append("|---|" + "---|" * len(fams))
            names: list[str] = []
            for f in fams:
                names += [n for n in d["families"][f] if n not in names]
            for n in names:
                cells = []
                for f in fams:
                    row = d["families"][f].get(n)
                    if row is None:
                        cells.append("–")
                    else:
                        a, b = _gain(row)
                        cells.append(
                            f"{_fmt(row['strict_f1'])} ({a}, {b})"
                            if n != "baseline"
                            else _fmt(row["strict_f1"])
                        )
                lines.append(f"| {n} | " + " | ".join(cells) + " |")
            lines.append("")
        for fam, rows in d["families"].items():
            lines.append(f"### {ds} — {fam}")
            lines.append("")
            lines.append(
                "| variant | synthetic | strict F1 | gain (pts) | gain (rel) | p<.05 | "
                "P | R | default F1 | IO F1 | seen F1 | unseen F1 | s/run |"
            )
            lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
            for n, row in rows.items():
                a, b = _gain(row)
                syn = row.get("n_synthetic")
                syn_s = f"{syn['mean']:.0f}" if syn else "–"
                sec = row.get("seconds")
                sec_s = f"{sec['mean']:.0f}" if sec else "–"
                lines.append(
                    f"| {n} | {syn_s} | {_fmt(row['strict_f1'])} | "
                    f"{a if n != 'baseline' else ''} | {b if n != 'baseline' else ''} | "
                    f"{_sig(row)} | {_fmt(row.get('precision'))} | {_fmt(row.get('recall'))} | "
                    f"{_fmt(row.get('default_f1'))} | {_fmt(row.get('io_f1'))} | "
                    f"{_fmt(row.get('seen_f1'))} | {_fmt(row.get('unseen_f1'))} | {sec_s} |"
                )
            ens = rows.get(ENSEMBLE_ROW)
            if ens:
                lines.append("")
                lines.append(
                    "Ensemble chosen on dev per seed: "
                    + ", ".join(f"seed {s}: {n}" for s, n in ens["chosen"].items())
                )
            orc = rows.get(ORACLE_ROW)
            if orc:
                lines.append(
                    f"The oracle row picks, per seed, the ensemble best on TEST: "
                    f"an upper bound only ({', '.join(orc['chosen'].values())})."
                )
            missing = {x for r in rows.values() for x in r.get("missing_support_labels", [])}
            if missing:
                lines.append(
                    f"Labels with no nnshot support token in some run (never "
                    f"predicted there): {sorted(missing)}."
                )
            lines.append("")
        if d["failed"]:
            lines.append("Failed runs:")
            lines.append("")
            for f in d["failed"]:
                lines.append(f"- seed {f['seed']} {f['variant']}: {f['error'][:300]}")
            lines.append("")
    return "\n".join(lines) + "\n"


def write_report(run_dir: Path, config: object | None = None) -> dict[str, Any]:
    """Write ``report.json``, ``report.md`` and the plots; return the report."""
    from hilgen_graph.evaluation.plots import plot_report

    report = build_report(run_dir)
    write_json(run_dir / "report.json", report, indent=1)
    write_text(run_dir / "report.md", render_markdown(report))
    report["plots"] = [str(p) for p in plot_report(report, run_dir / "plots")]
    return report
