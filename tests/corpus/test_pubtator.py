import gzip
import shutil
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from hilgen_graph.corpus.pubtator import parse_concept_ids, read_pubtator
from hilgen_graph.corpus.records import Corpus
from hilgen_graph.corpus.report import IssueKind, LoadResult
from hilgen_graph.corpus.stats import corpus_stats
from hilgen_graph.errors import CorpusFormatError

BC5_TRAIN = "ner/bc5cdr/pubtator/CDR_TrainingSet.PubTator.txt"
NCBI_TRAIN = "ner/ncbi_disease/original/NCBItrainset_corpus.txt"
MM_SAMPLE = "ner/medmentions/sample_med_mentions_scispacy_fixture.txt"


@cache
def _read(path: Path, collapse_to: str | None = None) -> LoadResult:
    return read_pubtator(path, collapse_to=collapse_to)


def _assert_sentences_exact(corpus: Corpus) -> None:
    for sent in corpus.sentences:
        for tok in sent.tokens:
            assert sent.text[tok.start : tok.end] == tok.text, sent.id
        for ent in sent.entities:
            assert sent.text[ent.start : ent.end] == ent.text, sent.id
            assert sent.tokens[ent.token_start].start == ent.start, sent.id
            assert sent.tokens[ent.token_end - 1].end == ent.end, sent.id


def test_bc5cdr_train_official_counts(data_root: Path) -> None:
    result = _read(data_root / BC5_TRAIN)
    stats = corpus_stats(result.corpus)
    assert stats.documents == 500
    assert stats.entities == {"Chemical": 5203, "Disease": 4182}
    assert stats.entities_in_sentences == {"Chemical": 5203, "Disease": 4182}
    assert result.report.clean
    # BC5CDR relation lines are kept on their document, never read as mentions.
    assert sum(len(d.relations) for d in result.corpus.documents) == 1038
    doc = result.corpus.documents[0]
    assert doc.id == "227508"
    assert ("CID", "D008750", "D007022") in doc.relations
    assert doc.text.startswith(doc.title + " ")
    _assert_sentences_exact(result.corpus)


def test_bc5cdr_unnormalised_and_composite_ids(data_root: Path) -> None:
    corpus = _read(data_root / BC5_TRAIN).corpus
    ents = {(d.id, e.start): e for d in corpus.documents for e in d.entities}
    assert ents[("227508", 244)].text == "nalozone"
    assert ents[("227508", 244)].concept_ids == ()  # -1
    assert ents[("2234245", 0)].concept_ids == ("D014786", "D006311")  # 7-column composite


def test_ncbi_train_fine_types_and_collapse(data_root: Path) -> None:
    fine = _read(data_root / NCBI_TRAIN)
    stats = corpus_stats(fine.corpus)
    assert stats.documents == 593
    assert stats.entities == {
        "CompositeMention": 115,
        "DiseaseClass": 769,
        "Modifier": 1289,
        "SpecificDisease": 2972,
    }
    assert sum(stats.entities.values()) == 5145
    collapsed = _read(data_root / NCBI_TRAIN, "Disease")
    assert corpus_stats(collapsed.corpus).entities_in_sentences == {"Disease": 5145}
    _assert_sentences_exact(collapsed.corpus)
    # What the reader changed is reported, not hidden: the repeated PMID and the stray spaces.
    kinds = Counter(i.kind for i in fine.report.issues)
    assert kinds[IssueKind.RENAMED_DOCUMENT] == 1
    assert kinds[IssueKind.FIXED_TEXT] == 1
    assert fine.report.dropped_entities == [] and fine.report.skipped == []
    ids = [d.id for d in fine.corpus.documents]
    assert ids.count("8528200") == 1 and "8528200#2" in ids
    assert len(set(s.id for s in fine.corpus.sentences)) == len(fine.corpus.sentences)


def test_ncbi_stray_space_and_composite_ids(data_root: Path) -> None:
    corpus = _read(data_root / NCBI_TRAIN).corpus
    all_ids = [e.concept_ids for d in corpus.documents for e in d.entities]
    assert ("OMIM:106210",) in all_ids  # 'OMIM:106210 ' in the file
    assert ("D015862", "D058499") in all_ids  # ' D015862+D058499' in the file
    assert all(i == i.strip() and i for ids in all_ids for i in ids)


