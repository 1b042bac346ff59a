from pathlib import Path

import pytest

from hilgen_graph.corpus.conll import read_conll, write_conll
from hilgen_graph.corpus.report import IssueKind
from hilgen_graph.corpus.stats import corpus_stats
from hilgen_graph.errors import CorpusFormatError


@pytest.mark.parametrize(
    ("rel", "sentences", "entities"),
    [
        ("ner/bc5cdr/iob/train.tsv", 4560, {"Chemical": 5203, "Disease": 4182}),
        ("ner/ncbi_disease/conll/train.tsv", 5432, {"Disease": 5145}),
    ],
)
def test_published_iob_files(
    data_root: Path, rel: str, sentences: int, entities: dict[str, int]
) -> None:
    result = read_conll(data_root / rel)
    stats = corpus_stats(result.corpus)
    assert stats.sentences == sentences
    assert stats.entities == entities
    assert stats.documents == 1  # no -DOCSTART- lines: the file is one document
    assert result.report.issues == []
    first = result.corpus.sentences[0]
    assert first.id == "train:0"
    assert all(first.text[t.start : t.end] == t.text for t in first.tokens)


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "x.conll"
    p.write_text(text, encoding="utf-8")
    return p


def test_space_separated_docstart_and_extra_columns(tmp_path: Path) -> None:
    text = (
        "-DOCSTART- -X- O O\n\n"
        "Aspirin NN B-Chemical\ninduced VB O\nasthma NN B-Disease\n\n"
        "-DOCSTART- -X- O O\n\n"
        "Renal NN B-Disease\nfailure NN I-Disease\n. . O\n"
    )
    corpus = read_conll(_write(tmp_path, text)).corpus
    assert [len(d.sentences) for d in corpus.documents] == [1, 1]
    s0, s1 = corpus.sentences
    assert s0.id == "x:0" and s1.id == "x:1"
    assert s0.text == "Aspirin induced asthma"
    assert [(e.text, e.label) for e in s0.entities] == [
        ("Aspirin", "Chemical"),
        ("asthma", "Disease"),
    ]
    assert [(e.text, e.token_start, e.token_end) for e in s1.entities] == [("Renal failure", 0, 2)]
    doc = corpus.documents[1]
    assert [doc.text[e.start : e.end] for e in doc.entities] == ["Renal failure"]


def test_i_tag_without_b_starts_an_entity_and_is_noted(tmp_path: Path) -> None:
    result = read_conll(_write(tmp_path, "a\tO\nb\tI-Disease\nc\tI-Chemical\n"))
    sent = result.corpus.sentences[0]
    assert [(e.text, e.label) for e in sent.entities] == [("b", "Disease"), ("c", "Chemical")]
    assert sent.tags == ["O", "B-Disease", "B-Chemical"]
    assert [i.kind for i in result.report.issues] == [IssueKind.NOTE, IssueKind.NOTE]


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ("a\tO\nb\tX-Disease\n", 2, "is not IOB2"),
        ("a\tO\nlonely\n", 2, "found 1 column"),
        ("a\tO\nb\tB-\n", 2, "is not IOB2"),
        ("the\tO\nmut\tation\tO\n", 2, "3 tab-separated columns"),  # a tab inside a token
        ("the\tO\nmut ation\tO\n", 2, "whitespace or control"),  # a space inside a token
        ("the\tO\nmut\x00ation\tO\n", 2, "whitespace or control"),
        ("the\tO\nfever\tDisease I-Disease\n", 2, "is not IOB2"),
        ("the\tO\nfever\tB-Disease I-Disease\n", 2, "whitespace or control"),
        ("the\tO\nfever\tB-Dis\x1bease\n", 2, "whitespace or control"),
        ("the O\nfever B-Disease I-Disease\n", 2, "3 space-separated columns"),
    ],
)
def test_bad_lines_raise_with_line(tmp_path: Path, text: str, line: int, needle: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(CorpusFormatError) as info:
        read_conll(path)
    assert info.value.line == line and needle in str(info.value)
    assert f"{path}:{line}" in str(info.value) and "how to fix" in str(info.value)


def test_lenient_skips_the_bad_sentence_and_says_which(tmp_path: Path) -> None:
    text = "a\tB-X\n\nb\tO\nc\tE-X\nd\tO\n\ne\tB-Y\n"
    result = read_conll(_write(tmp_path, text), lenient=True)
    assert [s.words for s in result.corpus.sentences] == [["a"], ["e"]]
    (issue,) = result.report.skipped
    assert issue.line == 4 and "lines 3-4" in issue.record and "E-X" in issue.reason


def test_write_then_read_round_trip(data_root: Path, tmp_path: Path) -> None:
    corpus = read_conll(data_root / "ner/ncbi_disease/conll/devel.tsv").corpus
    out = tmp_path / "out.tsv"
    assert write_conll(corpus, out, docstart=True) == 923
    again = read_conll(out).corpus
    assert [s.words for s in again.sentences] == [s.words for s in corpus.sentences]
    assert [s.tags for s in again.sentences] == [s.tags for s in corpus.sentences]
    # Without -DOCSTART- the written file is byte-identical to the published one.
    plain = tmp_path / "plain.tsv"
    write_conll(corpus, plain)
    assert plain.read_bytes() == (data_root / "ner/ncbi_disease/conll/devel.tsv").read_bytes()


def test_bom_crlf_and_gzip_read_like_the_plain_file(tmp_path: Path) -> None:
    import gzip

    text = "-DOCSTART-\tO\n\nAspirin\tB-Chemical\nworks\tO\n\nfever\tB-Disease\n"
    plain = read_conll(_write(tmp_path, text)).corpus
    (tmp_path / "bom").mkdir()
    (tmp_path / "gz").mkdir()
    bom = tmp_path / "bom" / "x.conll"
    bom.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    zipped = tmp_path / "gz" / "x.conll"  # gzip told by its first bytes, not its name
    zipped.write_bytes(gzip.compress(text.encode()))
    for other in (bom, zipped):
        assert read_conll(other).corpus.documents == plain.documents
    assert plain.sentences[0].words[0] == "Aspirin"


def test_a_bad_byte_is_reported_at_its_own_line(tmp_path: Path) -> None:
    """Not at the end of the decoder's 8 KB chunk: line 3000 of a long file."""
    lines = [f"w{i}\tO" for i in range(5000)]
    lines[2999] = "caf\xe9\tO"
    path = tmp_path / "latin1.tsv"
    path.write_bytes("\n".join(lines).encode("latin-1"))
    with pytest.raises(CorpusFormatError) as info:
        read_conll(path)
    assert info.value.line == 3000 and "byte 0xe9 at column 4" in str(info.value)


@pytest.mark.parametrize("content", [b"", b"\n\n", b"-DOCSTART-\tO\n\n"])
def test_an_empty_corpus_is_an_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.tsv"
    path.write_bytes(content)
    with pytest.raises(CorpusFormatError, match="empty"):
        read_conll(path)
