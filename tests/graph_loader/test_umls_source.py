"""The UMLS RRF source on the real-row fixture and on hand-written fixtures in the real layout."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest
from tests.graph_loader.stream_contract import RRF_FIXTURES, StreamSummary, check_stream_contract

from hilgen_graph.errors import GraphError
from hilgen_graph.graph.records import Concept, SemanticType
from hilgen_graph.graph_loader.rrf import read_layout
from hilgen_graph.graph_loader.umls import (
    DEFAULT_LANGUAGES,
    DEFAULT_SUPPRESS,
    PREFERRED_RULE,
    UmlsSource,
)

DIRECTION = RRF_FIXTURES / "direction"
BAD_ROWS = RRF_FIXTURES / "bad_rows"


def load(path: Path, **options: object) -> tuple[UmlsSource, StreamSummary]:
    source = UmlsSource(path, **options)  # type: ignore[arg-type]
    return source, check_stream_contract(source)


def test_real_row_fixture_parses(data_root: Path) -> None:
    source, s = load(data_root / "kb" / "umls_rrf_fixture", hierarchy="none")
    assert set(s.concepts) == {"C0000005", "C0000039"}
    assert s.concepts["C0000005"].preferred_name == "(131)I-Macroaggregated Albumin"
    assert s.texts("C0000005") == {"(131)I-Macroaggregated Albumin", "(131)I-MAA"}
    assert s.concepts["C0000039"].preferred_name == "1,2-Dipalmitoylphosphatidylcholine"
    assert s.has_types == {"C0000005": {"T116"}, "C0000039": {"T109", "T121"}}
    assert s.xrefs["C0000039"] == {("MSH", "D015060")}
    assert s.types["T047"].group == "DISO"  # semantic network types come first, with groups
    assert source.report.skipped == []


def test_columns_come_from_mrfiles(data_root: Path, tmp_path: Path) -> None:
    layout = read_layout(data_root / "kb" / "umls_rrf_fixture")
    assert layout.from_mrfiles
    assert layout.columns_of("MRREL.RRF")[:5] == ("CUI1", "AUI1", "STYPE1", "REL", "CUI2")
    # a release whose MRSTY has another column order is read through its MRFILES
    for name in ("MRCONSO.RRF", "MRSAB.RRF"):
        shutil.copy(DIRECTION / name, tmp_path / name)
    (tmp_path / "MRFILES.RRF").write_text(
        (DIRECTION / "MRFILES.RRF")
        .read_text()
        .replace("CUI,TUI,STN,STY,ATUI,CVF", "TUI,CUI,STN,STY,ATUI,CVF")
    )
    swapped = [
        "|".join([f[1], f[0], *f[2:]])
        for f in (line.split("|") for line in (DIRECTION / "MRSTY.RRF").read_text().splitlines())
    ]
    (tmp_path / "MRSTY.RRF").write_text("\n".join(swapped) + "\n")
    _, s = load(tmp_path, hierarchy="none")
    assert s.has_types["C0000008"] == {"T047", "T046"}


def test_mrrel_direction_par_chd_isa_inverse_isa() -> None:
    source, s = load(DIRECTION)
    edges = {(e.child, e.parent, e.source) for e in s.isa}
    assert edges == {
        ("C0000002", "C0000001", "MSH"),  # PAR row and its CHD twin: one edge
        ("C0000003", "C0000001", "SNOMEDCT_US"),  # C1 CHD C3 (isa): C3 is a child of C1
        ("C0000003", "C0000002", "SNOMEDCT_US"),  # C3 PAR C2 (inverse_isa): C2 is the parent
        ("C0000004", "C0000003", "SNOMEDCT_US"),  # C3 RN C4, RELA isa: C4 is-a C3
        ("C0000008", "C0000003", "NCI"),  # C8 RB C3, RELA inverse_isa: C3 is the parent
        ("C0000007", "C0000001", "MSH"),  # the suppressed copy of this row is dropped
    }
    assert s.parents("C0000004") == {"C0000003"}
    assert s.children("C0000003") == {"C0000004", "C0000008"}
    assert source.report.dropped["isa_dangling"] == 1  # parent C0000005 has only Spanish rows
    assert source.report.dropped["isa_self_loop"] == 1
    assert source.report.yielded["isa"] == 6


def test_filters_and_preferred_name_rule() -> None:
    assert DEFAULT_LANGUAGES == ("ENG",)
    assert set(DEFAULT_SUPPRESS) == {"O", "E", "Y"}
    assert PREFERRED_RULE == {"TS": "P", "STT": "PF", "ISPREF": "Y"}
    source, s = load(DIRECTION)
    # C0000005 is Spanish only, C0000006 obsolete only: neither is a concept
    assert set(s.concepts) == {
        "C0000001",
        "C0000002",
        "C0000003",
        "C0000004",
        "C0000007",
        "C0000008",
    }
    assert "Enfermedad" not in s.texts("C0000001")
    assert s.texts("C0000003") == {"Hypertension", "High blood pressure"}  # E and Y dropped
    # first TS=P/STT=PF/ISPREF=Y row names the concept, though it is not the first row
    assert s.concepts["C0000001"].preferred_name == "Disease"
    pref = [t for t in s.terms["C0000001"] if t.is_preferred]
    assert [(t.text, t.source, t.term_type) for t in pref] == [("Disease", "SNOMEDCT_US", "PT")]
    # the duplicate (Disease, SNOMEDCT_US) row is one term; (Disease, MSH) is another
    assert sorted((t.text, t.source) for t in s.terms["C0000001"]) == [
        ("Disease", "MSH"),
        ("Disease", "SNOMEDCT_US"),
        ("disease", "MSH"),
    ]
    # no row fits the rule: the first kept row names it (the obsolete first row is dropped)
    assert s.concepts["C0000002"].preferred_name == "Heart Diseases"
    assert s.has_types["C0000008"] == {"T047", "T046"}
    assert source.report.dropped["has_type_dangling"] == 1
    assert s.types["T999"] == SemanticType("T999", "Made-up Type", "")  # not in the network
    assert s.sources["UMLS"] == "2024AA"
    assert s.sources["NCI"] == "2024_01E"  # the current version (CURVER=Y)


def test_sab_and_language_filters_are_settable() -> None:
    _, s = load(DIRECTION, sab="SNOMEDCT_US")
    assert set(s.concepts) == {"C0000001", "C0000002", "C0000003", "C0000004"}
    assert {e.source for e in s.isa} == {"SNOMEDCT_US"}
    assert {t.source for ts in s.terms.values() for t in ts} == {"SNOMEDCT_US"}
    assert set(s.sources) == {"UMLS", "SNOMEDCT_US"}
    _, s = load(DIRECTION, languages=["ENG", "SPA"], suppress=())
    assert {"C0000005", "C0000006"} <= set(s.concepts)
    assert "Enfermedad" in s.texts("C0000001")
    assert "HTN (editor suppressed)" in s.texts("C0000003")
    assert ("C0000004", "C0000005", "MSH") in {(e.child, e.parent, e.source) for e in s.isa}


def test_unknown_sab_lists_the_sabs_of_mrsab() -> None:
    with pytest.raises(GraphError) as err:
        UmlsSource(DIRECTION, sab="SNOMEDCT_US,ICD99")
    assert "ICD99" in str(err.value)
    assert "MSH, NCI, SNOMEDCT_US" in str(err.value)
    assert "MRSAB.RRF" in str(err.value)


def test_unknown_sab_without_mrsab_lists_the_sabs_seen(tmp_path: Path) -> None:
    for name in ("MRCONSO.RRF", "MRSTY.RRF", "MRREL.RRF"):
        shutil.copy(DIRECTION / name, tmp_path / name)
    with pytest.raises(GraphError, match=r"ICD99.*MRCONSO\.RRF has rows of: MSH, NCI, SNOMEDCT_US"):
        list(UmlsSource(tmp_path, sab="ICD99"))


def test_bad_row_names_file_and_line() -> None:
    with pytest.raises(GraphError) as err:
        list(UmlsSource(BAD_ROWS))
    message = str(err.value)
    assert f"{BAD_ROWS / 'MRCONSO.RRF'}:3:" in message
    assert "expected 18" in message and "found 17" in message
    assert "skip_bad_rows" in message


def test_skip_bad_rows_loads_the_rest_and_reports_every_line() -> None:
    source, s = load(BAD_ROWS, skip_bad_rows=True)
    skipped = [(Path(r.path).name, r.line) for r in source.skipped]
    assert skipped == [("MRCONSO.RRF", 3), ("MRSTY.RRF", 4), ("MRREL.RRF", 2)]
    assert all("expected" in r.reason for r in source.report.skipped)
    assert "C0000001" in s.concepts and "C0000008" in s.concepts
    assert "C0000004" not in s.has_types  # its MRSTY row was the bad one
    # the bad MRREL line was the CHD twin of a PAR row: the edge is still there
    assert s.parents("C0000002") == {"C0000001"}


def test_missing_required_file(tmp_path: Path) -> None:
    shutil.copy(DIRECTION / "MRCONSO.RRF", tmp_path / "MRCONSO.RRF")
    with pytest.raises(GraphError, match=r"no MRSTY\.RRF.*how to fix"):
        UmlsSource(tmp_path)
    shutil.copy(DIRECTION / "MRSTY.RRF", tmp_path / "MRSTY.RRF")
    with pytest.raises(GraphError, match=r"no MRREL\.RRF"):
        UmlsSource(tmp_path)
    with pytest.raises(GraphError, match="does not exist"):
        UmlsSource(tmp_path / "nowhere")


def test_gzip_files_and_meta_subfolder(tmp_path: Path) -> None:
    meta = tmp_path / "2024AA" / "META"
    meta.mkdir(parents=True)
    for src in DIRECTION.glob("*.RRF"):
        with gzip.open(meta / f"{src.name}.gz", "wb") as fh:
            fh.write(src.read_bytes())
    _, plain = load(DIRECTION)
    _, zipped = load(tmp_path / "2024AA")  # the folder above META works too
    assert zipped.records[1:] == plain.records[1:]
    assert zipped.sources["UMLS"] == "2024AA"  # from the folder name (no release.dat)


def test_unsorted_mrconso_is_refused(tmp_path: Path) -> None:
    lines = (DIRECTION / "MRCONSO.RRF").read_text().splitlines(keepends=True)
    (tmp_path / "MRCONSO.RRF").write_text("".join([*lines[1:], lines[0]]))
    for name in ("MRSTY.RRF", "MRREL.RRF"):
        shutil.copy(DIRECTION / name, tmp_path / name)
    with pytest.raises(GraphError, match=r"not sorted by CUI.*sort"):
        list(UmlsSource(tmp_path))


def test_names_pass_verbatim() -> None:
    _, s = load(DIRECTION)
    assert s.concepts["C0000007"] == Concept("C0000007", 'O\'Brien "quoted" \\ syndrome')
    assert "MATCH (n) DETACH DELETE n" in s.texts("C0000007")


def test_mrhier_hierarchy(tmp_path: Path) -> None:
    from hilgen_graph.testing.synthetic_rrf import SyntheticRrfSpec, write_synthetic_rrf

    release = write_synthetic_rrf(tmp_path, SyntheticRrfSpec.small(120, mrhier=True))
    _, by_rel = load(tmp_path, hierarchy="mrrel")
    _, by_hier = load(tmp_path, hierarchy="mrhier")
    _, both = load(tmp_path, hierarchy="both")
    rel = {(e.child, e.parent, e.source) for e in by_rel.isa}
    assert rel == {(e.child, e.parent, e.source) for e in by_hier.isa}
    assert len(both.isa) == len(rel) == release.isa_edges


def test_mrconso_is_streamed_not_read_whole(tmp_path: Path) -> None:
    # a bad row at the end of MRCONSO: the first concepts arrive before the error does
    for name in ("MRSTY.RRF", "MRREL.RRF", "MRSAB.RRF", "MRFILES.RRF"):
        shutil.copy(DIRECTION / name, tmp_path / name)
    text = (DIRECTION / "MRCONSO.RRF").read_text()
    (tmp_path / "MRCONSO.RRF").write_text(text + "C0000009|ENG|broken|\n")
    got: list[str] = []
    with pytest.raises(GraphError, match=r"MRCONSO\.RRF:20:"):
        for rec in UmlsSource(tmp_path):
            if isinstance(rec, Concept):
                got.append(rec.id)
    # every concept before the last block (C0000008, still being aggregated) was yielded
    assert got == ["C0000001", "C0000002", "C0000003", "C0000004", "C0000007"]
