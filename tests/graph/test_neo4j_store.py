"""Neo4j store specifics, on the real Neo4j 5.26 started by the fixtures.

The shared contract (identical answers with the embedded store) is ``test_contract.py``; here:
error translation, the schema marker and interrupted loads, the query whitelist, identical
answers on a synthetic UMLS release, and the admin-import CSV path through the real importer.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import pytest
from tests.graph.fixture_graph import CONCEPTS, fixture_records
from tests.support.neo4j_server import admin_import, start_neo4j

from hilgen_graph.errors import GraphError
from hilgen_graph.graph import neo4j_queries as Q
from hilgen_graph.graph.embedded import EmbeddedStore
from hilgen_graph.graph.neo4j_export import export_admin_csv
from hilgen_graph.graph.neo4j_store import Neo4jStore
from hilgen_graph.graph.records import Concept, GraphRecord, Term
from hilgen_graph.graph.store import GraphStore
from hilgen_graph.graph_loader.sources import open_source
from hilgen_graph.testing.synthetic_rrf import SyntheticRrfSpec, cui, write_synthetic_rrf


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def answers(store: GraphStore, ids: list[str], names: list[str]) -> list[object]:
    """Every query family's answer for each id, in a comparable form."""
    out: list[object] = [store.stats()]
    for cid in ids:
        out += [
            store.concept(cid),
            store.synonyms(cid),
            store.parents(cid),
            store.children(cid),
            store.siblings(cid),
            store.siblings(cid, limit=3),
            store.ancestors(cid, 3),
            [store.same_semantic_type(cid, k, seed) for k in (1, 5, 10) for seed in (0, 3)],
            nx.node_link_data(store.neighbourhood(cid, 2, 25)),
        ]
        for source in ("MSH", "SNOMEDCT_US"):
            out += [store.parents(cid, source), store.children(cid, source)]
            out.append(store.siblings(cid, source))
    out += [store.lookup(n) for n in names]
    out += [store.lookup(n.upper()) for n in names]  # normalised fallback
    return out


# --- no server needed ---------------------------------------------------------------------------
def test_only_whitelisted_labels_and_types_reach_a_query() -> None:
    assert Q.count_nodes("Concept") == "MATCH (n:Concept) RETURN count(n)"
    with pytest.raises(ValueError, match="not one of"):
        Q.count_nodes("Concept) DETACH DELETE (n")
    with pytest.raises(ValueError, match="not one of"):
        Q.count_relationships("KNOWS")
    with pytest.raises(ValueError, match="not one of"):
        Q.delete_label("User")
    with pytest.raises(ValueError, match="depth must be an integer"):
        Q.ancestors(0)


def test_unreachable_server_is_a_retryable_graph_error() -> None:
    uri = f"bolt://127.0.0.1:{_free_port()}"
    with pytest.raises(GraphError) as info:
        Neo4jStore(uri)
    assert info.value.retryable
    assert uri in str(info.value)
    assert "how to fix" in str(info.value)


def test_bad_address_is_a_graph_error() -> None:
    with pytest.raises(GraphError, match="invalid Neo4j address"):
        Neo4jStore("http://127.0.0.1:7474")


# --- on the real server -------------------------------------------------------------------------
@pytest.mark.neo4j
def test_load_reports_drops_and_reads_back(scratch_neo4j: Neo4jStore) -> None:
    report = scratch_neo4j.load_with_report(fixture_records())
    assert report.dropped == {"ISA": 1}  # C999 -> C001: C999 never arrives
    assert report.records == len(fixture_records())
    assert scratch_neo4j.stats() == report.stats
    assert report.stats.concepts == len(CONCEPTS)
    assert scratch_neo4j.concept("C008") == Concept("C008", "MATCH (n) DETACH DELETE n", ("T191",))
    assert scratch_neo4j.xrefs("C003")[0].db == "SNOMEDCT_US"
    assert [c.id for c in scratch_neo4j.by_xref("UMLS", "C0020538")] == ["C003"]


@pytest.mark.neo4j
def test_interrupted_load_never_reads_as_complete(scratch_neo4j: Neo4jStore) -> None:
    def broken() -> Iterator[GraphRecord]:
        yield from fixture_records()[:30]
        raise RuntimeError("source died")

    with pytest.raises(RuntimeError, match="source died"):
        scratch_neo4j.load(broken())
    reader = Neo4jStore(scratch_neo4j.uri)
    try:
        with pytest.raises(GraphError, match="no schema marker"):
            reader.concept("C001")
        with pytest.raises(GraphError, match="hilgen graph load"):
            reader.stats()
    finally:
        reader.close()


