"""Choosing a backend: argument checks and the NEO4J_* environment fallbacks."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.graph.fixture_graph import fixture_records

from hilgen_graph.errors import ConfigError
from hilgen_graph.graph.backends import load_store, neo4j_settings, open_store
from hilgen_graph.graph.embedded import EmbeddedStore


def test_unknown_backend() -> None:
    with pytest.raises(ConfigError, match="allowed: embedded, neo4j"):
        open_store("sqlite", path="x")


def test_embedded_needs_a_path() -> None:
    with pytest.raises(ConfigError, match="--store DIR"):
        open_store("embedded")


def test_neo4j_settings_come_from_arguments_then_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NEO4J_URI", "bolt://env:7687")
    monkeypatch.setenv("NEO4J_USER", "envuser")
    monkeypatch.setenv("NEO4J_PASSWORD", "envpass")
    assert neo4j_settings() == ("bolt://env:7687", "envuser", "envpass")
    assert neo4j_settings("bolt://arg:1", "u", None) == ("bolt://arg:1", "u", "envpass")
    monkeypatch.delenv("NEO4J_URI")
    with pytest.raises(ConfigError, match="NEO4J_URI"):
        neo4j_settings()


def test_load_then_open_embedded(tmp_path: Path) -> None:
    report = load_store(fixture_records(), "embedded", path=tmp_path / "kg")
    assert report is not None and report.stats.concepts == 13
    store = open_store("embedded", path=tmp_path / "kg")
    try:
        assert isinstance(store, EmbeddedStore)
        assert store.stats() == report.stats
    finally:
        store.close()
