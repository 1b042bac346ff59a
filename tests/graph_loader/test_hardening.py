"""Knowledge-source files as they come: BOM, bad bytes at a known line, huge fields, empty
files, an empty first CUI, and a release without MRREL; the same graph on both UMLS paths."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tests.graph_loader.stream_contract import RRF_FIXTURES

from hilgen_graph.errors import GraphError
from hilgen_graph.graph.embedded import EmbeddedStore
from hilgen_graph.graph.records import Concept, TableBlock
from hilgen_graph.graph_loader.mesh import MeshSource
from hilgen_graph.graph_loader.obo import OboSource
from hilgen_graph.graph_loader.semantic_network import load_semantic_network
from hilgen_graph.graph_loader.umls import UmlsSource

DIRECTION = RRF_FIXTURES / "direction"
BOM = b"\xef\xbb\xbf"


def _release(tmp_path: Path, **changed: bytes) -> Path:
    folder = tmp_path / "META"
    shutil.copytree(DIRECTION, folder)
    for name, data in changed.items():
        (folder / name.replace("_", ".")).write_bytes(data)
    return folder


def _concept_ids(records: object) -> set[str]:
    ids: set[str] = set()
    for rec in records:  # type: ignore[attr-defined]
        if isinstance(rec, Concept):
            ids.add(rec.id)
        elif isinstance(rec, TableBlock) and rec.table_name == "concept":
            ids.update(rec.table.column("id").to_pylist())
    return ids


def test_a_bom_gives_the_same_concepts_on_the_streaming_and_columnar_paths(
    tmp_path: Path,
) -> None:
    """The Neo4j load streams, the embedded load reads columns: one graph, no '\\ufeffC...'."""
    data = (DIRECTION / "MRCONSO.RRF").read_bytes()
    meta = _release(tmp_path, MRCONSO_RRF=BOM + data.replace(b"\n", b"\r\n"))
    plain = _concept_ids(UmlsSource(DIRECTION, semantic_network=False))
    streamed = _concept_ids(UmlsSource(meta, semantic_network=False))
    columnar = _concept_ids(UmlsSource(meta, semantic_network=False).columnar_records())
    assert streamed == columnar == plain
    assert not any(c.startswith("\ufeff") for c in streamed)


def test_a_bad_byte_names_its_own_line(tmp_path: Path) -> None:
    lines = (DIRECTION / "MRCONSO.RRF").read_bytes().splitlines(keepends=True)
    lines[6] = lines[6].replace(b"|ENG|", b"|EN\xff|")
    meta = _release(tmp_path, MRCONSO_RRF=b"".join(lines))
    for stream in (UmlsSource(meta), UmlsSource(meta).columnar_records()):
        with pytest.raises(GraphError) as info:
            list(stream)
        assert info.value.line == 7 and info.value.path == str(meta / "MRCONSO.RRF")
        assert "not UTF-8" in str(info.value) and "0xff" in str(info.value)


@pytest.mark.parametrize("name", ["MRCONSO.RRF", "MRSTY.RRF", "MRSAB.RRF", "MRREL.RRF"])
def test_a_zero_byte_file_is_an_error_and_keeps_the_existing_store(
    tmp_path: Path, name: str
) -> None:
    store = tmp_path / "kg"
    writer = EmbeddedStore(store, read_only=False)
    writer.load(UmlsSource(DIRECTION))
    writer.close()
    meta = _release(tmp_path, **{name.replace(".", "_"): b""})
    with pytest.raises(GraphError, match=f"{name} is empty"):
        writer = EmbeddedStore(store, read_only=False)
        try:
            writer.load(UmlsSource(meta))
        finally:
            writer.close()
    with EmbeddedStore(store) as kept:
        assert kept.concept("C0000001") is not None


def test_an_empty_first_cui_is_reported(tmp_path: Path) -> None:
    lines = (DIRECTION / "MRCONSO.RRF").read_bytes().splitlines(keepends=True)
    lines[0] = lines[0][lines[0].index(b"|") :]
    meta = _release(tmp_path, MRCONSO_RRF=b"".join(lines))
    for stream in (UmlsSource(meta), UmlsSource(meta).columnar_records()):
        with pytest.raises(GraphError, match="empty CUI") as info:
            list(stream)
        assert info.value.line == 1
    skipping = UmlsSource(meta, skip_bad_rows=True)
    ids = _concept_ids(skipping)
    assert "" not in ids and "C0000001" in ids
    assert [s.line for s in skipping.skipped] == [1]


def test_a_release_without_mrrel_names_options_that_exist(tmp_path: Path) -> None:
    meta = _release(tmp_path)
    (meta / "MRREL.RRF").unlink()
    with pytest.raises(GraphError) as info:
        UmlsSource(meta)
    message = str(info.value)
    assert "no MRREL.RRF" in message and "UmlsSource(hierarchy='mrhier')" in message
    assert "--hierarchy" not in message  # `hilgen graph load` has no such option
    assert _concept_ids(UmlsSource(meta, hierarchy="none"))


def _mesh(tmp_path: Path, data_root: Path, n: int = 40) -> Path:
    folder = tmp_path / "mesh"
    folder.mkdir()
    src = data_root / "kb" / "mesh2024"
    for name in ("mesh2024_descriptor_terms.tsv", "mesh2024_tree_numbers.tsv"):
        lines = (src / name).read_bytes().splitlines(keepends=True)[:n]
        (folder / name).write_bytes(b"".join(lines))
    return folder


def test_mesh_reads_a_field_larger_than_csvs_limit(tmp_path: Path, data_root: Path) -> None:
    folder = _mesh(tmp_path, data_root)
    terms = folder / "mesh2024_descriptor_terms.tsv"
    lines = terms.read_bytes().splitlines(keepends=True)
    cols = lines[3].rstrip(b"\n").split(b"\t")
    cols[4] = b"z" * 300_000
    lines[3] = b"\t".join(cols) + b"\n"
    terms.write_bytes(BOM + b"".join(lines))
    texts = {getattr(r, "text", None) for r in MeshSource(folder)}
    assert "z" * 300_000 in texts


def test_mesh_bad_byte_and_stray_tab_name_their_line(tmp_path: Path, data_root: Path) -> None:
    folder = _mesh(tmp_path, data_root)
    trees = folder / "mesh2024_tree_numbers.tsv"
    lines = trees.read_bytes().splitlines(keepends=True)
    good = list(lines)
    lines[9] = lines[9].replace(b"\t", b"\t\xe9", 1)
    trees.write_bytes(b"".join(lines))
    with pytest.raises(GraphError) as info:
        list(MeshSource(folder))
    assert (info.value.path, info.value.line) == (str(trees), 10)
    good[12] = good[12].replace(b"Anatomy", b"Anat\tomy", 1)
    trees.write_bytes(b"".join(good))
    with pytest.raises(GraphError, match="tab-separated fields") as info:
        list(MeshSource(folder))
    assert info.value.line == 13


def test_semantic_network_huge_definition_and_bad_byte(tmp_path: Path, data_root: Path) -> None:
    src = data_root / "kb" / "umls_semantic_network"
    folder = tmp_path / "sn"
    folder.mkdir()
    shutil.copy(src / "sty_2025AA.obo", folder)
    lines = (src / "sty_2025AA.tsv").read_bytes().splitlines(keepends=True)
    cols = lines[5].rstrip(b"\n").split(b"\t")
    cols[2] = b"d" * 300_000
    lines[5] = b"\t".join(cols) + b"\n"
    (folder / "sty_2025AA.tsv").write_bytes(b"".join(lines))
    assert load_semantic_network(folder) == load_semantic_network(src)
    lines[40] = b"\x80" + lines[40]
    (folder / "sty_2025AA.tsv").write_bytes(b"".join(lines))
    with pytest.raises(GraphError) as info:
        load_semantic_network(folder)
    assert info.value.line == 41


def test_obo_bad_byte_and_empty_file(tmp_path: Path) -> None:
    obo = tmp_path / "x.obo"
    obo.write_bytes(b"format-version: 1.2\n\n[Term]\nid: X:1\nname: caf\xe9\n")
    with pytest.raises(GraphError) as info:
        list(OboSource(obo, "X"))
    assert info.value.line == 5
    obo.write_bytes(b"")
    with pytest.raises(GraphError, match="no \\[Term\\] stanzas"):
        list(OboSource(obo, "X"))
