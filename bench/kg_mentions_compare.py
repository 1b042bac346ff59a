"""KG-arm data with ``mentions: one`` (a mention replaced alone), ``mentions: group`` (with its
co-referent mentions) and ``mentions: all`` (with every other linked mention of the sentence as
well) on the k-shot samples of a grid's run folder; no training.

    .venv/bin/python -m bench.kg_mentions_compare RUN_DIR [--out FILE.md]
    .venv/bin/python -m bench.kg_mentions_compare RUN_DIR --f1 REPORT.json [REPORT.json ...]

For every dataset and seed of ``RUN_DIR`` (its ``runs/<dataset>/seed-N/sample.json``) the grid's
own KG path (``evaluation.data.kg_synthetic``, the free graph) runs once per mode; the table
counts the sentences written, those in which the replaced mention's text still stands as
another entity of the sentence ("midazolam ... ro 21 3981 ... midazolam"), and those that keep
any gold mention of their seed sentence as an entity (a near-copy of the gold sentence).

With ``--f1``, ``RUN_DIR`` holds ``kg:all`` runs made with ``mentions: group`` and each REPORT a
grid of the same protocol made with ``mentions: one`` (a committed ``report.json``): the table
pairs them by seed, with that grid's baseline - dev F1 (the selection criterion) and test strict
F1 of one model family.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import Counter
from pathlib import Path
from typing import Any

from bench.precision_compare import run_cells
from hilgen_graph.atomic import write_text
from hilgen_graph.corpus.kshot import load_sample
from hilgen_graph.corpus.records import Sentence
from hilgen_graph.evaluation.config import DatasetSpec, KGConfig
from hilgen_graph.evaluation.data import kg_synthetic, load_splits
from hilgen_graph.evaluation.metrics import strict_spans
from hilgen_graph.graph.normalize import normalize
from hilgen_graph.synthetic import SyntheticRecord

COLLAPSE = {"ncbi_disease": "Disease"}
MODES = ("one", "group", "all")


def _entity_texts(rec: SyntheticRecord) -> list[str]:
    spans = strict_spans([rec.tags])[0]
    return [normalize(" ".join(rec.tokens[a:b])) for _, _, a, b in sorted(spans)]


def stale(rec: SyntheticRecord) -> bool:
    """Whether the replaced mention's text is still an entity of the new sentence."""
    replaced = rec.provenance.replaced_entity
    return replaced is not None and normalize(replaced.text) in _entity_texts(rec)


def keeps_gold(rec: SyntheticRecord, seed: Sentence) -> bool:
    """Whether any entity of the new sentence is a gold mention of its seed sentence."""
    gold = {normalize(e.text) for e in seed.entities}
    return any(t in gold for t in _entity_texts(rec))


def compare(run_dir: Path) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for ds_dir in sorted(p for p in (run_dir / "runs").iterdir() if p.is_dir()):
        splits = load_splits(DatasetSpec(name=ds_dir.name, collapse_to=COLLAPSE.get(ds_dir.name)))
        pool = {s.id: s for s in splits.train}
        held = [*splits.dev, *splits.test]
        totals = {m: Counter[str]() for m in MODES}
        for seed_dir in sorted(ds_dir.glob("seed-*")):
            drawn = load_sample(seed_dir / "sample.json")
            sample = [pool[i] for i in drawn.sentence_ids]
            for mode in MODES:
                records = kg_synthetic(sample, KGConfig(mentions=mode), drawn.seed or 1, held)
                t = totals[mode]
                t["seeds"] += 1
                t["sentences"] += len(records)
                t["stale"] += sum(stale(r) for r in records)
                t["gold_kept"] += sum(
                    keeps_gold(r, pool[r.provenance.seed_sentence_id]) for r in records
                )
        rows += [{"dataset": ds_dir.name, "mentions": m, **t} for m, t in totals.items()]
    return rows


def table(rows: list[dict[str, object]]) -> str:
    lines = [
        "| dataset | mentions | seeds | KG sentences | replaced text still an entity "
        "| a gold mention of the seed kept |",
        "|---|---|---|---|---|---|",
    ]

    def share(k: int, n: int) -> str:
        return f"{k:,} ({k / n:.1%})" if n else "-"

    for r in rows:
        n, s = int(r["sentences"]), int(r["stale"])  # type: ignore[call-overload]
        g = int(r["gold_kept"])  # type: ignore[call-overload]
        lines.append(
            f"| {r['dataset']} | {r['mentions']} | {r['seeds']} | {n:,} | {share(s, n)} "
            f"| {share(g, n)} |"
        )
    return "\n".join(lines) + "\n"


def _per_seed(stats: dict[str, Any], seeds: list[int]) -> dict[int, float]:
    return dict(zip(seeds, stats["values"], strict=True))


def f1_table(run_dir: Path, reports: list[Path], family: str) -> str:
    cells = run_cells(run_dir)
    lines = [
        f"{family} family; dev F1 (the selection criterion) and test strict F1, paired by seed",
        "",
        "| dataset | seed | baseline dev / test | kg:all one dev / test | kg:all group dev / test "
        "| group - one dev / test | group - baseline (test) |",
        "|---|---|---|---|---|---|---|",
    ]
    for report in reports:
        for ds, d in json.loads(report.read_text())["datasets"].items():
            fam = d["families"].get(family)
            if not fam or "kg:all" not in fam or "baseline" not in fam:
                continue
            got = _both(fam, "baseline")
            one = _both(fam, "kg:all")
            diffs: list[tuple[float, float, float]] = []
            for seed in sorted(one):
                res = cells.get(f"{ds}/seed-{seed}/kg-all/result.json")
                if res is None or seed not in got:
                    continue
                f = res["families"][family]
                group = (100 * f["dev_f1"], 100 * f["test"]["strict"]["f1"])
                base, old = got[seed], one[seed]
                diffs.append((group[0] - old[0], group[1] - old[1], group[1] - base[1]))
                dev_d, test_d, gain = diffs[-1]
                lines.append(
                    f"| {ds} | {seed} | {base[0]:.2f} / {base[1]:.2f} | {old[0]:.2f} / "
                    f"{old[1]:.2f} | {group[0]:.2f} / {group[1]:.2f} | {dev_d:+.2f} / "
                    f"{test_d:+.2f} | {gain:+.2f} |"
                )
            if diffs:
                mean = [statistics.mean(d[i] for d in diffs) for i in range(3)]
                gaining = sum(d[2] > 0 for d in diffs)
                lines.append(
                    f"| {ds} | mean of {len(diffs)} | | | | {mean[0]:+.2f} / {mean[1]:+.2f} | "
                    f"{mean[2]:+.2f} ({gaining}/{len(diffs)} gaining) |"
                )
    return "\n".join(lines) + "\n"


def _both(fam: dict[str, Any], variant: str) -> dict[int, tuple[float, float]]:
    """seed -> (dev F1, test strict F1) in points, from a report's family table."""
    v = fam[variant]
    dev = _per_seed(v["dev_f1"], v["seeds"])
    test = _per_seed(v["strict_f1"], v["seeds"])
    return {s: (100 * dev[s], 100 * test[s]) for s in v["seeds"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--f1", type=Path, nargs="+", help="reports of grids run with mentions: one")
    ap.add_argument("--family", default="linear")
    args = ap.parse_args()
    run = args.run_dir
    text = f1_table(run, args.f1, args.family) if args.f1 else table(compare(run))
    if args.out:
        write_text(args.out, text)
    print(text, end="")


if __name__ == "__main__":
    main()
