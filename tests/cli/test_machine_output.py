"""Machine-readable output: every ``--json`` is strict JSON alone on stdout (no progress lines,
no NaN); progress goes to stderr, one line per finished unit where stderr is a log file."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hilgen_graph.cli import app
from hilgen_graph.evaluation.report import build_report
from hilgen_graph.settings import data_dir

#: the real entry point (``hilgen``) in a fresh process, with stdout and stderr apart
HILGEN = [sys.executable, "-c", "from hilgen_graph.cli import main; main()"]


def strict_loads(text: str) -> Any:
    """``json.loads`` that refuses NaN and Infinity (what a strict parser does)."""

    def reject(name: str) -> None:
        raise ValueError(f"not strict JSON: {name}")

    return json.loads(text, parse_constant=reject)


def _tiny_split(src: Path, n: int, out: Path) -> Path:
    blocks = [b for b in src.read_text(encoding="utf-8").strip().split("\n\n") if "B-" in b]
    out.write_text("\n\n".join(blocks[:n]) + "\n\n", encoding="utf-8")
    return out


@pytest.fixture()
def tiny_grid(tmp_path: Path) -> Path:
    """The smallest real grid: real NCBI-disease sentences, one seed (so every sd is NaN),
    the baseline, the linear head, two training steps."""
    conll = data_dir() / "ner" / "ncbi_disease" / "conll"
    train = _tiny_split(conll / "train.tsv", 8, tmp_path / "train.tsv")
    dev = _tiny_split(conll / "devel.tsv", 4, tmp_path / "dev.tsv")
    test = _tiny_split(conll / "test.tsv", 4, tmp_path / "test.tsv")
    cfg = tmp_path / "grid.yaml"
    cfg.write_text(
        f"""
name: tiny
datasets:
  - name: tiny_ncbi
    train: {train}
    dev: {dev}
    test: {test}
k: 1
seeds: [1]
variants: [baseline]
model: [linear]
training: {{lr: 1.0e-4, batch_size: 4, min_steps: 2, max_steps: 2, eval_points: 1}}
dev_subset: 2
bootstrap_samples: 10
""",
        encoding="utf-8",
    )
    return cfg


@pytest.mark.slow
def test_evaluate_json_is_strict_and_alone_on_stdout(tiny_grid: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    cmd = [*HILGEN, "evaluate", "--config", str(tiny_grid)]
    proc = subprocess.run(
        [*cmd, "--out", str(out), "--json"], capture_output=True, text=True, timeout=900
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = strict_loads(proc.stdout)  # the whole of stdout is one strict JSON document
    row = report["datasets"]["tiny_ncbi"]["families"]["linear"]["baseline"]
    # the report holds NaN (the baseline's relative gain over itself); the JSON says null
    raw = build_report(out)["datasets"]["tiny_ncbi"]["families"]["linear"]["baseline"]
    assert math.isnan(raw["gain_relative_percent"])
    assert row["gain_relative_percent"] is None
    assert math.isfinite(row["strict_f1"]["mean"])
    # progress went to stderr, one plain line per finished run (stderr is a pipe here)
    assert "1/1 ok tiny_ncbi seed 1 baseline" in proc.stderr
    # rerun: the run is reused, the JSON is the same and still strict
    again = subprocess.run(
        [*cmd, "--out", str(out), "--json"], capture_output=True, text=True, timeout=900
    )
    assert again.returncode == 0 and "1/1 reused tiny_ncbi seed 1 baseline" in again.stderr
    assert strict_loads(again.stdout)["datasets"] == report["datasets"]


NCBI_PUBTATOR = "ner/ncbi_disease/original/NCBItrainset_corpus.txt"
FAKE_RUN = Path(__file__).resolve().parents[1] / "evaluation" / "conftest.py"


def _fake_run(root: Path) -> Path:
    """The hand-made run folder of tests/evaluation/conftest.py (no training)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("evaluation_conftest", FAKE_RUN)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return Path(module.make_run(root / "run"))


@pytest.fixture(scope="module")
def json_inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from tests.support.small_graph import small_records

    from hilgen_graph.graph.embedded import EmbeddedStore

    root = tmp_path_factory.mktemp("json-inputs")
    store = root / "store"
    writer = EmbeddedStore(store, read_only=False)
    writer.load(small_records())
    writer.close()
    corpus = root / "c.conll"
    corpus.write_text("High\tB-Disease\npressure\tI-Disease\n[/x]\tO\n\n", encoding="utf-8")
    synth = root / "s.jsonl"
    synth.write_text("", encoding="utf-8")
    return {"store": store, "corpus": corpus, "synth": synth, "run": _fake_run(root)}


JSON_COMMANDS: dict[str, list[str]] = {
    "graph stats": ["graph", "stats", "--store", "{store}", "--json"],
    "graph related": ["graph", "related", "D003", "--layer", "children", "--store", "{store}",
                      "--json"],
    "corpus stats": ["corpus", "stats", "{corpus}", "--json"],
    "check": ["check", "{synth}", "--json"],
    "report": ["report", "{run}", "--json"],
    "llm models": ["llm", "models", "--json"],
    "data check": ["data", "check", "--json"],
    "prompts list": ["prompts", "list", "--json"],
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(JSON_COMMANDS))
def test_every_json_output_is_strict_json_alone_on_stdout(
    name: str, json_inputs: dict[str, Path]
) -> None:
    args = [a.format(**{k: str(v) for k, v in json_inputs.items()}) for a in JSON_COMMANDS[name]]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert result.stdout.count("\n") == 1  # one line: the JSON document
    strict_loads(result.stdout)


def test_augment_kg_logs_one_line_per_expanded_entity(
    data_root: Path, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    from tests.graph.free_store import session_free_store

    monkeypatch.setenv("HILGEN_CACHE_DIR", str(tmp_path / "cache"))
    args = [
        "augment", "kg", "--corpus", str(data_root / NCBI_PUBTATOR),
        "--format", "pubtator", "--k", "1", "--seed", "1",
        "--store", str(session_free_store(tmp_path_factory)), "--layers", "synonyms",
        "--out", str(tmp_path / "s.jsonl"), "--collapse", "--json",
    ]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    report = strict_loads(result.stdout)
    lines = [x for x in result.stderr.splitlines() if x.startswith("expanding linked entities")]
    total = report["linked_entities"]
    assert total > 0 and lines[-1] == f"expanding linked entities: {total}/{total}"
    assert len(lines) == total  # a log gets one line per finished unit, not one bar at the end
