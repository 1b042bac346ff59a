"""`hilgen prompts list|show|compare`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.prompts.llmgen_fixtures import fake_openai_server, free_store_path, ncbi_train_path
from typer.testing import CliRunner

from hilgen_graph.cli import app

runner = CliRunner()


def test_list_shows_every_builtin_template() -> None:
    result = runner.invoke(app, ["prompts", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert {"grounded-siblings", "paper-siblings", "paper-annotate", "agent"} <= set(rows)
    assert rows["grounded-siblings"]["grounded"] is True
    assert len(rows["paper-related"]["version"]) == 64
    table = runner.invoke(app, ["prompts", "list"], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "grounded-parents-children" in table.output


def test_show_prints_the_file_and_its_hash() -> None:
    result = runner.invoke(app, ["prompts", "show", "grounded-siblings"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "sha256:" in result.output and "{concepts}" in result.output


def test_user_template_folder(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text(
        "family: siblings\nstyle: grounded\nsystem: s\nuser: '{concepts} {n}'\n", encoding="utf-8"
    )
    result = runner.invoke(app, ["prompts", "list", "--json", "--prompts-dir", str(tmp_path)])
    assert "mine" in {r["name"] for r in json.loads(result.stdout)}


def test_show_unknown_name_fails_with_exit_1() -> None:
    from hilgen_graph.cli import main

    with pytest.raises(SystemExit) as exc:
        import sys

        old = sys.argv
        sys.argv = ["hilgen", "prompts", "show", "nope"]
        try:
            main()
        finally:
            sys.argv = old
    assert exc.value.code == 1


def test_compare_runs_each_template_on_the_same_seeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HILGEN_CACHE_DIR", str(tmp_path / "cache"))
    with fake_openai_server() as (url, calls):
        result = runner.invoke(
            app,
            [
                "prompts",
                "compare",
                "grounded-parents-children",
                "paper-parents-children",
                "--corpus",
                str(ncbi_train_path()),
                "--k",
                "5",
                "--seed",
                "1",
                "--store",
                str(free_store_path()),
                "--model",
                "fake",
                "--base-url",
                url,
                "--max-seeds",
                "3",
                "--per-seed",
                "2",
                "--out-dir",
                str(tmp_path / "cmp"),
                "--json",
            ],
        )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data) == ["grounded-parents-children", "paper-parents-children"]
    g, p = data["grounded-parents-children"], data["paper-parents-children"]
    assert g["total"] > 0 and p["total"] > 0
    assert 0.0 <= p["grounding"]["entity_share"] <= 1.0 and g["grounding"]["entities"] > 0
    assert {"distinct_1", "distinct_2", "self_bleu"} <= set(g["diversity"])
    assert g["sentences_per_min"] is not None
    assert "PlainBatch" in calls and "Annotation" in calls and "GeneratedBatch" in calls
    assert (tmp_path / "cmp" / "paper-parents-children.jsonl").is_file()
