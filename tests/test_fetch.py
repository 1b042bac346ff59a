"""Downloads against a local HTTP server on 127.0.0.1 serving the data directory (no internet)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

import pytest

from hilgen_graph.datasets import get_source
from hilgen_graph.errors import ConfigError, DataMissingError
from hilgen_graph.fetch import FetchError, FileOutcome, download, fetch_source

NCBI_DEV = "ner/ncbi_disease/original/NCBIdevelopset_corpus.txt"
NCBI_DEV_SHA = get_source("ncbi_disease").files[1].sha256


@dataclass
class Behaviour:
    ignore_range: bool = False
    cut_after: int | None = None  # send only this many body bytes, then drop the connection
    requests: list[tuple[str, str | None]] = field(default_factory=list)


@dataclass
class Server:
    url: str
    behaviour: Behaviour


def _handler(root: Path, behaviour: Behaviour) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

        def do_GET(self) -> None:  # noqa: N802
            rng = self.headers.get("Range")
            behaviour.requests.append((self.path, rng))
            path = root / unquote(self.path.lstrip("/"))
            if not path.is_file():
                self.send_error(404, "not found")
                return
            data = path.read_bytes()
            start = 0
            m = re.fullmatch(r"bytes=(\d+)-", rng or "")
            if m and not behaviour.ignore_range:
                start = int(m.group(1))
                if start >= len(data):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(data)}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            else:
                self.send_response(200)
            body = data[start:]
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if behaviour.cut_after is not None:
                self.wfile.write(body[: behaviour.cut_after])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body)

    return Handler


@pytest.fixture()
def server(data_root: Path) -> Iterator[Server]:
    behaviour = Behaviour()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(data_root, behaviour))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{httpd.server_address[1]}", behaviour)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def test_fetch_source_from_mirror_then_nothing_to_do(
    server: Server, data_root: Path, tmp_path: Path
) -> None:
    results = fetch_source("umls_semantic_network", root=tmp_path, mirror=server.url)
    assert [r.outcome for r in results] == [FileOutcome.DOWNLOADED] * 4
    for r in results:
        rel = r.path.relative_to(tmp_path)
        assert r.path.read_bytes() == (data_root / rel).read_bytes()
        assert not r.path.with_name(r.path.name + ".part").exists()
    n = len(server.behaviour.requests)
    again = fetch_source("umls_semantic_network", root=tmp_path, mirror=server.url)
    assert [r.outcome for r in again] == [FileOutcome.PRESENT] * 4
    assert len(server.behaviour.requests) == n


def test_resume_sends_range_and_appends(server: Server, data_root: Path, tmp_path: Path) -> None:
    full = (data_root / NCBI_DEV).read_bytes()
    dest = tmp_path / "dev.txt"
    dest.with_name("dev.txt.part").write_bytes(full[:50000])
    seen: list[int] = []
    download(
        f"{server.url}/{NCBI_DEV}",
        dest,
        sha256=NCBI_DEV_SHA,
        progress=lambda f, d, t: seen.append(d),
    )
    assert dest.read_bytes() == full
    assert server.behaviour.requests == [(f"/{NCBI_DEV}", "bytes=50000-")]
    assert seen[0] > 50000 and seen[-1] == len(full)


def test_interrupted_download_keeps_its_part_and_resumes(
    server: Server, data_root: Path, tmp_path: Path
) -> None:
    full = (data_root / NCBI_DEV).read_bytes()
    dest = tmp_path / "dev.txt"
    server.behaviour.cut_after = 70000
    with pytest.raises(FetchError) as info:
        download(f"{server.url}/{NCBI_DEV}", dest, sha256=NCBI_DEV_SHA)
    assert info.value.retryable and "resume" in str(info.value)
    part = dest.with_name("dev.txt.part")
    assert part.stat().st_size == 70000 and not dest.exists()
    server.behaviour.cut_after = None
    download(f"{server.url}/{NCBI_DEV}", dest, sha256=NCBI_DEV_SHA)
    assert dest.read_bytes() == full and not part.exists()
    assert server.behaviour.requests[-1][1] == "bytes=70000-"


def test_server_ignoring_range_restarts_from_zero(
    server: Server, data_root: Path, tmp_path: Path
) -> None:
    full = (data_root / NCBI_DEV).read_bytes()
    dest = tmp_path / "dev.txt"
    dest.with_name("dev.txt.part").write_bytes(b"garbage that must not stay")
    server.behaviour.ignore_range = True
    download(f"{server.url}/{NCBI_DEV}", dest, sha256=NCBI_DEV_SHA)
    assert dest.read_bytes() == full


def test_complete_part_file_is_checked_on_416(
    server: Server, data_root: Path, tmp_path: Path
) -> None:
    dest = tmp_path / "dev.txt"
    dest.with_name("dev.txt.part").write_bytes((data_root / NCBI_DEV).read_bytes())
    download(f"{server.url}/{NCBI_DEV}", dest, sha256=NCBI_DEV_SHA)
    assert dest.read_bytes() == (data_root / NCBI_DEV).read_bytes()


def test_checksum_mismatch_removes_the_file(server: Server, tmp_path: Path) -> None:
    dest = tmp_path / "dev.txt"
    with pytest.raises(FetchError, match="expected 000") as info:
        download(f"{server.url}/{NCBI_DEV}", dest, sha256="0" * 64)
    assert not info.value.retryable
    assert not dest.exists() and not dest.with_name("dev.txt.part").exists()


def test_http_errors_and_bad_addresses(server: Server, tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="HTTP 404") as info:
        download(f"{server.url}/no/such/file.txt", tmp_path / "x")
    assert not info.value.retryable
    with pytest.raises(FetchError) as refused:
        download("http://127.0.0.1:9/x", tmp_path / "x", timeout=5)
    assert refused.value.retryable
    with pytest.raises(ConfigError, match="http"):
        download("file:///etc/passwd", tmp_path / "x")


def test_licensed_and_unaddressed_sources(server: Server, tmp_path: Path) -> None:
    with pytest.raises(DataMissingError, match="licence"):
        fetch_source("umls", root=tmp_path)
    results = fetch_source("mesh2024", root=tmp_path)
    assert {r.outcome for r in results} == {FileOutcome.NO_URL}
    assert server.behaviour.requests == []


def test_present_file_with_wrong_checksum_needs_force(
    server: Server, data_root: Path, tmp_path: Path
) -> None:
    rel = "kb/umls_semantic_network/sty_2025AA.tsv"
    (tmp_path / rel).parent.mkdir(parents=True)
    (tmp_path / rel).write_text("tampered", encoding="utf-8")
    with pytest.raises(FetchError, match="--force"):
        fetch_source("umls_semantic_network", root=tmp_path, mirror=server.url)
    fetch_source("umls_semantic_network", root=tmp_path, mirror=server.url, force=True)
    assert (tmp_path / rel).read_bytes() == (data_root / rel).read_bytes()
