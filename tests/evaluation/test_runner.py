"""The runner: resume after an interruption, failed runs recorded, report written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hilgen_graph.corpus.kshot import draw_sample
from hilgen_graph.corpus.load import load_corpus
from hilgen_graph.evaluation.config import load_config
from hilgen_graph.evaluation.runner import RunEvent, run_grid
from hilgen_graph.synthetic import Provenance, SyntheticRecord, write_synthetic


class Interrupt(Exception):
    pass


def _synthetic(train: Path, out: Path, seed: int = 1, k: int = 2) -> Path:
    """KG-like records made from the sentences of the k-shot sample the runner draws for this
    seed (the runner refuses records seeded from outside its sample): two per sentence on the
    synonyms layer, and one with a label outside the corpus on the parents layer."""
    pool = load_corpus(train).sentences
    ids = set(draw_sample(pool, k, seed, "hilgen").sentence_ids)
    sample = [s for s in pool if s.id in ids]
    records = []
    for i, s in enumerate(sample + sample):
        records.append(
            SyntheticRecord(
                id=f"syn{i}",
                text=s.text,
                tokens=s.words,
                tags=s.tags,
                provenance=Provenance(arm="kg", seed_sentence_id=s.id, layer="synonyms"),
            )
        )
    bad = sample[0]
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


def _tiny_grid(tiny: dict[str, Path], seeds: str = "[1]") -> str:
    """The head of a 2-shot grid config on the tiny NCBI-like corpus."""
    return f"""
name: tiny
datasets:
  - name: tiny_ncbi
    train: {tiny["train"]}
    dev: {tiny["dev"]}
    test: {tiny["test"]}
k: 2
seeds: {seeds}
"""


@pytest.mark.slow
def test_interrupted_grid_resumes_and_records_failures(
    tmp_path: Path, tiny_ncbi: dict[str, Path]
) -> None:
    synth = _synthetic(tiny_ncbi["train"], tmp_path / "kg.jsonl")
    cfg_file = tmp_path / "grid.yaml"
    cfg_file.write_text(
        _tiny_grid(tiny_ncbi)
        + f"""variants: [baseline, "kg:synonyms", "kg:parents"]
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
    assert json.loads((seed_dir / "sample.json").read_text())["sentence_ids"]
    report = json.loads((out / "report.json").read_text())
    rows = report["datasets"]["tiny_ncbi"]["families"]
    assert set(rows["linear"]) >= {"baseline", "kg:synonyms"}
    assert set(rows["nnshot"]) >= {"baseline", "kg:synonyms"}
    assert report["datasets"]["tiny_ncbi"]["failed"][0]["variant"] == "kg:parents"
    assert "| baseline |" in (out / "report.md").read_text()
    assert (out / "plots" / "f1_per_variant.png").stat().st_size > 0
    assert (out / "plots" / "layer_gains.png").stat().st_size > 0

    # the configured file changes (same path, one sentence fewer): the seed folder's copy is
    # remade and the run that trained on the old data is trained again; the baseline is kept
    lines = synth.read_text(encoding="utf-8").splitlines()
    synth.write_text("\n".join(lines[1:]) + "\n", encoding="utf-8")
    again = run_grid(cfg, out)
    assert (again.reused, again.finished, again.failed) == (1, 1, 1)
    saved = seed_dir / "synthetic" / "kg.jsonl"
    assert len(saved.read_text(encoding="utf-8").splitlines()) == len(lines) - 1
    origin = json.loads((seed_dir / "synthetic" / "kg.origin.json").read_text())
    assert origin["file"] == str(synth) and len(origin["sha256"]) == 64
    retrained = json.loads((seed_dir / "kg-synonyms" / "result.json").read_text())
    assert retrained["n_synthetic"] == len(lines) - 2  # the parents record is not selected


