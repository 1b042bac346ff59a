"""The UMLS Semantic Network source."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from tests.graph_loader.stream_contract import check_stream_contract

from hilgen_graph.errors import DataMissingError
from hilgen_graph.graph_loader.semantic_network import SemanticNetworkSource, load_semantic_network


def test_127_types_in_15_groups() -> None:
    net = load_semantic_network()
    assert net.version == "2025AA"
    assert len(net.types) == 127
    assert len(net.groups) == 15
    assert net.groups["DISO"] == "Disorders"
    by_tui = net.by_tui()
    assert (by_tui["T047"].name, by_tui["T047"].group) == ("Disease or Syndrome", "DISO")
    assert by_tui["T121"].group == "CHEM"
    assert all(t.group in net.groups for t in net.types)
    assert len(Counter(t.group for t in net.types)) == 15


def test_stream() -> None:
    s = check_stream_contract(SemanticNetworkSource())
    assert s.sources == {"UMLS_SEMANTIC_NETWORK": "2025AA"}
    assert len(s.types) == 127 and not s.concepts


def test_missing_file_says_where(tmp_path: Path) -> None:
    with pytest.raises(DataMissingError, match=str(tmp_path)):
        load_semantic_network(tmp_path)