@pytest.mark.neo4j
def test_other_schema_version_is_refused(scratch_neo4j: Neo4jStore) -> None:
    scratch_neo4j.load(fixture_records())
    scratch_neo4j._run(Q.META_PUT, {"key": "schema", "value": "hilgen-neo4j-0"})
    reader = Neo4jStore(scratch_neo4j.uri)
    try:
        with pytest.raises(GraphError, match="schema 'hilgen-neo4j-0'"):
            reader.synonyms("C003")
    finally:
        reader.close()


@pytest.mark.neo4j
def test_load_leaves_foreign_labels_alone(scratch_neo4j: Neo4jStore) -> None:
    scratch_neo4j._run("CREATE (:UserData {note: 'keep me'})")
    scratch_neo4j.load([Concept("C1", "one"), Term("C1", "one", "one", "MSH", "PT", True)])
    kept = scratch_neo4j._raw_rows("MATCH (u:UserData) RETURN u.note")
    scratch_neo4j._run("MATCH (u:UserData) DELETE u")
    assert kept == [["keep me"]]
    assert scratch_neo4j.stats().concepts == 1


@pytest.mark.neo4j
def test_same_answers_as_embedded_on_a_synthetic_umls_release(
    scratch_neo4j: Neo4jStore, tmp_path: Path
) -> None:
    release = write_synthetic_rrf(tmp_path / "META", SyntheticRrfSpec.small(concepts=300, seed=5))
    scratch_neo4j.batch_size = 97  # many batches: relationships often arrive before concepts
    report = scratch_neo4j.load_with_report(open_source("umls", umls_dir=release.meta_dir))
    writer = EmbeddedStore(tmp_path / "embedded", read_only=False)
    writer.load(open_source("umls", umls_dir=release.meta_dir))
    writer.close()
    embedded = EmbeddedStore(tmp_path / "embedded")
    try:
        ids = [cui(i) for i in range(0, 300, 7)]
        names = [c.preferred_name for c in (embedded.concept(i) for i in ids) if c]
        assert report.stats.concepts == 300
        assert answers(scratch_neo4j, ids, names) == answers(embedded, ids, names)
    finally:
        embedded.close()


@pytest.mark.neo4j
@pytest.mark.slow
def test_admin_import_of_the_export_gives_the_same_answers(tmp_path: Path) -> None:
    """export_admin_csv -> the real neo4j-admin import -> Neo4jStore == the embedded store."""
    records = fixture_records()
    export = export_admin_csv(records, tmp_path / "csv")
    admin_import(tmp_path / "csv", list(export.command[4:-1]), tmp_path / "imported")
    server = start_neo4j(tmp_path / "server", copy_from=tmp_path / "imported")
    writer = EmbeddedStore(tmp_path / "embedded", read_only=False)
    writer.load(records)
    writer.close()
    embedded = EmbeddedStore(tmp_path / "embedded")
    try:
        store = Neo4jStore(server.uri)
        try:
            store.finish_import()
            ids = sorted(CONCEPTS)
            names = [name for name, _ in CONCEPTS.values()]
            assert answers(store, ids, names) == answers(embedded, ids, names)
        finally:
            store.close()
    finally:
        embedded.close()
        server.stop()


@pytest.mark.neo4j
def test_cli_load_and_related_on_neo4j_match_embedded(
    scratch_neo4j: Neo4jStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from hilgen_graph.cli import app

    release = write_synthetic_rrf(tmp_path / "META", SyntheticRrfSpec.small(concepts=80, seed=2))
    meta = str(release.meta_dir)
    runner = CliRunner()
    monkeypatch.setenv("NEO4J_URI", scratch_neo4j.uri)  # --uri from the environment
    loaded = runner.invoke(
        app, ["graph", "load", "--source", "umls", "--umls-dir", meta, "--backend", "neo4j"]
    )
    assert loaded.exit_code == 0, loaded.output
    store = str(tmp_path / "kg")
    loaded = runner.invoke(app, ["graph", "load", "--source", "umls", "--umls-dir", meta,
                                 "--store", store])  # fmt: skip
    assert loaded.exit_code == 0, loaded.output
    for layer in ("parents", "children", "siblings", "synonyms", "semantic_type"):
        args = ["graph", "related", cui(40), "--layer", layer, "--json"]
        on_neo4j = runner.invoke(app, [*args, "--backend", "neo4j"])
        embedded = runner.invoke(app, [*args, "--store", store])
        assert on_neo4j.exit_code == 0, on_neo4j.output
        assert on_neo4j.stdout == embedded.stdout
    stats = runner.invoke(app, ["graph", "stats", "--backend", "neo4j", "--json"])
    assert stats.exit_code == 0, stats.output
    assert stats.stdout == runner.invoke(app, ["graph", "stats", "--store", store, "--json"]).stdout
