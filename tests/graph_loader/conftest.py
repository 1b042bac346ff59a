"""Fixtures for the knowledge-source tests: the MeSH and ``free`` streams, read and checked
against the record contract once per session (they take a few seconds each)."""

from __future__ import annotations

import pytest
from tests.graph_loader.stream_contract import StreamSummary, check_stream_contract


@pytest.fixture(scope="session")
def mesh_stream() -> StreamSummary:
    from hilgen_graph.graph_loader.mesh import MeshSource

    return check_stream_contract(MeshSource())


@pytest.fixture(scope="session")
def free_stream() -> StreamSummary:
    from hilgen_graph.graph_loader.free import FreeSource

    return check_stream_contract(FreeSource())