@pytest.mark.slow
def test_kg_data_is_remade_when_its_origin_is_unknown_or_changed(
    tmp_path: Path, tiny_ncbi: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """KG data is remade when its origin (settings, KG-arm code, store) is not recorded or
    differs; a run is retrained only when the records it selects change. (A grid's NCBI-disease
    data made by older grounding code was once kept and trained on, because the folder had no
    origin record.)"""
    from hilgen_graph.evaluation import data as datamod
    from hilgen_graph.synthetic import read_synthetic

    made = tmp_path / "made.jsonl"
    _synthetic(tiny_ncbi["train"], made)
    calls: list[int] = []

    def fake_kg_arm(sample, kg, seed, eval_sentences=()):  # type: ignore[no-untyped-def]
        calls.append(len(kg.label_groups))
        return list(read_synthetic(made))

    monkeypatch.setattr(datamod, "kg_synthetic", fake_kg_arm)

    def config(groups: str) -> Path:
        cfg_file = tmp_path / f"grid{len(groups)}.yaml"
        cfg_file.write_text(
            _tiny_grid(tiny_ncbi)
            + f"""variants: [baseline, "kg:synonyms"]
training: {{lr: 1.0e-4, batch_size: 4, min_steps: 2, max_steps: 2, eval_points: 1}}
dev_subset: 4
bootstrap_samples: 20
ensembles: false
kg: {{label_groups: {{{groups}}}}}
""",
            encoding="utf-8",
        )
        return cfg_file

    out = tmp_path / "run"
    first = run_grid(load_config(config("")), out)
    assert first.finished == 2 and calls == [0]
    origin = out / "runs" / "tiny_ncbi" / "seed-1" / "synthetic" / "kg.origin.json"
    recorded = json.loads(origin.read_text())
    assert recorded["kg"]["label_groups"] == {} and recorded["code"] == datamod.kg_code_digest()
    assert run_grid(load_config(config("")), out).reused == 2 and calls == [0]  # kept
    origin.unlink()  # as in a folder from before origins were kept: made again, same records
    again = run_grid(load_config(config("")), out)
    assert again.reused == 2 and calls == [0, 0]
    # other KG-arm code made the saved data: made again; the same records keep the run
    origin.write_text(json.dumps({**recorded, "code": "older"}), encoding="utf-8")
    assert run_grid(load_config(config("")), out).reused == 2 and calls == [0, 0, 0]
    # other records: the run that read them is retrained, the baseline kept
    _synthetic(tiny_ncbi["train"], made)
    lines = made.read_text(encoding="utf-8").splitlines()
    made.write_text("\n".join(lines[1:]) + "\n", encoding="utf-8")
    changed = run_grid(load_config(config("Disease: [DISO, '-T184']")), out)
    assert calls == [0, 0, 0, 1] and changed.reused == 1 and changed.finished == 1


def _hilgen(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "HILGEN_TORCH_THREADS": "1"}
    return subprocess.Popen(
        [sys.executable, "-c", "from hilgen_graph.cli import main; main()", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )


@pytest.mark.slow
def test_two_shard_processes_merge_into_the_whole_grid(
    tmp_path: Path, tiny_ncbi: dict[str, Path]
) -> None:
    for seed in (1, 2):
        _synthetic(tiny_ncbi["train"], tmp_path / f"kg-{seed}.jsonl", seed)
    synth = tmp_path / "kg-{seed}.jsonl"
    cfg_file = tmp_path / "grid.yaml"
    cfg_file.write_text(
        _tiny_grid(tiny_ncbi, seeds="[1, 2]")
        + f"""variants: [baseline, "kg:synonyms"]
model: [linear]
training: {{lr: 1.0e-4, batch_size: 4, steps: 2, gold_per_batch: 2, eval_every: 1}}
dev_subset: 4
bootstrap_samples: 50
synthetic: {{kg: "{synth}"}}
""",
        encoding="utf-8",
    )
    shards = [tmp_path / "shard-1", tmp_path / "shard-2"]
    procs = [
        _hilgen("evaluate", "--config", str(cfg_file), "--out", str(d), "--shard", f"{i}/2")
        for i, d in enumerate(shards, 1)
    ]
    for p in procs:  # both run at once
        out, _ = p.communicate(timeout=600)
        assert p.returncode == 0, out
    done = [
        sorted(str(f.relative_to(d / "runs")) for f in (d / "runs").rglob("result.json"))
        for d in shards
    ]
    assert len(done[0]) == len(done[1]) == 2 and not set(done[0]) & set(done[1])
    # one shard alone: the report says which cells are missing
    p = _hilgen("report", str(shards[0]))
    out, _ = p.communicate(timeout=300)
    assert p.returncode == 0, out
    assert "cells: 2 of 4 finished" in out and out.count("missing") == 2
    merged = tmp_path / "merged"
    p = _hilgen("report", str(shards[0]), str(shards[1]), "--out", str(merged), "--json")
    out, _ = p.communicate(timeout=300)
    assert p.returncode == 0, out
    rep = json.loads(out)
    assert rep["coverage"]["finished"] == 4 and rep["coverage"]["missing"] == []
    ds = rep["datasets"]["tiny_ncbi"]
    assert ds["pairing"]["ok"] and ds["pairing"]["checked_runs"] == 4
    assert ds["families"]["linear"]["kg:synonyms"]["per_seed"]["paired"] == 2
    assert "best ensemble (dev)" in ds["families"]["linear"]
    assert ds["dev_curves"]["linear"]["baseline"]["steps"] == [1, 2]
    for name in ("report.md", "report.json", "plots/dev_curves_tiny_ncbi_linear.png"):
        assert (merged / name).stat().st_size > 0
    curve = json.loads(
        (merged / "runs" / "tiny_ncbi" / "seed-1" / "kg-synonyms" / "dev_curve.json").read_text()
    )
    assert [pt["step"] for pt in curve["points"]] == [1, 2]
    result = json.loads(
        (merged / "runs" / "tiny_ncbi" / "seed-1" / "kg-synonyms" / "result.json").read_text()
    )
    assert result["budget"]["gold_passes"] == 4 and result["budget"]["steps"] == 2
