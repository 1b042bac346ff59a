"""The runner: resume after an interruption, failed runs recorded, report written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hilgen_graph.corpus.load import load_corpus
from hilgen_graph.evaluation.config import load_config
from hilgen_graph.evaluation.runner import RunEvent, run_grid
from hilgen_graph.synthetic import Provenance, SyntheticRecord, write_synthetic


class Interrupt(Exception):
    pass


def _synthetic(train: Path, out: Path) -> Path:
    records = []
    for i, s in enumerate(load_corpus(train).sentences[:4]):
        records.append(
            SyntheticRecord(
                id=f"syn{i}",
                text=s.text,
                tokens=s.words,
                tags=s.tags,
                provenance=Provenance(arm="kg", seed_sentence_id=s.id, layer="synonyms"),
            )
        )
    bad = load_corpus(train).sentences[5]
    records.append(
        SyntheticRecord(
            id="bad",
            text=bad.text,
            tokens=bad.words,
            tags=["B-Chemical"] + ["O"] * (len(bad.words) - 1),
            provenance=Provenance(arm="kg", seed_sentence_id=bad.id, layer="parents"),
        )
    )
    write_synthetic(out, records)
    return out


@pytest.mark.slow
def test_interrupted_grid_resumes_and_records_failures(
    tmp_path: Path, tiny_ncbi: dict[str, Path]
) -> None:
    synth = _synthetic(tiny_ncbi["train"], tmp_path / "kg.jsonl")
    cfg_file = tmp_path / "grid.yaml"
    cfg_file.write_text(
        f"""
name: tiny
datasets:
  - name: tiny_ncbi
    train: {tiny_ncbi["train"]}
    dev: {tiny_ncbi["dev"]}
    test: {tiny_ncbi["test"]}
k: 2
seeds: [1]
variants: [baseline, "kg:synonyms", "kg:parents"]
model: [linear, nnshot]
training: {{lr: 1.0e-4, batch_size: 4, min_steps: 2, max_steps: 2, eval_points: 1}}
dev_subset: 4
bootstrap_samples: 50
synthetic: {{kg: {synth}}}
""",
        encoding="utf-8",
    )
    cfg = load_config(cfg_file)
    out = tmp_path / "run"

    def stop_after_first(ev: RunEvent) -> None:
        if ev.kind == "run_done" and ev.status == "ok":
            raise Interrupt

    with pytest.raises(Interrupt):
        run_grid(cfg, out, on_event=stop_after_first)
    seed_dir = out / "runs" / "tiny_ncbi" / "seed-1"
    first = json.loads((seed_dir / "baseline" / "result.json").read_text())
    assert not (seed_dir / "kg-synonyms" / "result.json").exists()

    summary = run_grid(cfg, out)
    assert summary.reused == 1 and summary.finished == 1 and summary.failed == 1
    assert json.loads((seed_dir / "baseline" / "result.json").read_text()) == first
    failed = json.loads((seed_dir / "kg-parents" / "failed.json").read_text())
    assert "Chemical" in failed["error"]
    assert (seed_dir / "synthetic" / "kg.jsonl").is_file()
    assert json.loads((seed_dir / "sample.json").read_text())["ids"]
    report = json.loads((out / "report.json").read_text())
    rows = report["datasets"]["tiny_ncbi"]["families"]
    assert set(rows["linear"]) >= {"baseline", "kg:synonyms"}
    assert set(rows["nnshot"]) >= {"baseline", "kg:synonyms"}
    assert report["datasets"]["tiny_ncbi"]["failed"][0]["variant"] == "kg:parents"
    assert "| baseline |" in (out / "report.md").read_text()
    assert (out / "plots" / "f1_per_variant.png").stat().st_size > 0
    assert (out / "plots" / "layer_gains.png").stat().st_size > 0
