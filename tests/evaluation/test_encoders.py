"""Encoders come from packages or local folders, never from a hub."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hilgen_graph.errors import ConfigError
from hilgen_graph.evaluation.encoders import resolve_encoder


def test_minilm_resolves_to_a_checkpoint_folder() -> None:
    path = resolve_encoder("minilm")
    assert (path / "config.json").is_file() and (path / "model.safetensors").is_file()
    assert resolve_encoder("all-MiniLM-L6-v2") == path
    assert os.environ["HF_HUB_OFFLINE"] == "1"


def test_local_folder_is_accepted(tmp_path: Path) -> None:
    src = resolve_encoder("minilm")
    local = tmp_path / "my-bert"
    local.mkdir()
    for name in ("config.json", "model.safetensors"):
        (local / name).symlink_to(src / name)
    assert resolve_encoder(str(local)) == local


def test_folder_without_weights_and_unknown_names(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no config.json"):
        resolve_encoder(str(tmp_path))
    with pytest.raises(ConfigError, match="available: minilm"):
        resolve_encoder("bert-large-cased")
