"""The registry: ``iter_source(name, **options)``."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.graph_loader.stream_contract import RRF_FIXTURES

from hilgen_graph.errors import ConfigError
from hilgen_graph.graph.records import Isa, SourceInfo
from hilgen_graph.graph_loader import SOURCE_NAMES, iter_source, open_source


def test_names() -> None:
    assert set(SOURCE_NAMES) == {"umls", "mesh", "doid", "hpo", "semantic_network", "free"}


def test_umls_through_the_registry_exposes_its_report() -> None:
    stream = iter_source(
        "umls", umls_dir=RRF_FIXTURES / "bad_rows", sab="SNOMEDCT_US,MSH", skip_bad_rows=True
    )
    records = list(stream)
    assert isinstance(records[0], SourceInfo)
    assert {r.source for r in records if isinstance(r, Isa)} <= {"SNOMEDCT_US", "MSH"}
    assert [s.line for s in stream.skipped] == [3, 4, 2]
    assert stream.report.yielded["concept"] > 0


def test_bad_names_and_options(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown knowledge source 'wordnet'; allowed: umls"):
        iter_source("wordnet")
    with pytest.raises(ConfigError, match="needs umls_dir"):
        iter_source("umls")
    with pytest.raises(ConfigError, match="source 'mesh'"):
        open_source("mesh", colour="blue")


def test_semantic_network_by_name() -> None:
    records = list(iter_source("semantic_network"))
    assert len(records) == 128


def test_every_source_takes_skip_bad_rows() -> None:
    for name in ("mesh", "doid", "hpo", "semantic_network", "free"):
        source = open_source(name, skip_bad_rows=True)
        assert source.report.skipped == []
