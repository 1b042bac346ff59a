"""Shared test fixtures: paths to the real data directory and small fixtures beside the tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from hilgen_graph.settings import data_dir

# Fixtures shared by several test packages, defined once (session fixtures are built once).
pytest_plugins = ["tests.support.kg_fixtures", "tests.support.llm_fixtures"]

TESTS_DIR = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def data_root() -> Path:
    root = data_dir()
    if not (root / "ner").is_dir():
        pytest.fail(f"the data directory {root} has no ner/ folder; set HILGEN_DATA_DIR")
    return root
