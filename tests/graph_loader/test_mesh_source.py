"""The MeSH source: the TSV form in the data folder and the official XML layout."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest
from tests.graph_loader.stream_contract import LOADER_FIXTURES, StreamSummary, check_stream_contract

from hilgen_graph.errors import GraphError
from hilgen_graph.graph_loader.mesh import MeshSource
from hilgen_graph.graph_loader.mesh_semantic_types import (
    MESH_BRANCH_SEMANTIC_TYPES,
    approximate_semantic_type,
)
from hilgen_graph.graph_loader.semantic_network import load_semantic_network


def test_hypertension_parent_and_child(mesh_stream: StreamSummary) -> None:
    s = mesh_stream
    assert s.concepts["D006973"].preferred_name == "Hypertension"
    assert "D014652" in s.parents("D006973", "MSH")
    assert s.concepts["D014652"].preferred_name == "Vascular Diseases"
    assert "D006974" in s.children("D006973", "MSH")
    assert s.concepts["D006974"].preferred_name == "Hypertension, Malignant"
    assert {"Blood Pressure, High", "High Blood Pressure"} <= s.texts("D006973")
    pref = [t for t in s.terms["D006973"] if t.is_preferred]
    assert [(t.text, t.term_type, t.source) for t in pref] == [("Hypertension", "MH", "MSH")]


def test_stream_covers_mesh(mesh_stream: StreamSummary) -> None:
    s = mesh_stream
    assert len(s.concepts) == 30_764  # every descriptor of MeSH 2024
    assert all(re.fullmatch(r"D\d{6,9}", cid) for cid in s.concepts)
    assert s.sources == {"MSH": "2024"}
    assert {e.source for e in s.isa} == {"MSH"}


def test_top_level_tree_numbers_are_rebuilt(mesh_stream: StreamSummary) -> None:
    s = mesh_stream
    # C14.907 Vascular Diseases -> C14 Cardiovascular Diseases (a top-level number, no tree row)
    assert s.parents("D014652") == {"D002318"}
    assert s.concepts["D002318"].preferred_name == "Cardiovascular Diseases"
    # D009369 Neoplasms sits only at the top level (C04): it has children and a semantic type
    assert len(s.children("D009369")) > 5
    assert s.has_types["D009369"] == {"T191"}


def test_semantic_types_from_the_documented_approximation(mesh_stream: StreamSummary) -> None:
    s = mesh_stream
    assert s.has_types["D006973"] == {"T047"}  # C14.907.489 -> Disease or Syndrome
    assert s.has_types["D006801"] == {"T016"}  # Humans
    assert approximate_semantic_type("C23.888.592") == "T184"  # Signs and Symptoms
    assert approximate_semantic_type("D02.455") == "T109"
    assert approximate_semantic_type("X99") is None
    network = load_semantic_network().by_tui()
    assert set(MESH_BRANCH_SEMANTIC_TYPES.values()) <= set(network)
    assert s.types["T047"].group == "DISO"


def test_official_xml_layout(tmp_path: Path) -> None:
    xml = LOADER_FIXTURES / "desc_sample.xml"
    source = MeshSource(xml)
    s = check_stream_contract(source)
    assert set(s.concepts) == {"D002318", "D014652", "D006973", "D006974"}
    assert s.parents("D006973") == {"D014652"} and s.parents("D014652") == {"D002318"}
    assert s.children("D006973") == {"D006974"}
    assert 'Heart & Vessel "Diseases"' in s.texts("D002318")  # entities decoded, quotes kept
    types = {t.text: t.term_type for t in s.terms["D006974"]}
    assert types == {"Hypertension, Malignant": "MH", "Malignant Hypertension": "PEP"}
    assert s.has_types["D006973"] == {"T047"}  # from SemanticTypeList
    assert s.has_types["D006974"] == {"T047"}  # no list: from the approximation
    gz = tmp_path / "desc2024.xml.gz"
    gz.write_bytes(gzip.compress(xml.read_bytes()))
    zipped = check_stream_contract(MeshSource(gz))
    assert zipped.sources == {"MSH": "2024"}
    assert zipped.records[1:] == s.records[1:]


def test_malformed_xml_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "desc2024.xml"
    bad.write_text((LOADER_FIXTURES / "desc_sample.xml").read_text()[:1500])
    with pytest.raises(GraphError, match=r"desc2024\.xml:\d+: MeSH XML is not well-formed"):
        list(MeshSource(bad))


def test_bad_tsv_row(tmp_path: Path, data_root: Path) -> None:
    src = data_root / "kb" / "mesh2024"
    trees = (src / "mesh2024_tree_numbers.tsv").read_text().splitlines(keepends=True)
    (tmp_path / "mesh2024_tree_numbers.tsv").write_text("".join(trees[:4000]))
    terms = (src / "mesh2024_descriptor_terms.tsv").read_text().splitlines(keepends=True)[:300]
    terms[7] = terms[7].replace("\t", " ", 1)  # line 8 loses a field
    (tmp_path / "mesh2024_descriptor_terms.tsv").write_text("".join(terms))
    with pytest.raises(GraphError, match=r"mesh2024_descriptor_terms\.tsv:8: expected 9"):
        list(MeshSource(tmp_path))
    source = MeshSource(tmp_path, skip_bad_rows=True)
    records = list(source)
    assert [r.line for r in source.skipped] == [8]
    assert records
