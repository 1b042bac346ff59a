"""`hilgen augment kg` on real corpora with the session's ``free`` store."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests.graph.free_store import session_free_store
from typer.testing import CliRunner

from hilgen_graph.cli import app
from hilgen_graph.errors import ConfigError, ExpansionError
from hilgen_graph.grounding.layers import LAYERS
from hilgen_graph.synthetic import read_synthetic

runner = CliRunner()
NCBI = "ner/ncbi_disease/original/NCBItrainset_corpus.txt"


@pytest.fixture(scope="session")
def free_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return session_free_store(tmp_path_factory)


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HILGEN_CACHE_DIR", str(tmp_path / "cache"))


def test_json_contract(free_store: Path, data_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "synth.jsonl"
    args = [
        "augment", "kg", "--corpus", str(data_root / NCBI), "--format", "pubtator",
        "--k", "5", "--seed", "1", "--store", str(free_store),
        "--layers", ",".join(LAYERS), "--top-k", "10", "--out", str(out), "--collapse", "--json",
    ]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    for key in ("made", "dropped", "kept", "written", "linked_entities", "unlinked_entities"):
        assert isinstance(data[key], int), key
    assert set(data["layers"]) == set(LAYERS)
    for layer, counts in data["layers"].items():
        for key in ("made", "dropped", "linked_entities", "unlinked_entities"):
            assert isinstance(counts[key], int), (layer, key)
        assert counts["kept"] > 0, layer
        assert counts["unlinked_entities"] == data["unlinked_entities"]
    assert data["made"] == sum(c["made"] for c in data["layers"].values())
    assert data["written"] == data["kept"] == len(list(read_synthetic(out)))
    assert data["linked_entities"] + data["unlinked_entities"] == data["entities"]
    assert len(data["linking"]["unlinked_entities"]) == data["unlinked_entities"]
    assert len(data["eval_files"]) == 2
    # co-referent mentions are replaced with the mention (seed 1 has repeated mentions)
    assert data["config"]["mentions"] == "group" and data["coreferent_skipped"] > 0
    one_out = str(tmp_path / "one.jsonl")
    one = runner.invoke(
        app, [one_out if a == str(out) else a for a in args] + ["--mentions", "one"]
    )
    assert one.exit_code == 0, one.output
    alone = json.loads(one.stdout)
    assert alone["config"]["mentions"] == "one" and alone["coreferent_skipped"] == 0
    assert alone["written"] > data["written"]
    every_out = str(tmp_path / "all.jsonl")
    every = runner.invoke(
        app, [every_out if a == str(out) else a for a in args] + ["--mentions", "all"]
    )
    assert every.exit_code == 0, every.output
    replaced = json.loads(every.stdout)
    assert replaced["config"]["mentions"] == "all"
    assert replaced["made"] == data["made"]  # the same names tried, more mentions replaced
    assert any(r.provenance.co_substituted for r in read_synthetic(every_out))
    bad = runner.invoke(app, [*args, "--mentions", "every"])
    assert isinstance(bad.exception, ConfigError) and "group, one, all" in str(bad.exception)


def test_rich_summary_and_conll_input(free_store: Path, data_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "synth.jsonl"
    args = [
        "augment", "kg", "--corpus", str(data_root / "ner/ncbi_disease/conll/train.tsv"),
        "--format", "conll", "--k", "2", "--seed", "3", "--store", str(free_store),
        "--layers", "synonyms,parents", "--out", str(out),
    ]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "synonyms" in result.stdout and "parents" in result.stdout
    assert "linking by method" in result.stdout
    records = list(read_synthetic(out))
    assert records and {r.provenance.layer for r in records} <= {"synonyms", "parents"}
    # CoNLL carries no concept ids: every link came from the strings
    assert "corpus_id" not in result.stdout.split("linking by method:")[1].splitlines()[0]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--layers", "synonyms,cousins"], "unknown layer(s) 'cousins'; allowed: synonyms"),
        (["--labels", "Chemical"], "'Chemical' not in the corpus sample; allowed: Disease"),
        (["--preset", "paper-code"], "no is-a edges from 'SNOMEDCT_US'"),
    ],
)
def test_bad_input_names_what_is_allowed(
    free_store: Path, data_root: Path, tmp_path: Path, extra: list[str], message: str
) -> None:
    args = [
        "augment", "kg", "--corpus", str(data_root / NCBI), "--store", str(free_store),
        "--collapse", "--out", str(tmp_path / "x.jsonl"), "--no-approximate", *extra,
    ]  # fmt: skip
    result = runner.invoke(app, args)
    assert isinstance(result.exception, ExpansionError), result.output
    assert message in str(result.exception)
    assert not (tmp_path / "x.jsonl").exists()


def test_error_exit_code_through_main(tmp_path: Path, data_root: Path) -> None:
    code = "from hilgen_graph.cli import main; main()"
    args = [
        "augment", "kg", "--corpus", str(data_root / NCBI), "--store", str(tmp_path),
        "--layers", "nope", "--out", str(tmp_path / "x.jsonl"),
    ]  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 1
    assert "unknown layer(s) 'nope'" in proc.stderr


def test_label_groups_exclude_semantic_types(
    free_store: Path, data_root: Path, tmp_path: Path
) -> None:
    """``--label-groups Chemical=CHEM,-T116``: no protein is put in a chemical's place."""
    from hilgen_graph.graph.backends import open_store

    bc5cdr = data_root / "ner/bc5cdr/pubtator/CDR_TrainingSet.PubTator.txt"
    types: dict[str, list[set[str]]] = {}
    for groups in ("Chemical=CHEM", "Chemical=CHEM,-T116"):
        out = tmp_path / f"{len(groups)}.jsonl"
        args = [
            "augment", "kg", "--corpus", str(bc5cdr), "--k", "5", "--seed", "1",
            "--store", str(free_store), "--label-groups", groups, "--out", str(out), "--json",
        ]  # fmt: skip
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        store = open_store("embedded", path=free_store, read_only=True)
        try:
            types[groups] = [
                set(c.semantic_types)
                for r in read_synthetic(out)
                if r.provenance.replaced_entity is not None
                and r.provenance.replaced_entity.label == "Chemical"
                and (c := store.concept(r.provenance.related_concept_id or "")) is not None
            ]
        finally:
            store.close()
    assert any("T116" in t for t in types["Chemical=CHEM"])
    assert types["Chemical=CHEM,-T116"] and not any(
        "T116" in t for t in types["Chemical=CHEM,-T116"]
    )
    bad = runner.invoke(
        app,
        [
            "augment",
            "kg",
            "--corpus",
            str(bc5cdr),
            "--store",
            str(free_store),
            "--label-groups",
            "Chemical=CHEM,-protein",
            "--out",
            str(tmp_path / "x.jsonl"),
        ],
    )
    assert bad.exit_code != 0 and "-protein" in str(bad.exception or bad.output)


