"""Fixtures for evaluation tests: tiny CoNLL splits cut from the real NCBI-disease files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml


def _sentences(path: Path, n: int, *, with_entity: bool | None = None) -> list[str]:
    blocks = path.read_text(encoding="utf-8").strip().split("\n\n")
    out = []
    for b in blocks:
        has = "B-" in b
        if with_entity is None or has == with_entity:
            out.append(b)
        if len(out) == n:
            break
    return out


@pytest.fixture(scope="session")
def tiny_ncbi(data_root: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """train (12 sentences with a mention), dev (6), test (8) from the real NCBI CoNLL files."""
    src = data_root / "ner" / "ncbi_disease" / "conll"
    out = tmp_path_factory.mktemp("tiny_ncbi")
    files = {}
    for split, name, n in (
        ("train", "train.tsv", 12),
        ("dev", "devel.tsv", 6),
        ("test", "test.tsv", 8),
    ):
        p = out / f"{split}.tsv"
        p.write_text(
            "\n\n".join(_sentences(src / name, n, with_entity=True)) + "\n\n", encoding="utf-8"
        )
        files[split] = p
    return files


# --- a hand-made run folder (no training) for report and CLI tests ---

GOLD = [["B-Disease", "I-Disease", "O"], ["O", "B-Disease", "O"]]
# per seed and variant: test predictions (linear) -> strict F1 computed by hand below
PREDS = {
    (1, "baseline"): [["B-Disease", "I-Disease", "O"], ["O", "O", "O"]],  # tp1 p1 g2: F1 2/3
    (2, "baseline"): [["O", "O", "O"], ["O", "O", "O"]],  # F1 0
    (1, "kg:all"): [["B-Disease", "I-Disease", "O"], ["O", "B-Disease", "O"]],  # F1 1
    (2, "kg:all"): [["B-Disease", "I-Disease", "O"], ["O", "O", "O"]],  # F1 2/3
}
F1 = {(1, "baseline"): 2 / 3, (2, "baseline"): 0.0, (1, "kg:all"): 1.0, (2, "kg:all"): 2 / 3}


def _prf(f1: float) -> dict[str, float]:
    return {"precision": f1, "recall": f1, "f1": f1, "support": 2, "predicted": 2}


def make_run(root: Path) -> Path:
    cfg = {
        "name": "fake",
        "datasets": [{"name": "toy"}],
        "k": 1,
        "seeds": [1, 2],
        "variants": ["baseline", "kg:all"],
        "model": ["linear"],
        "encoder": "minilm",
        "dev_subset": 2,
        "test_limit": None,
        "bootstrap_samples": 200,
    }
    root.mkdir(parents=True, exist_ok=True)
    (root / "config.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    ds = root / "runs" / "toy"
    ds.mkdir(parents=True)
    (ds / "test_gold.json").write_text(json.dumps({"ids": ["a", "b"], "tags": GOLD}))
    for (seed, variant), tags in PREDS.items():
        d = ds / f"seed-{seed}" / variant.replace(":", "-")
        d.mkdir(parents=True)
        f1 = F1[(seed, variant)]
        result = {
            "dataset": "toy",
            "seed": seed,
            "variant": variant,
            "n_gold": 1,
            "n_synthetic": 0 if variant == "baseline" else 10,
            "families": {
                "linear": {
                    "best_step": 1,
                    "dev_f1": 0.5,
                    "test": {
                        "strict": _prf(f1),
                        "default_f1": f1,
                        "io_f1": f1,
                        "per_type": {"Disease": _prf(f1)},
                    },
                    "seen": _prf(f1),
                    "unseen": _prf(0.0),
                }
            },
            "timing": {"seconds": 2.0},
        }
        (d / "result.json").write_text(json.dumps(result))
        (d / "predictions.json").write_text(json.dumps({"test": {"linear": tags}, "dev": {}}))
    return root


@pytest.fixture
def fake_run(tmp_path: Path) -> Path:
    return make_run(tmp_path / "run")
