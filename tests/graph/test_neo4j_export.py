"""The admin-import CSV export: file layout, headers, quoting, de-duplication, atomicity.

These tests need no server; ``test_neo4j_store.py`` feeds an export to the real importer.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.graph.fixture_graph import CONCEPTS, SOURCES, TERMS, XREFS, fixture_records
from typer.testing import CliRunner

from hilgen_graph.cli import app
from hilgen_graph.errors import GraphError
from hilgen_graph.graph import neo4j_queries as Q
from hilgen_graph.graph.neo4j_export import (
    ARGS_FILE,
    NODE_FILES,
    REL_FILES,
    export_admin_csv,
    import_options,
)
from hilgen_graph.graph.records import Concept, GraphRecord, HasType, Isa, SemanticType, Term
from hilgen_graph.testing.synthetic_rrf import SyntheticRrfSpec, write_synthetic_rrf


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("neo4j-csv")
    export_admin_csv(fixture_records(), out)
    return out


def test_every_file_has_the_admin_import_header(exported: Path) -> None:
    for stem, (header, label) in {**NODE_FILES, **REL_FILES}.items():
        head, rows = read_csv(exported / f"{stem}.csv")
        assert tuple(head) == header
        assert all(len(r) == len(header) for r in rows), stem
        kind = ":LABEL" if stem in NODE_FILES else ":TYPE"
        assert {r[head.index(kind)] for r in rows} <= {label}
    concept_head = read_csv(exported / "nodes_concept.csv")[0]
    assert concept_head == ["id:ID(Concept)", "name", "rk:long", ":LABEL"]
    isa_head = read_csv(exported / "rels_isa.csv")[0]
    assert isa_head == [":START_ID(Concept)", ":END_ID(Concept)", "source", ":TYPE"]


def test_labels_and_types_are_the_stores_whitelist() -> None:
    assert {label for _, label in NODE_FILES.values()} == Q.LABELS
    assert {rel for _, rel in REL_FILES.values()} == Q.REL_TYPES


def test_names_round_trip_verbatim_with_rfc4180_quoting(exported: Path) -> None:
    _, rows = read_csv(exported / "nodes_concept.csv")
    names = {r[0]: r[1] for r in rows}
    assert names == {cid: name for cid, (name, _) in CONCEPTS.items()}
    raw = (exported / "nodes_concept.csv").read_text(encoding="utf-8")
    assert '"O\'Brien ""quoted"" syndrome"' in raw  # quotes doubled, not backslash-escaped
    assert "back\\slash disease \\n" in raw  # backslashes literal


def test_rows_of_one_concept_are_deduplicated_like_the_store(exported: Path) -> None:
    _, rows = read_csv(exported / "rels_has_term.csv")
    keys = [(r[0], r[1], r[2], r[3]) for r in rows]
    assert set(keys) == {(c, t, s, tty) for c, t, s, tty, _ in TERMS}
    # The fixture repeats one term far from its concept's other rows: that copy stays (the
    # store's finish_import collapses it after the import); nothing else is repeated.
    assert len(keys) == len(set(keys)) + 1
    assert keys.count(("C003", "HTN", "SNOMEDCT_US", "SY")) == 2
    preferred = {(r[0], r[1], r[2]): r[4] for r in rows}
    assert preferred[("C003", "Hypertension", "MSH")] == "true"
    assert preferred[("C003", "HTN", "SNOMEDCT_US")] == "false"
    _, types = read_csv(exported / "rels_has_type.csv")
    expected_types = {(cid, tui) for cid, (_, tuis) in CONCEPTS.items() for tui in tuis}
    assert sorted((r[0], r[1]) for r in types) == sorted(expected_types)
    assert all(r[2] == r[1] and int(r[3]) >= 0 for r in types)  # tui and rank for sampling


def test_repeats_within_a_concept_collapse_and_preferred_wins(tmp_path: Path) -> None:
    records: list[GraphRecord] = [
        Concept("C1", "one", ("T047",)),
        HasType("C1", "T047"),
        Term("C1", "one", "one", "MSH", "SY", False),
        Term("C1", "uno", "uno", "MSH", "SY", False),
        Term("C1", "one", "one", "MSH", "SY", True),
        Term("C2", "one", "one", "MSH", "SY", False),
    ]
    stats = export_admin_csv(records, tmp_path)
    _, rows = read_csv(tmp_path / "rels_has_term.csv")
    assert [r[:5] for r in rows] == [
        ["C1", "one", "MSH", "SY", "true"],
        ["C1", "uno", "MSH", "SY", "false"],
        ["C2", "one", "MSH", "SY", "false"],
    ]
    assert stats.rows["rels_has_type"] == 1
    assert stats.rows["rels_norm_of"] == 3  # (one, C1), (uno, C1), (one, C2)


def test_small_files_semantic_types_sources_and_schema_marker(exported: Path) -> None:
    _, semtypes = read_csv(exported / "nodes_semantic_type.csv")
    assert [r[0] for r in semtypes] == ["T033", "T047", "T121", "T191"]
    _, sources = read_csv(exported / "nodes_source.csv")
    assert {r[0]: r[1] for r in sources} == SOURCES
    _, meta = read_csv(exported / "nodes_meta.csv")
    assert ["schema", Q.SCHEMA_VERSION, "Meta"] in meta
    _, codes = read_csv(exported / "nodes_code.csv")
    assert sorted(r[0] for r in codes) == sorted(f"{db}:{code}" for _, db, code in XREFS)


def test_import_args_file_lists_every_file_and_the_merge_options(exported: Path) -> None:
    args = (exported / ARGS_FILE).read_text(encoding="utf-8").split()
    assert args == import_options()
    for stem in NODE_FILES:
        assert f"--nodes={stem}.csv" in args
    for stem in REL_FILES:
        assert f"--relationships={stem}.csv" in args
    assert "--skip-duplicate-nodes=true" in args
    assert "--skip-bad-relationships=true" in args
    assert not any(p.name.startswith(".export-") for p in exported.iterdir())


def test_self_loops_dropped_and_tuis_seen_only_on_has_type_kept(tmp_path: Path) -> None:
    records: list[GraphRecord] = [
        Concept("C1", "one"),
        Isa("C1", "C1", "MSH"),
        HasType("C1", "T999"),
        SemanticType("T047", "Disease or Syndrome", "DISO"),
    ]
    stats = export_admin_csv(records, tmp_path)
    assert stats.dropped == {"ISA (self loops)": 1}
    assert stats.rows["rels_isa"] == 0
    _, semtypes = read_csv(tmp_path / "nodes_semantic_type.csv")
    assert semtypes == [
        ["T047", "Disease or Syndrome", "DISO", "SemanticType"],
        ["T999", "", "", "SemanticType"],
    ]


def test_line_breaks_switch_on_multiline_fields(tmp_path: Path) -> None:
    stats = export_admin_csv([Concept("C1", "two\nlines")], tmp_path)
    assert stats.multiline_fields
    assert "--multiline-fields=true" in stats.command
    _, rows = read_csv(tmp_path / "nodes_concept.csv")
    assert rows[0][1] == "two\nlines"


def test_an_interrupted_export_leaves_no_files(tmp_path: Path) -> None:
    def broken() -> Iterator[GraphRecord]:
        yield Concept("C1", "one")
        yield Term("C1", "one", "one", "MSH", "PT", True)
        raise OSError("disk went away")

    with pytest.raises(OSError, match="disk went away"):
        export_admin_csv(broken(), tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


def test_bad_records_and_bad_out_dir_raise_graph_error(tmp_path: Path) -> None:
    with pytest.raises(GraphError, match="record 2: str is not a graph record"):
        export_admin_csv([Concept("C1", "x"), "C2|oops"], tmp_path / "a")  # type: ignore[list-item]
    with pytest.raises(GraphError, match="record 1: a Concept with an empty id"):
        export_admin_csv([Concept("", "x")], tmp_path / "b")
    file = tmp_path / "file.txt"
    file.write_text("x")
    with pytest.raises(GraphError, match="not a folder"):
        export_admin_csv([], file)


def test_cli_exports_a_synthetic_umls_release(tmp_path: Path) -> None:
    release = write_synthetic_rrf(tmp_path / "META", SyntheticRrfSpec.small(concepts=120))
    out = tmp_path / "csv"
    result = CliRunner().invoke(
        app,
        ["graph", "export-neo4j-csv", "--source", "umls", "--umls-dir", str(release.meta_dir),
         "--out", str(out), "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["rows"]["nodes_concept"] == 120
    _, concepts = read_csv(out / "nodes_concept.csv")
    assert len({r[0] for r in concepts}) == 120
    assert report["rows"]["rels_isa"] > 0
    assert report["command"][:4] == ["neo4j-admin", "database", "import", "full"]


def test_cli_exports_the_free_preset_from_real_data(tmp_path: Path, data_root: Path) -> None:
    out = tmp_path / "free-csv"
    result = CliRunner().invoke(
        app, ["graph", "export-neo4j-csv", "--source", "free", "--out", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["rows"]["nodes_concept"] > 20_000
    _, concepts = read_csv(out / "nodes_concept.csv")
    names = {r[0]: r[1] for r in concepts}
    assert names["D006973"] == "Hypertension"
    _, isa = read_csv(out / "rels_isa.csv")
    assert ("D006973", "D014652") in {(r[0], r[1]) for r in isa}  # Vascular Diseases
    assert ("D006974", "D006973") in {(r[0], r[1]) for r in isa}  # Hypertension, Malignant


def test_cli_rejects_umls_options_for_other_sources(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["graph", "export-neo4j-csv", "--source", "free", "--sab", "MSH", "--out", str(tmp_path)],
    )
    assert result.exit_code != 0