@pytest.mark.parametrize(
    ("raw", "ids"),
    [
        ("D012878", ("D012878",)),
        ("-1", ()),
        (" D015862+D058499", ("D015862", "D058499")),
        ("D014786|D006311", ("D014786", "D006311")),
        ("OMIM:106210 ", ("OMIM:106210",)),
        ("UMLS:C0010674", ("UMLS:C0010674",)),
        ("D012878|-1", ("D012878",)),
        ("D1|-1", ("D1|-1",)),  # not ids of a known shape: one id, verbatim
        ("D003920,D003924", ("D003920", "D003924")),  # BioRED composites
        ("D000075222", ("D000075222",)),  # 9-digit MeSH
        ("D000075222|C000591739", ("D000075222", "C000591739")),
        ("c|INDEL|-4825", ("c|INDEL|-4825",)),  # one tmVar variant id
        ("p|SUB|V|600|E", ("p|SUB|V|600|E",)),
        ("  D006973", ("D006973",)),
        ("7157,7158", ("7157", "7158")),  # NCBI Gene ids
        ("", ()),
    ],
)
def test_parse_concept_ids(raw: str, ids: tuple[str, ...]) -> None:
    assert parse_concept_ids(raw) == ids


def test_medmentions_sample_types_and_cuis(data_root: Path) -> None:
    result = read_pubtator(data_root / MM_SAMPLE)
    corpus = result.corpus
    assert len(corpus.documents) == 3
    ents = [e for d in corpus.documents for e in d.entities]
    assert len(ents) == 115
    assert all(e.label.startswith("T") and e.label[1:].isdigit() for e in ents)
    assert all(len(e.concept_ids) == 1 and e.concept_ids[0].startswith("UMLS:C") for e in ents)
    assert result.report.entities_in_sentences == 115
    _assert_sentences_exact(corpus)


def test_gzip_reads_like_plain(data_root: Path, tmp_path: Path) -> None:
    gz = tmp_path / "mm.txt.gz"
    with (data_root / MM_SAMPLE).open("rb") as src, gzip.open(gz, "wb") as dst:
        shutil.copyfileobj(src, dst)
    plain = read_pubtator(data_root / MM_SAMPLE).corpus
    zipped = read_pubtator(gz).corpus
    assert zipped.documents == plain.documents


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "bad.pubtator"
    p.write_text(text, encoding="utf-8")
    return p


GOOD = "1|t|Aspirin and asthma.\n1|a|Aspirin induced asthma in rats.\n"


def test_entity_crossing_sentence_boundary_merges_sentences(tmp_path: Path) -> None:
    text = (
        "9|t|T.\n9|a|Type 2. Diabetes was seen. Next one.\n"
        "9\t3\t19\tType 2. Diabetes\tDisease\tD1\n"
    )
    result = read_pubtator(_write(tmp_path, text))
    sents = result.corpus.documents[0].sentences
    assert [s.text for s in sents] == ["T.", "Type 2. Diabetes was seen.", "Next one."]
    assert sents[1].entities[0].text == "Type 2. Diabetes"
    assert sents[1].tags[:4] == ["B-Disease", "I-Disease", "I-Disease", "I-Disease"]
    assert [i.kind for i in result.report.issues] == [IssueKind.MERGED_SENTENCES]


def test_entity_inside_a_token_splits_the_token(tmp_path: Path) -> None:
    text = "3|t|DA1 receptors bind DA.\n3\t0\t2\tDA\tChemical\tD1\n"
    sent = read_pubtator(_write(tmp_path, text)).corpus.sentences[0]
    assert sent.words[:2] == ["DA", "1"]
    assert sent.tags[:2] == ["B-Chemical", "O"]


def test_overlapping_entities_are_reported_not_silently_lost(tmp_path: Path) -> None:
    text = GOOD + "1\t0\t7\tAspirin\tChemical\tD1\n1\t0\t18\tAspirin and asthma\tDisease\tD2\n"
    result = read_pubtator(_write(tmp_path, text))
    assert len(result.corpus.documents[0].entities) == 2  # the document keeps both
    sent = result.corpus.sentences[0]
    assert [e.text for e in sent.entities] == ["Aspirin and asthma"]
    (dropped,) = result.report.dropped_entities
    assert dropped.text == "Aspirin" and "overlaps" in dropped.reason
    assert dropped.line == 3  # the annotation line of the entity not kept
    assert not result.report.clean