def test_number_agreement_substitutes_names_of_the_mentions_number(
    free_store: Path, data_root: Path, tmp_path: Path
) -> None:
    from hilgen_graph.grounding.names import grammatical_number

    bc5cdr = data_root / "ner/bc5cdr/pubtator/CDR_TrainingSet.PubTator.txt"
    pairs: dict[bool, list[tuple[str, str]]] = {}
    for agree in (False, True):
        out = tmp_path / f"{agree}.jsonl"
        args = [
            "augment", "kg", "--corpus", str(bc5cdr), "--k", "5", "--seed", "1",
            "--store", str(free_store), "--out", str(out), "--json",
        ]  # fmt: skip
        result = runner.invoke(app, args + (["--number-agreement"] if agree else []))
        assert result.exit_code == 0, result.output
        pairs[agree] = [
            (r.provenance.replaced_entity.text, r.provenance.related_name or "")
            for r in read_synthetic(out)
            if r.provenance.replaced_entity is not None
        ]

    def differ(ps: list[tuple[str, str]]) -> int:
        return sum(grammatical_number(a) != grammatical_number(b) for a, b in ps)

    assert differ(pairs[False]) > 0  # "ephedrine" -> "phenethylamines" and the like
    assert pairs[True] and differ(pairs[True]) == 0
