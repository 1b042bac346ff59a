"""The ``free`` preset's embedded store, built at most once per test session.

Any test package can call :func:`session_free_store` from its own session fixture; the first
call builds the store (through :func:`hilgen_graph.graph.backends.build_free_store`), later
calls return the same folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest

_BUILT: dict[str, Path] = {}


def session_free_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of the session's ``free`` store; skips if the free source has not landed."""
    pytest.importorskip(
        "hilgen_graph.graph_loader.sources", reason="the free source has not landed yet"
    )
    if "free" not in _BUILT:
        from hilgen_graph.graph.backends import build_free_store

        path = tmp_path_factory.mktemp("free-kg") / "store"
        build_free_store(path)
        _BUILT["free"] = path
    return _BUILT["free"]
