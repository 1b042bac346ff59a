"""A corpus in another NCBI PubTator dialect (five-column relation lines, ``,`` composites,
9-digit MeSH ids, ``|`` inside variant ids) read strictly by `corpus stats`, `augment kg` and
`evaluate`, with exact entity counts; and ``--lenient`` (skip and report) where it is broken."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.graph.free_store import session_free_store
from typer.testing import CliRunner

from hilgen_graph.cli import app
from hilgen_graph.corpus.pubtator import read_pubtator
from hilgen_graph.corpus.records import Entity
from hilgen_graph.errors import CorpusFormatError

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "pubtator_dialects"
TRAIN_ENTITIES = {
    "ChemicalEntity": 4,
    "DiseaseOrPhenotypicFeature": 9,
    "GeneOrGeneProduct": 3,
    "SequenceVariant": 3,
}
runner = CliRunner()


@pytest.fixture(scope="session")
def free_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return session_free_store(tmp_path_factory)


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HILGEN_CACHE_DIR", str(tmp_path / "cache"))


@pytest.mark.parametrize(
    ("split", "documents", "entities"),
    [
        ("train", 3, TRAIN_ENTITIES),
        ("dev", 1, {"ChemicalEntity": 2, "DiseaseOrPhenotypicFeature": 3}),
        ("test", 1, {"ChemicalEntity": 1, "DiseaseOrPhenotypicFeature": 2, "SequenceVariant": 1}),
    ],
)
def test_corpus_stats_reads_the_dialect_strictly(
    split: str, documents: int, entities: dict[str, int]
) -> None:
    result = runner.invoke(app, ["corpus", "stats", str(FIXTURE / f"{split}.txt"), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["documents"] == documents
    assert data["entities"] == entities
    assert data["entities_in_sentences"] == entities
    assert data["report"]["skipped"] == [] and data["report"]["dropped_entities"] == []


def _kg(store: Path, corpus: Path, out: Path, *extra: str) -> list[str]:
    return [
        "augment", "kg", "--corpus", str(corpus), "--store", str(store), "--k", "2",
        "--seed", "1", "--dev", str(FIXTURE / "dev.txt"), "--test", str(FIXTURE / "test.txt"),
        "--out", str(out), "--json", *extra,
    ]  # fmt: skip


def test_augment_kg_links_nine_digit_and_composite_ids(free_store: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, _kg(free_store, FIXTURE / "train.txt", tmp_path / "kg.jsonl"))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["corpus_skipped"] == []
    gold = _sample_entities(data["sample_ids"])
    # Exact counts: every gold entity of the sample is there; those with MeSH ids (9-digit,
    # ',' and '|' composites, a leading space) link by id, variants and genes do not.
    assert data["entities"] == len(gold) == 14
    with_mesh = [e for e in gold if e.label in ("ChemicalEntity", "DiseaseOrPhenotypicFeature")]
    assert data["linked_entities"] == len(with_mesh) == 8
    assert data["linking"]["by_method"]["corpus_id"] == 8
    unlinked = {tuple(u["corpus_ids"]) for u in data["linking"]["unlinked_entities"]}
    assert unlinked == {
        ("c|SUB|C|1858|T",),  # one variant id each, kept verbatim
        ("c|INDEL|-4825",),
        ("p|SUB|R|175|H",),
        ("672",),
        ("7157", "8626"),  # a ',' composite of gene ids
    }
    assert data["written"] > 0


def _sample_entities(ids: list[str]) -> list[Entity]:
    sentences = read_pubtator(FIXTURE / "train.txt").corpus.sentences
    wanted = set(ids)
    return [e for s in sentences if s.id in wanted for e in s.entities]


def test_a_broken_record_fails_strictly_and_is_skipped_and_reported_when_lenient(
    free_store: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "train.txt"
    lines = (FIXTURE / "train.txt").read_text(encoding="utf-8").splitlines()
    bad = next(i for i, line in enumerate(lines) if "\tDiseaseOrPhenotypicFeature\tD003924" in line)
    lines[bad] = lines[bad].replace("DiseaseOr", "DiseaseOr\t")  # a tab inside the type column
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")

    strict = runner.invoke(app, _kg(free_store, broken, tmp_path / "a.jsonl"))
    assert strict.exit_code != 0
    assert isinstance(strict.exception, CorpusFormatError)
    assert strict.exception.line == bad + 1 and strict.exception.path == str(broken)

    lenient = runner.invoke(app, _kg(free_store, broken, tmp_path / "b.jsonl", "--lenient"))
    assert lenient.exit_code == 0, lenient.output
    skipped = json.loads(lenient.stdout)["corpus_skipped"]
    assert len(skipped) == 1 and f"{broken}:{bad + 1} " in skipped[0]
    assert "skipped 1 malformed corpus record" in lenient.stderr


def test_corpus_stats_of_an_empty_file_fails(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    result = runner.invoke(app, ["corpus", "stats", str(empty), "--format", "pubtator"])
    assert result.exit_code != 0
    assert isinstance(result.exception, CorpusFormatError)
    assert "empty" in str(result.exception)


EVAL_CONFIG = """
name: dialects
datasets:
  - name: dialects
    train: {train}
    dev: {dev}
    test: {test}
k: 1
seeds: [1]
variants: [baseline]
model: [linear]
training: {{lr: 1.0e-4, batch_size: 4, min_steps: 2, max_steps: 2, eval_points: 1}}
bootstrap_samples: 10
"""


@pytest.mark.slow
def test_evaluate_reads_the_dialect_strictly(tmp_path: Path) -> None:
    cfg = tmp_path / "dialects.yaml"
    cfg.write_text(
        EVAL_CONFIG.format(
            train=FIXTURE / "train.txt", dev=FIXTURE / "dev.txt", test=FIXTURE / "test.txt"
        ),
        encoding="utf-8",
    )
    out = tmp_path / "run"
    result = runner.invoke(app, ["evaluate", "--config", str(cfg), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert "dialects" in report["datasets"]
    assert not (out / "skipped_records.json").exists()
