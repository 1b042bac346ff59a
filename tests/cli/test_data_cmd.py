import json
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hilgen_graph.cli import app

runner = CliRunner()


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture()
def mirror(data_root: Path) -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(data_root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def test_check_json_lists_every_source(data_root: Path) -> None:
    result = runner.invoke(app, ["data", "check", "--json", "--root", str(data_root)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    by_name = {s["name"]: s for s in out["sources"]}
    assert by_name["bc5cdr"]["state"] == "present" and by_name["bc5cdr"]["licence"]
    assert by_name["umls"]["state"] == "missing"
    assert "nlm.nih.gov" in by_name["umls"]["download"]
    assert by_name["medmentions"]["download"] == "hilgen data fetch medmentions"


def test_check_table_on_an_empty_directory(tmp_path: Path) -> None:
    result = runner.invoke(app, ["data", "check", "--root", str(tmp_path)])
    assert result.exit_code == 0
    assert "missing" in result.stdout and "hilgen data fetch" in result.stdout


def test_fetch_from_local_mirror(mirror: str, data_root: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["data", "fetch", "ncbi_disease", "--root", str(tmp_path), "--mirror", mirror]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.count("downloaded") == 6
    for rel in (
        "ner/ncbi_disease/original/NCBItrainset_corpus.txt",
        "ner/ncbi_disease/conll/test.tsv",
    ):
        assert (tmp_path / rel).read_bytes() == (data_root / rel).read_bytes()
    again = runner.invoke(
        app, ["data", "fetch", "ncbi_disease", "--root", str(tmp_path), "--mirror", mirror]
    )
    assert again.exit_code == 0 and again.stdout.count("present") == 6
    check = json.loads(
        runner.invoke(app, ["data", "check", "--json", "--root", str(tmp_path)]).stdout
    )
    states = {s["name"]: s["state"] for s in check["sources"]}
    assert states["ncbi_disease"] == "present" and states["bc5cdr"] == "missing"


def test_fetch_refuses_licensed_umls(tmp_path: Path) -> None:
    result = runner.invoke(app, ["data", "fetch", "umls", "--root", str(tmp_path)])
    assert result.exit_code != 0 and "licence" in str(result.exception)
