"""`hilgen graph`: load, stats, related, explore on real stores."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from tests.graph.fixture_graph import CONCEPTS, SOURCES, fixture_records
from tests.graph.free_store import session_free_store
from typer.testing import CliRunner

from hilgen_graph.cli import app
from hilgen_graph.errors import ConfigError, GraphError
from hilgen_graph.explore.page import offline_violations
from hilgen_graph.graph.embedded import EmbeddedStore

runner = CliRunner()
NCBI_TRAIN = "ner/ncbi_disease/original/NCBItrainset_corpus.txt"


@pytest.fixture(scope="module")
def fixture_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli-graph") / "kg"
    writer = EmbeddedStore(path, read_only=False)
    writer.load(fixture_records())
    writer.close()
    return path


@pytest.fixture(scope="session")
def free_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return session_free_store(tmp_path_factory)


def invoke_json(*args: str) -> dict[str, object]:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    parsed: dict[str, object] = json.loads(result.stdout)
    return parsed


def test_stats_json(fixture_store: Path) -> None:
    stats = invoke_json("graph", "stats", "--store", str(fixture_store), "--json")
    assert stats == {
        "concepts": len(CONCEPTS),
        "terms": 21,
        "isa": 12,
        "semantic_types": 4,
        "sources": SOURCES,
    }


def test_stats_table(fixture_store: Path) -> None:
    result = runner.invoke(app, ["graph", "stats", "--store", str(fixture_store)])
    assert result.exit_code == 0
    assert "concepts" in result.output and "SNOMEDCT_US" in result.output


@pytest.mark.parametrize(
    ("layer", "expected"),
    [
        ("parents", ["C002"]),
        ("children", ["C004", "C005", "C006"]),
        ("siblings", ["C005", "C007", "C009"]),
    ],
)
def test_related_concept_layers(fixture_store: Path, layer: str, expected: list[str]) -> None:
    out = invoke_json("graph", "related", "C003", "--layer", layer, "--store", str(fixture_store),
                      "--json")  # fmt: skip
    assert out["layer"] == layer
    assert out["concept"] == {"id": "C003", "name": "Hypertension", "semantic_types": ["T047"]}
    related = out["related"]
    assert isinstance(related, list)
    assert [r["id"] for r in related] == expected


def test_related_keeps_tricky_names(fixture_store: Path) -> None:
    out = invoke_json("graph", "related", "C003", "--layer", "children", "--store",
                      str(fixture_store), "--json", "--limit", "3")  # fmt: skip
    related = out["related"]
    assert isinstance(related, list)
    assert related[2] == {
        "id": "C006",
        "name": 'O\'Brien "quoted" syndrome',
        "semantic_types": ["T047", "T191"],
    }


def test_related_synonyms_and_semantic_type(fixture_store: Path) -> None:
    syn = invoke_json("graph", "related", "C003", "--layer", "synonyms", "--store",
                      str(fixture_store), "--json")  # fmt: skip
    texts = [t["text"] for t in syn["related"]]  # type: ignore[union-attr,index]
    assert texts[0] == "Hypertension" and "HTN" in texts
    same = invoke_json("graph", "related", "C003", "--layer", "semantic_type", "--store",
                       str(fixture_store), "--json", "--limit", "4", "--seed", "3")  # fmt: skip
    store = EmbeddedStore(fixture_store)
    try:
        expected = [c.id for c in store.same_semantic_type("C003", 4, seed=3)]
    finally:
        store.close()
    assert [c["id"] for c in same["related"]] == expected  # type: ignore[union-attr,index]
    assert len(expected) == 4


def test_related_table_output(fixture_store: Path) -> None:
    result = runner.invoke(
        app, ["graph", "related", "C011", "--layer", "parents", "--store", str(fixture_store)]
    )
    assert result.exit_code == 0
    assert "RETURN 1; DROP DATABASE neo4j //" in result.output


def test_related_rejects_unknown_layer_and_concept(fixture_store: Path) -> None:
    bad = runner.invoke(app, ["graph", "related", "C003", "--layer", "cousins", "--store",
                              str(fixture_store)])  # fmt: skip
    assert isinstance(bad.exception, ConfigError) and "synonyms" in str(bad.exception)
    missing = runner.invoke(app, ["graph", "related", "C999", "--layer", "parents", "--store",
                                  str(fixture_store)])  # fmt: skip
    assert isinstance(missing.exception, ConfigError) and "C999" in str(missing.exception)


def test_explore_json_is_the_walk_with_link_and_marks(fixture_store: Path) -> None:
    data: Any = invoke_json("graph", "explore", "C003", "--label", "Disease", "--store",
                       str(fixture_store), "--no-approximate", "--json")  # fmt: skip
    assert data["link"]["method"] == "corpus_id"
    assert data["link"]["concepts"] == [{"id": "C003", "name": "Hypertension"}]
    assert data["settings"]["top_k"] == 10 and data["settings"]["seed"] == 1
    (hood,) = data["neighbourhoods"]
    children = {c["concept_id"]: c for c in hood["layers"]["children"]["picked"]}
    assert children["C006"]["name"] == 'O\'Brien "quoted" syndrome'
    assert children["C006"]["semantic_types"] == ["Disease or Syndrome", "Neoplastic Process"]
    assert children["C006"]["relation_path"] == ["C003", "HAS_CHILD", "C006"]
    for layer, c in data["counts"].items():
        assert c["picked"] == len(hood["layers"][layer]["picked"])
        assert sum(c["excluded"].values()) == len(hood["layers"][layer]["excluded"])


def test_explore_rich_names_what_is_picked_and_excluded(fixture_store: Path) -> None:
    result = runner.invoke(app, ["graph", "explore", "Hypertension", "--label", "Disease",
                                 "--store", str(fixture_store), "--no-approximate"],
                           env={"COLUMNS": "200"})  # fmt: skip
    assert result.exit_code == 0, result.output
    out = result.output
    assert "linked to C003 Hypertension by exact" in out
    for text in ("parents: 1 picked", "picked", "vascular diseases", "O'Brien"):
        assert text in out
    assert "link candidates" in out


@pytest.mark.parametrize("suffix", [".png", ".html", ".graphml"])
def test_explore_draws(fixture_store: Path, tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"hyp{suffix}"
    result = runner.invoke(app, ["graph", "explore", "C003", "--label", "Disease", "--store",
                                 str(fixture_store), "--out", str(target)])  # fmt: skip
    assert result.exit_code == 0, result.output
    data = target.read_bytes()
    if suffix == ".png":
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 5000
    elif suffix == ".html":
        text = data.decode()
        assert "vis.Network" in text and "<svg" not in text
        assert 'O\\u0027Brien \\"quoted\\" syndrome' in text  # JSON data, HTML-safe
        assert offline_violations(text) == []
    else:
        g = nx.read_graphml(target)
        assert {"C002", "C004", "C005", "C006"} <= set(g.nodes)
        assert g.edges["C003", "C002"]["source"] in ("MSH", "SNOMEDCT_US")
    assert [p.name for p in tmp_path.iterdir()] == [target.name]  # no temp files left


def test_explore_unknown_format_and_bad_combinations(fixture_store: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["graph", "explore", "C003", "--store", str(fixture_store),
                                 "--out", str(tmp_path / "x.svgz")])  # fmt: skip
    assert isinstance(result.exception, GraphError) and ".graphml" in str(result.exception)
    none = runner.invoke(app, ["graph", "explore", "--store", str(fixture_store)])
    assert isinstance(none.exception, ConfigError) and "--sample" in str(none.exception)
    both = runner.invoke(app, ["graph", "explore", "C003", "--sample", "s.json", "--store",
                               str(fixture_store)])  # fmt: skip
    assert isinstance(both.exception, ConfigError) and "not both" in str(both.exception)
    no_corpus = runner.invoke(app, ["graph", "explore", "--sample", "s.json", "--store",
                                    str(fixture_store), "--out", str(tmp_path)])  # fmt: skip
    assert isinstance(no_corpus.exception, ConfigError) and "--corpus" in str(no_corpus.exception)


def test_explore_sample_counts_equal_augment_kg(
    free_store: Path, data_root: Path, tmp_path: Path
) -> None:
    """Every gold mention of NCBI-disease 5-shot seed 1: the explorer's picked and excluded
    counts per layer are exactly what the KG arm reports for the same sample when it walks
    every mention (``--mentions one``; with the default ``group`` it walks a co-reference
    group once, and ``coreferent_skipped`` counts the mentions it did not walk alone)."""
    corpus = data_root / NCBI_TRAIN
    sample = tmp_path / "sample.json"
    drawn = runner.invoke(app, ["corpus", "sample", str(corpus), "--k", "5", "--seed", "1",
                                "--collapse", "--out", str(sample)])  # fmt: skip
    assert drawn.exit_code == 0, drawn.output
    pages = tmp_path / "pages"
    explored: Any = invoke_json("graph", "explore", "--sample", str(sample), "--corpus",
                                str(corpus), "--store", str(free_store), "--out", str(pages),
                                "--json")  # fmt: skip
    kg: Any = invoke_json("augment", "kg", "--corpus", str(corpus), "--sample", str(sample),
                          "--store", str(free_store), "--out", str(tmp_path / "kg.jsonl"),
                          "--mentions", "one", "--json")  # fmt: skip
    assert explored["mentions"] == kg["entities"] > 0
    assert explored["linked_mentions"] == kg["linked_entities"]
    assert explored["unlinked_mentions"] == kg["unlinked_entities"]
    assert explored["by_method"] == kg["linking"]["by_method"]
    layers = kg["layers"]
    assert set(layers) == set(explored["layers"])
    for layer, c in explored["layers"].items():
        assert c["picked"] == layers[layer]["related"], layer
        assert c["excluded"] == layers[layer]["filtered_by_reason"], layer
    assert explored["pages"] == explored["mentions"] == len(explored["rows"])
    texts = [u["text"] for u in kg["linking"]["unlinked_entities"]]
    assert [r["mention"] for r in explored["rows"] if r["method"] == "unlinked"] == texts
    index = (pages / "index.html").read_text(encoding="utf-8")
    assert index.count("<tr class='mention-row") == explored["mentions"]
    assert sorted(p.name for p in pages.iterdir())[0] == "index.html"


def test_errors_exit_1_with_a_message(tmp_path: Path) -> None:
    hilgen = Path(sys.executable).parent / "hilgen"
    proc = subprocess.run(
        [str(hilgen), "graph", "stats", "--store", str(tmp_path / "nothing"), "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )
    assert proc.returncode == 1
    assert "graph.lbug is missing" in proc.stderr and "hilgen graph load" in proc.stderr


def test_neo4j_backend_needs_an_address(
    fixture_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NEO4J_URI", raising=False)
    result = runner.invoke(app, ["graph", "stats", "--backend", "neo4j", "--json"])
    assert isinstance(result.exception, ConfigError) and "NEO4J_URI" in str(result.exception)


# --- the free preset (needs the sources package) ------------------------------------------------
def test_must_show_hypertension_parents_and_children(free_store: Path) -> None:
    parents = invoke_json("graph", "related", "D006973", "--layer", "parents", "--store",
                          str(free_store), "--json")  # fmt: skip
    ids = {p["id"]: p["name"] for p in parents["related"]}  # type: ignore[union-attr,index]
    assert ids.get("D014652") == "Vascular Diseases"
    children = invoke_json("graph", "related", "D006973", "--layer", "children", "--store",
                           str(free_store), "--json")  # fmt: skip
    names = {c["name"] for c in children["related"]}  # type: ignore[union-attr,index]
    assert "Hypertension, Malignant" in names


def test_free_stats(free_store: Path) -> None:
    stats = invoke_json("graph", "stats", "--store", str(free_store), "--json")
    assert set(stats) == {"concepts", "terms", "isa", "semantic_types", "sources"}
    assert int(stats["concepts"]) > 25_000  # type: ignore[call-overload]
    assert "MSH" in stats["sources"]  # type: ignore[operator]


# --- UMLS RRF through the CLI (synthetic release in the real layout) ----------------------------
@pytest.fixture(scope="module")
def small_umls(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("hilgen_graph.graph_loader.sources", reason="sources not landed")
    from hilgen_graph.testing.synthetic_rrf import SyntheticRrfSpec, write_synthetic_rrf

    release = write_synthetic_rrf(
        tmp_path_factory.mktemp("umls") / "META", SyntheticRrfSpec.small(120)
    )
    with (release.meta_dir / "MRCONSO.RRF").open("a", encoding="utf-8") as fh:
        fh.write("C9999999|ENG|too few fields|\n")
    return release.meta_dir


def test_load_umls_refuses_a_bad_row_with_file_and_line(small_umls: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["graph", "load", "--source", "umls", "--umls-dir",
                                 str(small_umls), "--store", str(tmp_path / "kg")])  # fmt: skip
    assert isinstance(result.exception, GraphError)
    assert "MRCONSO.RRF:" in str(result.exception)
    assert not (tmp_path / "kg").exists()


def test_load_umls_skipping_bad_rows_reports_them(small_umls: Path, tmp_path: Path) -> None:
    out = invoke_json("graph", "load", "--source", "umls", "--umls-dir", str(small_umls),
                      "--skip-bad-rows", "--store", str(tmp_path / "kg"), "--json")  # fmt: skip
    assert out["concepts"] == 120
    skipped = out["skipped_rows"]
    assert isinstance(skipped, list) and len(skipped) == 1 and "MRCONSO.RRF:" in skipped[0]
    stats = invoke_json("graph", "stats", "--store", str(tmp_path / "kg"), "--json")
    assert {k: stats[k] for k in ("concepts", "terms", "isa")} == {
        k: out[k] for k in ("concepts", "terms", "isa")
    }


def test_load_umls_unknown_sab_lists_mrsab(small_umls: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["graph", "load", "--source", "umls", "--umls-dir",
                                 str(small_umls), "--sab", "NOPE", "--store",
                                 str(tmp_path / "kg")])  # fmt: skip
    assert isinstance(result.exception, GraphError)
    assert "NOPE" in str(result.exception) and "SNOMEDCT_US" in str(result.exception)


def test_load_free_through_the_cli(free_store: Path, tmp_path: Path) -> None:
    """The must-show command itself; its answers match the session's free store."""
    out = invoke_json("graph", "load", "--source", "free", "--store", str(tmp_path / "kg"),
                      "--json")  # fmt: skip
    stats = invoke_json("graph", "stats", "--store", str(free_store), "--json")
    assert {k: out[k] for k in stats} == stats
    parents = invoke_json("graph", "related", "D006973", "--layer", "parents", "--store",
                          str(tmp_path / "kg"), "--json")  # fmt: skip
    assert "D014652" in [p["id"] for p in parents["related"]]  # type: ignore[union-attr,index]