@pytest.mark.parametrize(
    ("line", "lineno", "needle"),
    [
        ("1\t0\t99\tAspirin\tChemical\tD1", 3, "outside the document text"),
        ("1\t0\t7\tAspirix\tChemical\tD1", 3, "does not match the text"),
        ("1\tzero\t7\tAspirin\tChemical\tD1", 3, "not integers"),
        ("1 0 7 Aspirin Chemical D1", 3, "tab-separated fields"),
        ("2\t0\t7\tAspirin\tChemical\tD1", 3, "annotation of document '2'"),
    ],
)
def test_bad_lines_raise_with_file_line_text_and_fix(
    tmp_path: Path, line: str, lineno: int, needle: str
) -> None:
    path = _write(tmp_path, GOOD + line + "\n")
    with pytest.raises(CorpusFormatError) as info:
        read_pubtator(path)
    err = info.value
    assert err.path == str(path) and err.line == lineno
    assert err.text is not None and err.fix
    assert needle in str(err) and f"{path}:{lineno}" in str(err) and "how to fix" in str(err)


def test_annotation_before_any_title_raises(tmp_path: Path) -> None:
    with pytest.raises(CorpusFormatError, match="outside a document"):
        read_pubtator(_write(tmp_path, "1\t0\t7\tAspirin\tChemical\tD1\n" + GOOD))


def test_lenient_skips_exactly_the_bad_records_and_reports_them(tmp_path: Path) -> None:
    text = (
        GOOD
        + "1\t0\t7\tAspirin\tChemical\tD1\n"  # line 3: good
        + "1\t0\t99\tAspirin\tChemical\tD1\n"  # line 4: offsets outside
        + "1\t12\t18\tasthma\tDisease\tD2\n"  # line 5: good
        + "1\t20\t27\tAspirix\tChemical\tD1\n"  # line 6: text mismatch
    )
    result = read_pubtator(_write(tmp_path, text), lenient=True)
    assert [e.text for e in result.corpus.documents[0].entities] == ["Aspirin", "asthma"]
    assert [(i.line, i.kind) for i in result.report.skipped] == [
        (4, IssueKind.SKIPPED_RECORD),
        (6, IssueKind.SKIPPED_RECORD),
    ]
    assert "outside" in result.report.skipped[0].reason
    assert "does not match" in result.report.skipped[1].reason


DIALECT = "1|t|Essential hypertension and c.1858C>T.\n1|a|Diabetes or hypertension.\n"


@pytest.mark.parametrize(
    ("line", "ids"),
    [
        ("1\t0\t22\tEssential hypertension\tDisease\tD000075222", ("D000075222",)),
        ("1\t27\t36\tc.1858C>T\tSequenceVariant\tc|SUB|C|1858|T", ("c|SUB|C|1858|T",)),
        ("1\t38\t62\tDiabetes or hypertension\tDisease\tD003920,D006973", ("D003920", "D006973")),
        ("1\t0\t22\tEssential hypertension\tDisease\t D000075222", ("D000075222",)),
    ],
)
def test_dialect_ids_by_shape(tmp_path: Path, line: str, ids: tuple[str, ...]) -> None:
    path = _write(tmp_path, DIALECT + line + "\n1\tAssociation\tD000075222\tc|SUB|C|1858|T\tNo\n")
    doc = read_pubtator(path).corpus.documents[0]
    assert [e.concept_ids for e in doc.entities] == [ids]
    assert doc.relations == (("Association", "D000075222", "c|SUB|C|1858|T", "No"),)


def test_a_tab_inside_the_type_column_is_an_error(tmp_path: Path) -> None:
    """'Modif<TAB>ier' must not become label 'Modif' with id 'ier'."""
    line = "1\t0\t22\tEssential hypertension\tModif\tier\tD006432"
    with pytest.raises(CorpusFormatError) as info:
        read_pubtator(_write(tmp_path, DIALECT + line + "\n"))
    assert info.value.line == 3 and "7th column" in str(info.value)


@pytest.mark.parametrize("content", [b"", b"\n\n\n"])
def test_an_empty_pubtator_file_is_an_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    with pytest.raises(CorpusFormatError, match="empty"):
        read_pubtator(path)
