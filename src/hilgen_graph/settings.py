"""Locations the toolkit reads from: the data directory and the model/cache directories.

One setting decides where corpora and knowledge sources are read from:
``HILGEN_DATA_DIR`` if set, else ``../shared/data`` beside the checkout when it exists,
else ``~/.cache/hilgen/data``.
"""

from __future__ import annotations

import os
from pathlib import Path

DATA_DIR_ENV = "HILGEN_DATA_DIR"
CACHE_DIR_ENV = "HILGEN_CACHE_DIR"

# src/hilgen_graph/settings.py -> checkout root is three levels up.
_CHECKOUT_ROOT = Path(__file__).resolve().parents[2]


def checkout_root() -> Path:
    """The root of the source checkout this package was installed from (editable installs)."""
    return _CHECKOUT_ROOT


def data_dir() -> Path:
    """The data directory: ``$HILGEN_DATA_DIR``, else ``../shared/data``, else the user cache."""
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    shared = _CHECKOUT_ROOT.parent / "shared" / "data"
    if shared.is_dir():
        return shared
    return Path.home() / ".cache" / "hilgen" / "data"


def cache_dir() -> Path:
    """Where downloaded sources, assembled models and LLM replies are cached."""
    env = os.environ.get(CACHE_DIR_ENV)
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "hilgen"
