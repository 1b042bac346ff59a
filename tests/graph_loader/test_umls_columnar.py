"""The embedded bulk load's columnar reading of MRSTY/MRREL gives what the record stream gives."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path
from typing import Any

import pytest
from tests.graph_loader.stream_contract import RRF_FIXTURES

from hilgen_graph.graph import bulk
from hilgen_graph.graph.embedded import EmbeddedStore
from hilgen_graph.graph_loader import umls
from hilgen_graph.graph_loader.umls import UmlsSource
from hilgen_graph.testing.synthetic_rrf import SyntheticRrfSpec, write_synthetic_rrf


def _answers(store_dir: Path) -> dict[str, Any]:
    with EmbeddedStore(store_dir) as store:
        ids = sorted(
            str(r[0])
            for r in store._rows("MATCH (c:Concept) RETURN c.id")  # noqa: SLF001
        )
        out: dict[str, Any] = {"stats": store.stats()}
        for cid in ids:
            c = store.concept(cid)
            assert c is not None
            out[cid] = (
                c,
                sorted(store.synonyms(cid), key=repr),
                sorted(store.parents(cid), key=repr),
                sorted(store.children(cid), key=repr),
                sorted(store.siblings(cid), key=repr),
                store.same_semantic_type(cid, limit=5, seed=1),
                sorted(store.lookup(c.preferred_name), key=repr),
            )
        return out


def _both(meta: Path, tmp_path: Path, **options: Any) -> None:
    fast = UmlsSource(meta, **options)
    slow = UmlsSource(meta, **options)
    fast_report = bulk.build_store(fast, tmp_path / "fast")  # uses columnar_records()
    slow_report = bulk.build_store(iter(slow), tmp_path / "slow")  # the plain record stream
    assert fast_report.stats == slow_report.stats
    assert fast_report.records == slow_report.records
    assert fast_report.dropped == slow_report.dropped
    assert fast.report.as_dict() == slow.report.as_dict()
    assert _answers(tmp_path / "fast") == _answers(tmp_path / "slow")


@pytest.mark.parametrize("block_bytes", [1 << 24, 300])  # one block; many blocks
def test_synthetic_release(tmp_path: Path, block_bytes: int, monkeypatch: Any) -> None:
    monkeypatch.setattr(umls, "COLUMNAR_BLOCK_BYTES", block_bytes)
    write_synthetic_rrf(tmp_path / "rrf", SyntheticRrfSpec().scaled(300))
    meta = next((tmp_path / "rrf").rglob("MRCONSO.RRF")).parent
    _both(meta, tmp_path)
    _both(meta, tmp_path / "sab", sab="MSH,SNOMEDCT_US")


@pytest.mark.parametrize("fixture", ["direction", "bad_rows"])
def test_rrf_fixtures(tmp_path: Path, fixture: str) -> None:
    _both(RRF_FIXTURES / fixture, tmp_path, skip_bad_rows=True)


def test_bad_row_after_good_blocks_falls_back(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(umls, "COLUMNAR_BLOCK_BYTES", 300)
    write_synthetic_rrf(tmp_path / "rrf", SyntheticRrfSpec().scaled(100))
    meta = next((tmp_path / "rrf").rglob("MRCONSO.RRF")).parent
    bad = tmp_path / "bad"
    shutil.copytree(meta, bad)
    for name in ("MRCONSO.RRF", "MRSTY.RRF", "MRREL.RRF"):
        lines = (bad / name).read_text(encoding="utf-8").splitlines(keepends=True)
        lines.insert(len(lines) // 2, "C0000001|T047\n")  # too few fields, mid-file
        lines.insert(len(lines) - 3, "x|" * 20 + "\n")  # too many, near the end
        (bad / name).write_text("".join(lines), encoding="utf-8")
    _both(bad, tmp_path, skip_bad_rows=True)
    with pytest.raises(umls.GraphError, match="MRCONSO.RRF:"):
        bulk.build_store(UmlsSource(bad), tmp_path / "strict")


def test_unsorted_mrconso_and_gzip(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(umls, "COLUMNAR_BLOCK_BYTES", 2000)
    write_synthetic_rrf(tmp_path / "rrf", SyntheticRrfSpec().scaled(100))
    meta = next((tmp_path / "rrf").rglob("MRCONSO.RRF")).parent
    gz = tmp_path / "gz"
    gz.mkdir()
    for f in meta.iterdir():
        data = f.read_bytes()
        if f.name.startswith(("MRCONSO", "MRREL")):
            (gz / f"{f.name}.gz").write_bytes(gzip.compress(data))
        else:
            (gz / f.name).write_bytes(data)
    _both(gz, tmp_path / "gz-load")
    lines = (meta / "MRCONSO.RRF").read_text(encoding="utf-8").splitlines(keepends=True)
    (meta / "MRCONSO.RRF").write_text("".join(lines[5:] + lines[:5]), encoding="utf-8")
    with pytest.raises(umls.GraphError, match="not sorted by CUI") as fast:
        bulk.build_store(UmlsSource(meta), tmp_path / "fast")
    with pytest.raises(umls.GraphError) as slow:
        bulk.build_store(iter(UmlsSource(meta)), tmp_path / "slow")
    assert str(fast.value) == str(slow.value)
