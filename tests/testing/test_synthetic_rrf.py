"""The synthetic RRF generator, streamed back through the UMLS source."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.graph_loader.stream_contract import check_stream_contract

from hilgen_graph.errors import ConfigError
from hilgen_graph.graph_loader.rrf import DEFAULT_COLUMNS
from hilgen_graph.graph_loader.umls import UmlsSource
from hilgen_graph.testing.synthetic_rrf import (
    TRICKY_NAMES,
    SyntheticRrfSpec,
    write_synthetic_rrf,
)


def test_sizes_and_layout(tmp_path: Path) -> None:
    spec = SyntheticRrfSpec.small(500, seed=3)
    release = write_synthetic_rrf(tmp_path, spec)
    assert release.rows["MRCONSO.RRF"] == 2_000
    assert release.rows["MRREL.RRF"] == 1_500
    assert release.isa_edges == 750
    for name in ("MRCONSO.RRF", "MRSTY.RRF", "MRREL.RRF", "MRSAB.RRF"):
        n = len(DEFAULT_COLUMNS[name])
        for line in (tmp_path / name).read_text().splitlines():
            assert line.count("|") == n, (name, line)
    cuis = [line.split("|", 1)[0] for line in (tmp_path / "MRCONSO.RRF").read_text().splitlines()]
    assert cuis == sorted(cuis)  # sorted by CUI, like a real release
    defaults = SyntheticRrfSpec()
    assert (defaults.concepts, defaults.conso_rows, defaults.isa_rows) == (
        1_000_000,
        4_000_000,
        3_000_000,
    )


def test_deterministic_by_seed(tmp_path: Path) -> None:
    a = write_synthetic_rrf(tmp_path / "a", SyntheticRrfSpec.small(300, seed=1))
    b = write_synthetic_rrf(tmp_path / "b", SyntheticRrfSpec.small(300, seed=1))
    c = write_synthetic_rrf(tmp_path / "c", SyntheticRrfSpec.small(300, seed=2))
    for name in ("MRCONSO.RRF", "MRSTY.RRF", "MRREL.RRF"):
        assert a.files[name].read_bytes() == b.files[name].read_bytes()
        assert a.files[name].read_bytes() != c.files[name].read_bytes()


def test_streams_back_through_the_umls_source(tmp_path: Path) -> None:
    release = write_synthetic_rrf(tmp_path, SyntheticRrfSpec.small(400, compress=True))
    assert release.files["MRCONSO.RRF"].name == "MRCONSO.RRF.gz"
    source = UmlsSource(tmp_path)
    s = check_stream_contract(source)
    assert len(s.concepts) == 400  # every concept's first row is English and not suppressed
    assert len(s.isa) == release.isa_edges  # PAR and CHD twins give one edge each
    assert {e.source for e in s.isa} == {"SNOMEDCT_US", "MSH", "RXNORM", "NCI"}
    texts = {t.text for terms in s.terms.values() for t in terms}
    assert set(TRICKY_NAMES) & texts
    assert not any(t.text.startswith("Enfermedad") for ts in s.terms.values() for t in ts)
    assert source.report.dropped.get("isa_dangling", 0) == 0


def test_rejects_impossible_sizes(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="conso_rows >= concepts"):
        write_synthetic_rrf(tmp_path, SyntheticRrfSpec(concepts=10, conso_rows=5, isa_rows=0))
