import gzip
import json
from pathlib import Path

import pytest

from hilgen_graph.corpus import detect_format, load_corpus, read_corpus
from hilgen_graph.corpus.jsonl import read_jsonl, write_jsonl
from hilgen_graph.errors import ConfigError, CorpusFormatError, DataMissingError

MM = "ner/medmentions/sample_med_mentions_scispacy_fixture.txt"


def test_jsonl_round_trip_keeps_sentences_and_ids(data_root: Path, tmp_path: Path) -> None:
    corpus = load_corpus(data_root / MM)
    out = tmp_path / "mm.jsonl"
    assert write_jsonl(corpus, out) == len(corpus.sentences)
    first = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    assert set(first) == {"id", "doc_id", "text", "tokens", "offsets", "tags", "entities"}
    again = read_jsonl(out).corpus
    assert again.sentences == corpus.sentences
    assert [d.id for d in again.documents] == [d.id for d in corpus.documents]


def test_jsonl_bad_record_raises_and_lenient_reports(tmp_path: Path) -> None:
    good = {
        "id": "d:0",
        "doc_id": "d",
        "text": "Aspirin works",
        "tokens": ["Aspirin", "works"],
        "offsets": [[0, 7], [8, 13]],
        "tags": ["B-Chemical", "O"],
        "entities": [
            {"start": 0, "end": 7, "text": "Aspirin", "label": "Chemical", "concept_ids": [],
             "token_start": 0, "token_end": 1}
        ],
    }  # fmt: skip
    bad = dict(good, id="d:1", offsets=[[0, 6], [8, 13]])
    p = tmp_path / "x.jsonl"
    p.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n", encoding="utf-8")
    with pytest.raises(CorpusFormatError) as info:
        read_jsonl(p)
    assert info.value.line == 2 and "does not match" in str(info.value)
    result = read_jsonl(p, lenient=True)
    assert [s.id for s in result.corpus.sentences] == ["d:0"]
    assert [i.line for i in result.report.skipped] == [2]


@pytest.mark.parametrize(
    ("rel", "fmt"),
    [
        ("ner/bc5cdr/pubtator/CDR_TestSet.PubTator.txt", "pubtator"),
        ("ner/ncbi_disease/original/NCBIdevelopset_corpus.txt", "pubtator"),
        ("ner/ncbi_disease/conll/devel.tsv", "conll"),
        ("ner/bc5cdr/iob/devel.tsv", "conll"),
        (MM, "pubtator"),
    ],
)
def test_detect_format(data_root: Path, rel: str, fmt: str) -> None:
    assert detect_format(data_root / rel) == fmt


def test_detect_format_of_gzip_and_jsonl(data_root: Path, tmp_path: Path) -> None:
    gz = tmp_path / "dev.tsv.gz"
    gz.write_bytes(gzip.compress((data_root / "ner/ncbi_disease/conll/devel.tsv").read_bytes()))
    assert detect_format(gz) == "conll"
    assert len(load_corpus(gz).sentences) == 923
    js = tmp_path / "s.jsonl"
    write_jsonl(load_corpus(data_root / MM), js)
    assert detect_format(js) == "jsonl"


def test_undetectable_unknown_and_missing(tmp_path: Path) -> None:
    p = tmp_path / "prose.txt"
    p.write_text("Just some prose.\nNothing tabular here at all\n", encoding="utf-8")
    with pytest.raises(CorpusFormatError, match="--format"):
        load_corpus(p)
    with pytest.raises(ConfigError, match="allowed: conll, pubtator, jsonl"):
        load_corpus(p, "brat")
    with pytest.raises(DataMissingError, match="hilgen data check"):
        load_corpus(tmp_path / "nope.txt")


def test_collapse_applies_to_every_format(data_root: Path) -> None:
    result = read_corpus(data_root / "ner/bc5cdr/iob/devel.tsv", "iob", collapse_to="Entity")
    assert {e.label for s in result.corpus.sentences for e in s.entities} == {"Entity"}


def test_truncated_gzip_is_a_format_error(data_root: Path, tmp_path: Path) -> None:
    data = gzip.compress((data_root / MM).read_bytes())
    gz = tmp_path / "cut.txt.gz"
    gz.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorpusFormatError, match="truncated or corrupt"):
        load_corpus(gz, "pubtator")
