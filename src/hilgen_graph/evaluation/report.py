"""Aggregate a run folder into ``report.json`` and ``report.md`` (and plots).

Per dataset × model family × variant: strict IOB2 F1 mean ± sd over seeds (the headline),
seqeval default and IO-collapsed F1, precision/recall, per-type F1, gain over baseline in
absolute points and relative %, paired bootstrap against the baseline of the same seed, and F1
on test mentions seen / unseen in the training + synthetic data. The ensemble chosen on dev is
a row of its own; the oracle ensemble (best on test) is shown apart and labelled as such.
Gains are over the baseline mean on the row's own seeds. Each row also carries its per-seed
gains (paired with the same seed's baseline); the report checks the pairing (same sample, dev
subset, test split and initial head for every variant of a seed), gathers the dev curves, and
lists the grid's cells that are missing or failed.
``merge_runs`` gathers the folders of several shards (``hilgen evaluate --shard I/N``) into one.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import yaml

from hilgen_graph.atomic import write_bytes, write_json, write_text
from hilgen_graph.errors import EvaluationError
from hilgen_graph.evaluation.metrics import improvement, mean_sd, paired_bootstrap
from hilgen_graph.evaluation.records import CellStatus, Coverage, DevCurve

ENSEMBLE_ROW = "best ensemble (dev)"
ORACLE_ROW = "oracle ensemble (best on TEST)"


def _read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _ms(values: list[float]) -> dict[str, Any]:
    m = mean_sd(values)
    return {"mean": m.mean, "sd": m.sd, "n": m.n, "values": values}


def finite(obj: Any) -> Any:
    """``obj`` with NaN and infinities as ``None`` (strict JSON has no NaN): an undefined
    figure, such as a relative gain over a zero baseline, is written as ``null``."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [finite(v) for v in obj]
    return obj


def _fmt(d: dict[str, Any] | None) -> str:
    if not d or d.get("n", 0) == 0 or d.get("mean") is None or math.isnan(d["mean"]):
        return "–"
    return f"{100 * d['mean']:.2f} ± {100 * d['sd']:.2f}"


def _variant_dirs(cfg: dict[str, Any]) -> list[tuple[str, str]]:
    return [(v, v.replace(":", "-").replace("+", "_plus_")) for v in cfg["variants"]]


def _invocations(grid: dict[str, Any]) -> list[dict[str, Any]]:
    """One grid file's invocations; the time of invocations from before they were recorded
    (the file's totals beyond the recorded ones) counts as one invocation with no known
    start."""
    timed = list(grid.get("invocations", []))
    wall = float(grid.get("total_seconds", 0.0)) - sum(float(i["seconds"]) for i in timed)
    cpu = float(grid.get("total_cpu_seconds", 0.0)) - sum(float(i["cpu_seconds"]) for i in timed)
    if wall <= 1e-6:
        return timed
    legacy = {
        "start": None,
        "end": None,
        "seconds": wall,
        "cpu_seconds": max(cpu, 0.0),
        "trained": 0 if timed else grid.get("finished", 0),
        "shard": grid.get("shard"),
    }
    return [legacy, *timed]


def wall_seconds(invocations: list[dict[str, Any]]) -> float:
    """Wall-clock time during which at least one invocation ran: the union of their
    [start, end] intervals, so shards that ran side by side count once and idle gaps between
    invocations not at all; invocations without timestamps add their own length."""
    timed = sorted((i["start"], i["end"]) for i in invocations if i.get("start") is not None)
    total = sum(float(i.get("seconds", 0.0)) for i in invocations if i.get("start") is None)
    end = -math.inf
    for a, b in timed:
        if b > end:
            total += b - max(a, end)
            end = b
    return total


