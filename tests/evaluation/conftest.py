"""Fixtures for evaluation tests: tiny CoNLL splits cut from the real NCBI-disease files."""

from __future__ import annotations

from pathlib import Path

import pytest


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
    for split, name, n in (("train", "train.tsv", 12), ("dev", "devel.tsv", 6),
                           ("test", "test.tsv", 8)):
        p = out / f"{split}.tsv"
        p.write_text("\n\n".join(_sentences(src / name, n, with_entity=True)) + "\n\n",
                     encoding="utf-8")
        files[split] = p
    return files
