"""Which semantic types a label's gold mentions have, beside the types of the concepts the KG
arm put in their place: the evidence for a narrower label profile (``-TUI`` entries of
``--label-groups`` / ``kg.label_groups``).

Gold mentions are read from a PubTator file (the *dev* split: choices are made on dev, never
on test) and typed by their corpus concept id; synthetic records by their related concept.
A type is proposed for exclusion when it makes up under ``--rare`` of the gold mentions and
the synthetic names carry it at least ``--ratio`` times as often.

    .venv/bin/python bench/label_types.py --store runs/free-store \
        --gold ../shared/data/ner/bc5cdr/pubtator/CDR_DevelopmentSet.PubTator.txt \
        --label Chemical runs/bc5cdr-grid/runs/bc5cdr/seed-{1,2,3}/synthetic/kg.jsonl
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from hilgen_graph.graph.backends import open_store


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("synthetic", nargs="+", type=Path, help="KG-arm JSONL files")
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--gold", type=Path, required=True, help="PubTator file (dev split)")
    ap.add_argument("--label", required=True)
    ap.add_argument(
        "--gold-labels", default="", help="gold labels merged into --label (comma list)"
    )
    ap.add_argument("--rare", type=float, default=0.03)
    ap.add_argument("--ratio", type=float, default=2.0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    gold_labels = set(filter(None, args.gold_labels.split(","))) or {args.label}
    store = open_store("embedded", path=args.store, read_only=True)
    gold: Counter[str] = Counter()
    typed = untyped = 0
    for line in args.gold.read_text(encoding="utf-8").splitlines():
        cols = line.split("\t")
        if len(cols) < 6 or cols[4] not in gold_labels:
            continue
        concept = store.concept(cols[5].split("|")[0].removeprefix("MESH:"))
        if concept is None:
            untyped += 1
            continue
        typed += 1
        gold.update(set(concept.semantic_types))
    synth: Counter[str] = Counter()
    names = 0
    for path in args.synthetic:
        for line in path.read_text(encoding="utf-8").splitlines():
            prov = json.loads(line)["provenance"]
            if prov["replaced_entity"]["label"] != args.label:
                continue
            concept = store.concept(prov["related_concept_id"])
            names += 1
            if concept is not None:
                synth.update(set(concept.semantic_types))
    rows = []
    for tui in sorted(set(gold) | set(synth), key=lambda t: -synth[t]):
        st = store.semantic_type(tui)
        g, s = gold[tui] / max(typed, 1), synth[tui] / max(names, 1)
        exclude = g < args.rare and s >= args.ratio * g and s > 0
        rows.append(
            {
                "tui": tui,
                "name": st.name if st else "",
                "gold": g,
                "synthetic": s,
                "exclude": exclude,
            }
        )
    store.close()
    out = {
        "label": args.label,
        "gold_file": str(args.gold),
        "gold_mentions_typed": typed,
        "gold_mentions_untyped": untyped,
        "synthetic_names": names,
        "rule": f"gold share < {args.rare:.0%} and synthetic share >= {args.ratio:g} x gold",
        "types": rows,
        "excluded": [r["tui"] for r in rows if r["exclude"]],
    }
    if args.json:
        print(json.dumps(out, indent=2))
        return
    print(
        f"{args.label}: {typed} typed gold mentions ({untyped} without a concept in the store), "
        f"{names} synthetic names; exclude when {out['rule']}\n"
    )
    print("| type | name | gold | synthetic | exclude |\n|---|---|---|---|---|")
    for r in rows:
        mark = "yes" if r["exclude"] else ""
        print(f"| {r['tui']} | {r['name']} | {r['gold']:.1%} | {r['synthetic']:.1%} | {mark} |")
    excluded = ", ".join(f"-{t}" for t in out["excluded"])
    print(f"\nexclusions (after the label's groups): {excluded}")


if __name__ == "__main__":
    main()
