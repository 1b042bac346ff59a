import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from hilgen_graph.cli import app
from hilgen_graph.corpus import load_corpus, load_sample

runner = CliRunner()
BC5_TRAIN = "ner/bc5cdr/pubtator/CDR_TrainingSet.PubTator.txt"
NCBI_TRAIN = "ner/ncbi_disease/original/NCBItrainset_corpus.txt"


def _json(args: list[str]) -> dict:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_stats_json_bc5cdr_train_official_counts(data_root: Path) -> None:
    out = _json(["corpus", "stats", str(data_root / BC5_TRAIN), "--format", "pubtator", "--json"])
    assert out["documents"] == 500
    assert out["entities"] == {"Chemical": 5203, "Disease": 4182}
    assert out["sentences"] > 4000 and out["tokens"] == 118170


def test_stats_json_ncbi_train_before_and_after_collapsing(data_root: Path) -> None:
    fine = _json(["corpus", "stats", str(data_root / NCBI_TRAIN), "--json"])
    assert fine["documents"] == 593
    assert fine["entities"] == {
        "CompositeMention": 115,
        "DiseaseClass": 769,
        "Modifier": 1289,
        "SpecificDisease": 2972,
    }
    collapsed = _json(["corpus", "stats", str(data_root / NCBI_TRAIN), "--collapse", "--json"])
    assert collapsed["entities"] == {"Disease": 5145}
    assert collapsed["report"]["counts"] == {"fixed_text": 1, "renamed_document": 1}


def test_stats_table_on_iob(data_root: Path) -> None:
    result = runner.invoke(
        app, ["corpus", "stats", str(data_root / "ner/ncbi_disease/conll/devel.tsv")]
    )
    assert result.exit_code == 0
    assert "entities: Disease" in result.stdout and "787" in result.stdout


def test_sample_writes_reproducible_ids(data_root: Path, tmp_path: Path) -> None:
    path = str(data_root / "ner/ncbi_disease/conll/train.tsv")
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    for out in (a, b):
        result = runner.invoke(
            app, ["corpus", "sample", path, "--k", "5", "--seed", "1", "--out", str(out)]
        )
        assert result.exit_code == 0, result.output
    ids = load_sample(a)
    assert ids == load_sample(b) and 1 <= len(ids.sentence_ids) <= 5
    assert (ids.k, ids.seed, ids.scheme, ids.corpus) == (5, 1, "hilgen", "train.tsv")
    greedy = tmp_path / "g.json"
    result = runner.invoke(
        app,
        [
            "corpus",
            "sample",
            path,
            "--k",
            "5",
            "--seed",
            "1",
            "--scheme",
            "greedy",
            "--out",
            str(greedy),
        ],
    )
    assert result.exit_code == 0, result.output
    assert load_sample(greedy).scheme == "greedy"


def test_convert_to_conll_and_jsonl_keeps_every_entity(data_root: Path, tmp_path: Path) -> None:
    src = str(data_root / "ner/ncbi_disease/original/NCBIdevelopset_corpus.txt")
    conll = tmp_path / "dev.tsv"
    result = runner.invoke(
        app, ["corpus", "convert", src, "--to", "conll", "--collapse", "--out", str(conll)]
    )
    assert result.exit_code == 0, result.output
    assert "787 of 787 entities" in result.stdout
    assert _json(["corpus", "stats", str(conll), "--json"])["entities"] == {"Disease": 787}
    jsonl = tmp_path / "dev.jsonl"
    result = runner.invoke(app, ["corpus", "convert", src, "--to", "jsonl", "--out", str(jsonl)])
    assert result.exit_code == 0, result.output
    assert len(load_corpus(jsonl).sentences) == len(load_corpus(src).sentences)


def test_bad_input_exits_1_with_file_line_and_fix(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("1|t|Aspirin.\n1\t0\t99\tAspirin\tChemical\tD1\n", encoding="utf-8")
    cmd = [sys.executable, "-c", "from hilgen_graph.cli import main; main()", "corpus", "stats"]
    proc = subprocess.run([*cmd, str(bad), "--json"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert f"{bad}:2" in proc.stderr and "how to fix" in proc.stderr
    lenient = subprocess.run(
        [*cmd, str(bad), "--json", "--lenient"], capture_output=True, text=True, timeout=120
    )
    assert lenient.returncode == 0, lenient.stderr
    out = json.loads(lenient.stdout)
    assert out["entities"] == {} and len(out["report"]["skipped"]) == 1
    assert f"{bad}:2" in out["report"]["skipped"][0]


def test_unknown_options_are_config_errors(data_root: Path, tmp_path: Path) -> None:
    path = str(data_root / "ner/ncbi_disease/conll/devel.tsv")
    result = runner.invoke(
        app, ["corpus", "convert", path, "--to", "brat", "--out", str(tmp_path / "x")]
    )
    assert result.exit_code != 0 and "allowed: conll, jsonl" in str(result.exception)
