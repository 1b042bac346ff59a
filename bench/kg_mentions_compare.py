"""KG-arm data with ``mentions: one`` (a mention replaced alone) against ``mentions: group`` (with
its co-referent mentions) on the k-shot samples of a grid's run folder; no training.

    .venv/bin/python -m bench.kg_mentions_compare RUN_DIR [--out FILE.md]

For every dataset and seed of ``RUN_DIR`` (its ``runs/<dataset>/seed-N/sample.json``) the grid's
own KG path (``evaluation.data.kg_synthetic``, the free graph) runs once per mode; the table
counts the sentences written and those in which the replaced mention's text still stands as
another entity of the sentence ("midazolam ... ro 21 3981 ... midazolam").
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from hilgen_graph.atomic import write_text
from hilgen_graph.corpus.kshot import load_sample
from hilgen_graph.evaluation.config import DatasetSpec, KGConfig
from hilgen_graph.evaluation.data import kg_synthetic, load_splits
from hilgen_graph.graph.normalize import normalize
from hilgen_graph.synthetic import SyntheticRecord

COLLAPSE = {"ncbi_disease": "Disease"}
MODES = ("one", "group")


def _entity_texts(rec: SyntheticRecord) -> list[str]:
    out: list[str] = []
    for tok, tag in zip(rec.tokens, rec.tags, strict=True):
        if tag.startswith("B-"):
            out.append(tok)
        elif tag.startswith("I-") and out:
            out[-1] += " " + tok
    return [normalize(x) for x in out]


def stale(rec: SyntheticRecord) -> bool:
    """Whether the replaced mention's text is still an entity of the new sentence."""
    replaced = rec.provenance.replaced_entity
    return replaced is not None and normalize(replaced.text) in _entity_texts(rec)


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
        rows += [{"dataset": ds_dir.name, "mentions": m, **t} for m, t in totals.items()]
    return rows


def table(rows: list[dict[str, object]]) -> str:
    lines = [
        "| dataset | mentions | seeds | KG sentences | replaced text still an entity |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        n, s = int(r["sentences"]), int(r["stale"])  # type: ignore[call-overload]
        share = f"{s / n:.1%}" if n else "-"
        lines.append(
            f"| {r['dataset']} | {r['mentions']} | {r['seeds']} | {n:,} | {s:,} ({share}) |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    text = table(compare(args.run_dir))
    if args.out:
        write_text(args.out, text)
    print(text, end="")


if __name__ == "__main__":
    main()
