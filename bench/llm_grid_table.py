"""Per-template table of the LLM arm's runs on the evaluation grids' own k-shot samples.

Reads ``DIR/seedN/llm.jsonl`` (accepted) and ``DIR/seedN/llm.rejected.jsonl`` (every rejection
with its funnel stage) written by ``hilgen generate llm --sample .../seed-N/sample.json``, and
prints a markdown row per template: candidates, accepted, rejections per stage, the share of
``new_context`` sentences among the accepted ones.

    .venv/bin/python bench/llm_grid_table.py bench/results/llm_arm/grid/ncbi_disease 1,2,3,4,5
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from pathlib import Path


def table(root: Path, seeds: list[int]) -> list[str]:
    accepted: Counter[str] = Counter()
    kinds: dict[str, Counter[str]] = defaultdict(Counter)
    rejected: dict[str, Counter[str]] = defaultdict(Counter)
    for s in seeds:
        for line in (root / f"seed{s}" / "llm.jsonl").read_text(encoding="utf-8").splitlines():
            llm = json.loads(line)["provenance"]["llm"]
            accepted[llm["prompt_name"]] += 1
            kinds[llm["prompt_name"]][llm["kind"]] += 1
        rej = (root / f"seed{s}" / "llm.rejected.jsonl").read_text(encoding="utf-8")
        for line in rej.splitlines():
            r = json.loads(line)
            name = ((r.get("provenance") or {}).get("llm") or {}).get("prompt_name", "?")
            rejected[name][r["stage"]] += 1
    rows = [
        "| template | candidates | accepted | rejected per stage | new_context of accepted |",
        "|---|---|---|---|---|",
    ]
    names = sorted(set(accepted) | set(rejected))
    for name in [*names, "both"]:
        if name == "both":
            acc = sum(accepted.values())
            rej = sum((rejected[n] for n in names), Counter())
            new = sum(kinds[n]["new_context"] for n in names)
        else:
            acc, rej, new = accepted[name], rejected[name], kinds[name]["new_context"]
        n = acc + sum(rej.values())
        stages = ", ".join(f"{k} {v}" for k, v in rej.most_common())
        rows.append(
            f"| {name} | {n} | {acc} ({100 * acc / max(n, 1):.1f} %) | {stages} | "
            f"{new}/{acc} ({100 * new / max(acc, 1):.0f} %) |"
        )
    return rows


if __name__ == "__main__":
    print("\n".join(table(Path(sys.argv[1]), [int(x) for x in sys.argv[2].split(",")])))