def combine_grids(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """The run-time summary of several grid files (shards into one folder, or merged
    folders): wall time as the union of the invocations' intervals, CPU time and trained
    cells summed over invocations (a cell is trained by one invocation; later ones reuse it)."""
    invocations = [i for g in parts for i in _invocations(g)]
    return {
        "invocations": invocations,
        "wall_seconds": wall_seconds(invocations),
        "total_cpu_seconds": sum(float(i.get("cpu_seconds", 0.0)) for i in invocations),
        "trained": sum(int(i.get("trained", 0)) for i in invocations),
        "shards": sorted({str(g["shard"]) for g in parts if g.get("shard")}),
        "machine": next((g["machine"] for g in parts if g.get("machine")), "?"),
    }


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
    shard_files = sorted(run_dir.glob("grid-shard-*.json"))
    if (shard_files or grid) and "merged_from" not in grid:
        # this folder's invocations (shards that ran into it overlap in time)
        grid = combine_grids([_read(f) for f in shard_files] + ([grid] if grid else []))
    samples = int(cfg.get("bootstrap_samples", 1000))
    report: dict[str, Any] = {"name": cfg["name"], "config": cfg, "grid": grid, "datasets": {}}
    report["coverage"] = coverage(run_dir).model_dump()
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
        ds_out["pairing"] = _pairing(results)
        ds_out["dev_curves"] = _dev_curves(ds_dir, cfg)
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
                    # where a run's time goes: training steps, dev checks, test inference
                    "time_split": {
                        k: _ms([float(r["timing"].get(k, 0.0)) for r in rs.values()])
                        for k in ("train_seconds", "dev_eval_seconds", "inference_seconds")
                    },
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
                imp = improvement(_base_on(base, rs, base_mean), row["strict_f1"]["mean"])
                row["gain_points"] = imp.absolute_points
                row["gain_relative_percent"] = imp.relative_percent
                row["per_seed"] = _per_seed(
                    {s: f["test"]["strict"]["f1"] for s, f in fams.items()}, base
                )
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
                imp = improvement(_base_on(base, ens, base_mean), row["strict_f1"]["mean"])
                row["gain_points"] = imp.absolute_points
                row["gain_relative_percent"] = imp.relative_percent
                row["per_seed"] = _per_seed(
                    {s: e["best_on_dev"]["test"]["strict"]["f1"] for s, e in ens.items()}, base
                )
                if gold is not None:
                    row["bootstrap"] = _bootstrap_ensemble(ds_dir, fam, gold, ens, samples)
                rows[ENSEMBLE_ROW] = row
                oracle = [e["oracle_best_on_test"]["test_f1"] for e in ens.values()]
                orow: dict[str, Any] = {
                    "strict_f1": _ms(oracle),
                    "chosen": {str(s): e["oracle_best_on_test"]["name"] for s, e in ens.items()},
                    "note": "chosen by looking at test: an upper bound, not a result",
                }
                imp = improvement(_base_on(base, ens, base_mean), orow["strict_f1"]["mean"])
                orow["gain_points"] = imp.absolute_points
                orow["gain_relative_percent"] = imp.relative_percent
                rows[ORACLE_ROW] = orow
            ds_out["families"][fam] = rows
        report["datasets"][ds] = ds_out
    return report


def _base_on(base: dict[int, float], seeds: Any, fallback: float) -> float:
    """The baseline mean over the seeds a row has (a variant run on seeds 1-3 is compared with
    the baseline of seeds 1-3, not of all seeds)."""
    paired = [base[s] for s in seeds if s in base]
    return mean_sd(paired).mean if paired else fallback


def _per_seed(f1: dict[int, float], base: dict[int, float]) -> dict[str, Any]:
    """Per seed: strict F1 and the gain in points over that seed's baseline; ``wins`` counts
    the seeds that gain (ties are not wins)."""
    seeds = {
        str(s): {
            "strict_f1": f,
            "gain_points": 100 * (f - base[s]) if s in base else None,
        }
        for s, f in sorted(f1.items())
    }
    gains = [x["gain_points"] for x in seeds.values() if x["gain_points"] is not None]
    return {
        "seeds": seeds,
        "wins": sum(1 for g in gains if g > 0),
        "paired": len(gains),
        "min_gain_points": min(gains) if gains else None,
    }


def _pairing(results: dict[tuple[int, str], dict[str, Any]]) -> dict[str, Any]:
    """Check that every variant of a seed shares the sample, dev subset, test sentences and
    initial head (runs written before these digests existed are not checked)."""
    by_seed: dict[int, dict[str, dict[str, str]]] = {}
    for (seed, v), r in results.items():
        if "pairing" in r:
            by_seed.setdefault(seed, {})[v] = r["pairing"]
    mismatched = []
    for seed, vs in sorted(by_seed.items()):
        first = next(iter(vs.values()))
        for v, p in vs.items():
            diff = sorted(k for k in first if p.get(k) != first[k])
            if diff:
                mismatched.append({"seed": seed, "variant": v, "differs_in": diff})
    checked = sum(len(vs) for vs in by_seed.values())
    return {"checked_runs": checked, "mismatched": mismatched, "ok": checked > 0 and not mismatched}


def _dev_curves(ds_dir: Path, cfg: dict[str, Any]) -> dict[str, Any]:
    """Family -> variant -> steps, mean dev F1 over seeds at each step, per-seed values and
    the selected steps."""
    out: dict[str, Any] = {}
    for v, slug in _variant_dirs(cfg):
        curves = []
        for seed in cfg["seeds"]:
            f = ds_dir / f"seed-{seed}" / slug / "dev_curve.json"
            if f.is_file():
                curves.append(DevCurve.model_validate(_read(f)))
        for fam in cfg["model"]:
            per_seed: dict[str, dict[int, float]] = {}
            best: dict[str, int] = {}
            for c in curves:
                pts = {p.step: p.dev_f1[fam] for p in c.points if fam in p.dev_f1}
                if pts:
                    per_seed[str(c.seed)] = pts
                    best[str(c.seed)] = c.best_step.get(fam, 0)
            if not per_seed:
                continue
            steps = sorted({st for pts in per_seed.values() for st in pts})
            mean = [
                mean_sd([pts[st] for pts in per_seed.values() if st in pts]).mean for st in steps
            ]
            out.setdefault(fam, {})[v] = {
                "steps": steps,
                "mean_dev_f1": mean,
                "per_seed": {s: [pts.get(st) for st in steps] for s, pts in per_seed.items()},
                "best_step": best,
            }
    return out


def _status(d: Path) -> tuple[str, dict[str, Any] | None]:
    if (d / "result.json").is_file():
        return "finished", _read(d / "result.json")
    if (d / "failed.json").is_file():
        return "failed", _read(d / "failed.json")
    return "missing", None


def coverage(run_dir: Path) -> Coverage:
    """Which cells of the configured grid this run folder holds (finished, failed, missing,
    or finished under a different config: stale)."""
    from hilgen_graph.evaluation.config import EvalConfig
    from hilgen_graph.evaluation.runner import grid_cells, variant_slug

    cfg = EvalConfig.model_validate(yaml.safe_load((run_dir / "config.yaml").read_text()))
    cells = grid_cells(cfg)
    cov = Coverage(expected=len(cells), finished=0)
    for c in cells:
        d = run_dir / "runs" / c.dataset / f"seed-{c.seed}" / variant_slug(c.variant)
        status, data = _status(d)
        entry = CellStatus(dataset=c.dataset, seed=c.seed, variant=c.variant)
        if status == "finished" and data is not None:
            fp = data.get("fingerprint")
            if fp is not None and fp != cfg.fingerprint(c.dataset, c.variant):
                cov.stale.append(entry)
            else:
                cov.finished += 1
        elif status == "failed" and data is not None:
            cov.failed.append(entry.model_copy(update={"error": str(data.get("error", ""))}))
        else:
            cov.missing.append(entry)
    return cov


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


def run_time_line(grid: dict[str, Any]) -> str:
    """The report's run-time sentence from a grid summary (``combine_grids`` or one
    invocation's grid file)."""
    if "wall_seconds" not in grid:  # a report.json written before invocations were kept
        grid = combine_grids([grid])
    inv = grid["invocations"]
    untimed = sum(1 for i in inv if i.get("start") is None)
    note = "" if not untimed else f", {untimed} without timestamps added as they ran"
    over = (
        f" over {len(inv)} invocations (the union of their intervals: shards side by side "
        f"count once, gaps between them not at all{note})"
        if len(inv) > 1
        else ""
    )
    return (
        f"Run time: {grid['wall_seconds'] / 60:.1f} min wall{over} and "
        f"{grid['total_cpu_seconds'] / 60:.1f} CPU-min; {grid['trained']} cells trained. "
        f"Machine: {grid.get('machine', '?')}."
    )


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
        lines.append(run_time_line(grid))
    lines += [
        "",
        "Strict = seqeval strict IOB2 (headline); default = seqeval default mode; "
        "IO = IO-collapsed F1 as in the paper's code. Values are mean ± sd over seeds, "
        "in %. Gain is over the baseline mean: absolute F1 points and relative %. "
        "`p<.05` counts the seeds where a paired bootstrap (test sentences) finds the "
        "variant better than that seed's baseline; `seeds gaining` counts the seeds where the "
        "variant's strict F1 is above that seed's baseline; `dev F1` is the best dev-subset F1 "
        "of the run (the step it keeps), what a choice among variants may read.",
        "",
    ]
    lines += _budget_lines(cfg)
    cov = report.get("coverage")
    if cov:
        lines.append(f"Cells: {cov['finished']} of {cov['expected']} finished.")
        for kind in ("failed", "stale", "missing"):
            for c in cov.get(kind, []):
                lines.append(f"- {kind}: {c['dataset']} seed {c['seed']} {c['variant']}")
        lines.append("")
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
                "| variant | synthetic | strict F1 | gain (pts) | gain (rel) | seeds gaining | "
                "p<.05 | P | R | default F1 | IO F1 | seen F1 | unseen F1 | dev F1 | s/run |"
            )
            lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
            for n, row in rows.items():
                a, b = _gain(row)
                ps = row.get("per_seed") or {}
                wins = f"{ps['wins']}/{ps['paired']}" if ps.get("paired") else "–"
                syn = row.get("n_synthetic")
                syn_s = f"{syn['mean']:.0f}" if syn else "–"
                sec = row.get("seconds")
                sec_s = f"{sec['mean']:.0f}" if sec else "–"
                lines.append(
                    f"| {n} | {syn_s} | {_fmt(row['strict_f1'])} | "
                    f"{a if n != 'baseline' else ''} | {b if n != 'baseline' else ''} | "
                    f"{wins if n != 'baseline' else ''} | {_sig(row)} | "
                    f"{_fmt(row.get('precision'))} | {_fmt(row.get('recall'))} | "
                    f"{_fmt(row.get('default_f1'))} | {_fmt(row.get('io_f1'))} | "
                    f"{_fmt(row.get('seen_f1'))} | {_fmt(row.get('unseen_f1'))} | "
                    f"{_fmt(row.get('dev_f1'))} | {sec_s} |"
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
            lines += _layer_rank_lines(rows)
            lines += _per_seed_lines(rows)
            lines += _per_type_lines(rows)
            lines += _dev_curve_lines(d.get("dev_curves", {}).get(fam, {}))
            missing = {x for r in rows.values() for x in r.get("missing_support_labels", [])}
            if missing:
                lines.append(
                    f"Labels with no nnshot support token in some run (never "
                    f"predicted there): {sorted(missing)}."
                )
            lines.append("")
        pairing = d.get("pairing") or {}
        if pairing.get("checked_runs"):
            if pairing["ok"]:
                lines.append(
                    f"Pairing checked on {pairing['checked_runs']} runs: every variant of a seed "
                    "used the same k-shot sample, dev subset, test sentences and initial head."
                )
            else:
                lines.append("**Not paired** (a variant of a seed differs from the others):")
                for m in pairing["mismatched"]:
                    lines.append(f"- seed {m['seed']} {m['variant']}: {', '.join(m['differs_in'])}")
            lines.append("")
        if d["failed"]:
            lines.append("Failed runs:")
            lines.append("")
            for f in d["failed"]:
                lines.append(f"- seed {f['seed']} {f['variant']}: {f['error'][:300]}")
            lines.append("")
    return "\n".join(lines) + "\n"


def _budget_lines(cfg: dict[str, Any]) -> list[str]:
    t = cfg.get("training") or {}
    if t.get("steps"):
        text = (
            f"Budget: {t['steps']} steps for every variant, batch {t.get('batch_size')}, "
            f"{t.get('gold_per_batch') or 'no fixed number of'} gold sentences per batch "
            + (
                f"(and {t['synthetic_per_batch']} synthetic ones"
                if t.get("synthetic_per_batch")
                else "(synthetic ones fill the rest"
            )
            + (
                ", drawn seed sentence by seed sentence), "
                if t.get("synthetic_balance") == "seed_sentence"
                else "), "
            )
        )
    else:
        text = (
            f"Budget: epoch rule ({t.get('epochs')} epochs, {t.get('min_steps')}–"
            f"{t.get('max_steps')} steps, gold and synthetic shuffled together), "
            f"batch {t.get('batch_size')}, "
        )
    if t.get("steps") and t.get("gold_finish_steps"):
        text += f"the last {t['gold_finish_steps']} batches gold sentences only, "
    every = t.get("eval_every")
    text += (
        f"lr {t.get('lr')}, warm-up {t.get('warmup_ratio')}; dev checked "
        + (f"every {every} steps" if every else f"at {t.get('eval_points')} points")
        + ", best step kept"
    )
    precision = t.get("precision") or "fp32"
    text += {
        "fp32": ".",
        "bf16": "; forward passes under bfloat16 autocast.",
        "auto": "; forward passes under bfloat16 autocast where the hardware has it.",
    }.get(precision, f"; precision {precision}.")
    if t.get("nnshot_support") == "gold":
        text += " The nnshot support set is the gold k-shot sentences only."
    return ([text, ""] if t else []) + _kg_all_lines(cfg)


def _kg_all_lines(cfg: dict[str, Any]) -> list[str]:
    """Which layers `kg:all` (and `kg+llm`) train on, where the config chose some."""
    kg = cfg.get("kg") or {}
    chosen = kg.get("all_layers")
    if not chosen:
        return []
    every = ", ".join(kg.get("layers") or [])
    if isinstance(chosen, dict):
        parts = "; ".join(f"{ds}: {', '.join(names)}" for ds, names in chosen.items())
    else:
        parts = ", ".join(chosen)
    return [
        f"KG data: `kg:all` and `kg+llm` train on the sentences of the layers {parts} "
        f"(config `kg.all_layers`; the single-layer variants: each of {every}).",
        "",
    ]


def _layer_rank_lines(rows: dict[str, Any]) -> list[str]:
    """The single KG layers ranked by their mean best dev F1: what `kg.all_layers` is chosen
    from (the best two, in the shipped configs)."""
    ranked = sorted(
        (
            (row["dev_f1"]["mean"], name.removeprefix("kg:"))
            for name, row in rows.items()
            if name.startswith("kg:") and name != "kg:all" and (row.get("dev_f1") or {}).get("n")
        ),
        reverse=True,
    )
    if len(ranked) < 2:
        return []
    shown = ", ".join(f"{layer} {100 * dev:.2f}" for dev, layer in ranked)
    return [
        "",
        f"Single KG layers by dev F1 (mean over their seeds): {shown}; the best two, a "
        f"`kg.all_layers` choice made on dev only: {ranked[0][1]}, {ranked[1][1]}.",
    ]


def _per_seed_lines(rows: dict[str, Any]) -> list[str]:
    """Per-seed strict F1 gains over the same seed's baseline (F1 points)."""
    seeds = sorted(
        {s for r in rows.values() for s in (r.get("per_seed") or {}).get("seeds", {})}, key=int
    )
    shown = [(n, r) for n, r in rows.items() if n != "baseline" and r.get("per_seed")]
    if not seeds or not shown:
        return []
    out = [
        "",
        "Per-seed gain over the same seed's baseline (strict F1 points):",
        "",
        "| variant | " + " | ".join(f"seed {s}" for s in seeds) + " |",
        "|---|" + "---|" * len(seeds),
    ]
    for n, r in shown:
        cells = []
        for s in seeds:
            g = r["per_seed"]["seeds"].get(s, {}).get("gain_points")
            cells.append("–" if g is None else f"{g:+.2f}")
        out.append(f"| {n} | " + " | ".join(cells) + " |")
    return out


def _per_type_lines(rows: dict[str, Any]) -> list[str]:
    types = sorted({t for r in rows.values() for t in r.get("per_type_f1", {})})
    if len(types) < 2:
        return []
    out = [
        "",
        "Strict F1 per entity type (mean ± sd, %):",
        "",
        "| variant | " + " | ".join(types) + " |",
        "|---|" + "---|" * len(types),
    ]
    for n, r in rows.items():
        if r.get("per_type_f1"):
            out.append(
                f"| {n} | " + " | ".join(_fmt(r["per_type_f1"].get(t)) for t in types) + " |"
            )
    return out


def _dev_curve_lines(curves: dict[str, Any]) -> list[str]:
    if not curves:
        return []
    out = ["", "Dev curves (mean dev strict F1 over seeds, %; chosen steps per seed):", ""]
    for v, c in curves.items():
        pts = ", ".join(
            f"{st}: {100 * y:.1f}" for st, y in zip(c["steps"], c["mean_dev_f1"], strict=True)
        )
        chosen = ", ".join(f"s{s}@{st}" for s, st in sorted(c["best_step"].items()))
        out.append(f"- {v}: {pts} (chosen {chosen})")
    return out


def render_summary(report: dict[str, Any], plots_prefix: str = "plots") -> str:
    """The short block for a README: per dataset and family, strict F1 with its gain, the
    seeds gaining and the significant seeds, then the per-seed gains and the plots; cells not
    yet run are named. Regenerated from the run folder by ``hilgen report`` (``summary.md``)."""
    cfg = report["config"]
    lines = [
        f"{cfg['k']}-shot, encoder `{cfg['encoder']}`, seeds {cfg['seeds']}; strict IOB2 F1 "
        "(%, mean ± sd over seeds); gain over the baseline mean in points (relative %); "
        "seeds gaining = seeds above their own baseline; p<.05 = seeds where the paired "
        "bootstrap finds the variant better.",
        "",
    ]
    lines += _budget_lines(cfg)
    for ds, d in report["datasets"].items():
        for fam, rows in d["families"].items():
            lines += [
                f"**{ds}, {fam}**",
                "",
                "| variant | seeds | strict F1 | gain | seeds gaining | p<.05 | P | R | IO F1 |",
                "|---|---|---|---|---|---|---|---|---|",
            ]
            for n, row in rows.items():
                a, b = _gain(row)
                ps = row.get("per_seed") or {}
                wins = f"{ps['wins']}/{ps['paired']}" if ps.get("paired") else "–"
                n_seeds = len(row.get("seeds", row.get("chosen", {})))
                gain = "" if n == "baseline" else f"{a} ({b})"
                lines.append(
                    f"| {n} | {n_seeds} | {_fmt(row['strict_f1'])} | {gain} | "
                    f"{'' if n == 'baseline' else wins} | {'' if n == 'baseline' else _sig(row)}"
                    f" | {_fmt(row.get('precision'))} | {_fmt(row.get('recall'))} | "
                    f"{_fmt(row.get('io_f1'))} |"
                )
            lines += _per_seed_lines(rows)
            lines.append("")
            for p in (f"dev_curves_{ds}_{fam}.png",):
                lines.append(f"![{ds} {fam} dev curves]({plots_prefix}/{p})")
            lines.append("")
    cov = report.get("coverage")
    if cov and cov["finished"] != cov["expected"]:
        todo = [f"{c['dataset']} seed {c['seed']} {c['variant']}" for c in cov["missing"]]
        lines.append(
            f"Cells finished: {cov['finished']} of {cov['expected']}"
            + (f"; not yet run: {', '.join(todo)}" if todo else "")
            + (f"; failed: {len(cov['failed'])}" if cov["failed"] else "")
            + "."
        )
        lines.append("")
    return "\n".join(lines)


def write_report(run_dir: Path, config: object | None = None) -> dict[str, Any]:
    """Write ``report.json``, ``report.md``, ``summary.md`` (the README block) and the plots;
    return the report."""
    from hilgen_graph.evaluation.plots import plot_report

    report = build_report(run_dir)
    write_json(run_dir / "report.json", finite(report), indent=1)
    write_text(run_dir / "report.md", render_markdown(report))
    write_text(run_dir / "summary.md", render_summary(report))
    report["plots"] = [str(p) for p in plot_report(report, run_dir / "plots")]
    return report


def _copy(src: Path, dst: Path) -> None:
    write_bytes(dst, src.read_bytes())


def merge_runs(sources: list[Path], out: Path) -> Coverage:
    """Gather the run folders of several shards of one grid into ``out`` (which may be one of
    them): the config, gold files, samples and synthetic data, and every cell's files. The
    folders must come from the same config; a seed's sample must be the same in all of them.
    A finished cell wins over a failed one. Returns the merged folder's coverage."""
    from hilgen_graph.evaluation.config import EvalConfig
    from hilgen_graph.evaluation.runner import grid_cells, variant_slug

    if not sources:
        raise EvaluationError("no run folder given; pass one or more folders of `hilgen evaluate`")
    configs = {}
    for src in sources:
        f = src / "config.yaml"
        if not f.is_file():
            raise EvaluationError(
                f"{src} is not an evaluation run folder (no config.yaml); "
                "make one with `hilgen evaluate --config FILE.yaml --out DIR`"
            )
        configs[src] = EvalConfig.model_validate(yaml.safe_load(f.read_text(encoding="utf-8")))
    first_src, first = next(iter(configs.items()))
    for src, c in configs.items():
        if c.model_dump() != first.model_dump():
            raise EvaluationError(
                f"{src} was run with another config than {first_src}; how to fix: merge only "
                "the shards of one grid (the same config file with --shard I/N)"
            )
    out.mkdir(parents=True, exist_ok=True)
    if out.resolve() not in {s.resolve() for s in sources}:
        _copy(first_src / "config.yaml", out / "config.yaml")
    grids = []
    for src in sources:
        for g in sorted(src.glob("grid*.json")):
            if "merged_from" in (gd := _read(g)):
                continue  # an earlier merge's summary: its parts are counted already
            grids.append(gd)
            if src.resolve() != out.resolve() and g.name != "grid.json":
                _copy(g, out / g.name)
    for ds in first.dataset_names:
        for src in sources:
            for name in ("dev_gold.json", "test_gold.json"):
                f = src / "runs" / ds / name
                if f.is_file() and not (out / "runs" / ds / name).is_file():
                    _copy(f, out / "runs" / ds / name)
        for seed in first.seeds:
            rel = Path("runs") / ds / f"seed-{seed}"
            samples = {
                src: json.dumps(_read(src / rel / "sample.json"), sort_keys=True)
                for src in sources
                if (src / rel / "sample.json").is_file()
            }
            if len(set(samples.values())) > 1:
                raise EvaluationError(
                    f"{ds} seed {seed}: the shards sampled different k-shot sets "
                    f"({', '.join(str(s) for s in samples)}); the runs are not paired"
                )
            for src in sources:
                if src.resolve() == out.resolve():
                    continue
                for f in [src / rel / "sample.json", *(src / rel / "synthetic").glob("*.jsonl")]:
                    dst = out / f.relative_to(src)
                    if f.is_file() and not dst.is_file():
                        _copy(f, dst)
    for cell in grid_cells(first):
        rel = Path("runs") / cell.dataset / f"seed-{cell.seed}" / variant_slug(cell.variant)
        if (out / rel / "result.json").is_file():
            continue
        for src in sources:
            if src.resolve() == out.resolve():
                continue
            status, _ = _status(src / rel)
            if status == "finished":
                for f in (src / rel).glob("*.json"):
                    if f.name != "failed.json":
                        _copy(f, out / rel / f.name)
                (out / rel / "failed.json").unlink(missing_ok=True)
                break
            if status == "failed" and not (out / rel / "failed.json").is_file():
                _copy(src / rel / "failed.json", out / rel / "failed.json")
    if len(sources) > 1 or not (out / "grid.json").is_file():
        write_json(
            out / "grid.json",
            {"merged_from": [str(s) for s in sources], **combine_grids(grids)},
        )
    return coverage(out)
