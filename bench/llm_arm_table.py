"""Tables of the measured LLM-arm runs (issue 11) from the folders ``bench/llm_arm_runs.py``
wrote: per template, summed over the seeds, the funnel's verdicts (from each run's meta), the
check report's grounding and diversity, and the time of the model calls that were not answered
from the cache (from each run log).

    .venv/bin/python bench/llm_arm_table.py runs/llm/ncbi --out bench/results/llm_arm/ncbi
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import Any

from hilgen_graph.atomic import write_json, write_text


def _records(run_dir: Path) -> list[dict[str, Any]]:
    path = run_dir / "records.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def summarize(
    root: Path, only: set[str] | None = None, templates: set[str] | None = None
) -> dict[str, Any]:
    per: dict[str, dict[str, Any]] = {}
    seeds = []
    for seed_dir in sorted(root.glob("seed*")):
        if only is not None and seed_dir.name.removeprefix("seed") not in only:
            continue
        cmp_path = seed_dir / "compare.json"
        if not cmp_path.is_file():
            continue
        seeds.append(seed_dir.name)
        cmp = json.loads(cmp_path.read_text(encoding="utf-8"))
        for name, rep in cmp["reports"].items():
            if templates is not None and name not in templates:
                continue
            meta = json.loads((seed_dir / f"{name}.meta.json").read_text(encoding="utf-8"))
            p = per.setdefault(
                name,
                {
                    "requests": 0,
                    "calls": 0,
                    "candidates": 0,
                    "accepted": 0,
                    "rejected": Counter(),
                    "kinds": Counter(),
                    "invented_flagged": 0,
                    "entities": 0,
                    "entities_intended": 0,
                    "sentences": 0,
                    "sentences_intended": 0,
                    "fresh_requests": 0,
                    "fresh_seconds": 0.0,
                    "distinct_2": [],
                    "self_bleu": [],
                },
            )
            p["requests"] += meta["requests"]
            p["calls"] += meta["calls"]
            p["candidates"] += meta["candidates"]
            p["accepted"] += meta["accepted"]
            p["rejected"].update(meta["rejected"])
            p["kinds"].update(meta.get("kinds", {}))
            p["invented_flagged"] += rep.get("invented_flagged", 0)
            g = rep["grounding"]
            for k in ("entities", "entities_intended", "sentences", "sentences_intended"):
                p[k] += g[k]
            p["distinct_2"].append(rep["diversity"]["distinct_2"])
            p["self_bleu"].append(rep["diversity"]["self_bleu"])
            for r in _records(seed_dir / f"{name}.run"):
                if r.get("seconds", 0) > 0.5:  # answered by the model, not the cache
                    p["fresh_requests"] += 1
                    p["fresh_seconds"] += r["seconds"]
    out: dict[str, Any] = {"seeds": seeds, "templates": {}}
    for name, p in per.items():
        cands = p["candidates"] or 1
        acc = p["accepted"]
        per_req = p["fresh_seconds"] / p["fresh_requests"] if p["fresh_requests"] else None
        out["templates"][name] = {
            "requests": p["requests"],
            "model_calls": p["calls"],
            "candidates": p["candidates"],
            "accepted": acc,
            "acceptance": round(acc / cands, 3),
            "rejected": dict(p["rejected"]),
            "rewrite": p["kinds"].get("rewrite", 0),
            "new_context": p["kinds"].get("new_context", 0),
            "new_context_share": round(p["kinds"].get("new_context", 0) / acc, 3) if acc else 0,
            "invented_rate": round(
                (p["rejected"].get("invented", 0) + p["invented_flagged"]) / cands, 3
            ),
            "intended_entity_share": round(p["entities_intended"] / p["entities"], 3)
            if p["entities"]
            else 0.0,
            "intended_sentence_share": round(p["sentences_intended"] / p["sentences"], 3)
            if p["sentences"]
            else 0.0,
            "distinct_2_mean": round(sum(p["distinct_2"]) / len(p["distinct_2"]), 3),
            "self_bleu_mean": round(sum(p["self_bleu"]) / len(p["self_bleu"]), 3),
            "fresh_requests_timed": p["fresh_requests"],
            "seconds_per_request": round(per_req, 1) if per_req else None,
            "accepted_per_min_est": round(60 * (acc / p["requests"]) / per_req, 2)
            if per_req and p["requests"]
            else None,
        }
    return out


def markdown(summary: dict[str, Any]) -> str:
    rows = [
        "| template | requests | calls | candidates | accepted | rejected per stage | rewrite "
        "| new_context | invented | intended (sent.) | distinct-2 | self-BLEU | s/request "
        "| accepted/min |",
        "|" + "---|" * 14,
    ]
    for name, t in summary["templates"].items():
        rej = ", ".join(f"{k} {v}" for k, v in sorted(t["rejected"].items())) or "-"
        rows.append(
            f"| {name} | {t['requests']} | {t['model_calls']} | {t['candidates']} | "
            f"{t['accepted']} ({t['acceptance']:.0%}) | {rej} | {t['rewrite']} | "
            f"{t['new_context']} | {t['invented_rate']:.0%} | "
            f"{t['intended_sentence_share']:.0%} | {t['distinct_2_mean']} | "
            f"{t['self_bleu_mean']} | {t['seconds_per_request'] or '-'} | "
            f"{t['accepted_per_min_est'] or '-'} |"
        )
    return "\n".join(rows) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("root", type=Path)
    ap.add_argument("--out", type=Path, default=None, help="write OUT.json and OUT.md")
    ap.add_argument("--seeds", default=None, help="only these seeds, e.g. 1,2")
    ap.add_argument("--templates", default=None, help="only these templates (comma list)")
    args = ap.parse_args()
    summary = summarize(
        args.root,
        set(args.seeds.split(",")) if args.seeds else None,
        set(args.templates.split(",")) if args.templates else None,
    )
    md = markdown(summary)
    print(f"seeds: {', '.join(summary['seeds'])}\n{md}")
    if args.out is not None:
        write_json(args.out.with_suffix(".json"), summary)
        write_text(args.out.with_suffix(".md"), md)


if __name__ == "__main__":
    main()
