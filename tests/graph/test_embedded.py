"""The embedded store's own guarantees: bulk path, version marker, atomic loads, bad input."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import ladybug
import pytest
from tests.graph.fixture_graph import CONCEPTS, fixture_records

from hilgen_graph.errors import GraphError
from hilgen_graph.graph import bulk
from hilgen_graph.graph import embedded_queries as Q
from hilgen_graph.graph.embedded import EmbeddedStore
from hilgen_graph.graph.normalize import normalize
from hilgen_graph.graph.records import Concept, GraphRecord, Isa, SemanticType, SourceInfo, Term


def build(path: Path, records: list[GraphRecord]) -> bulk.LoadReport:
    writer = EmbeddedStore(path, read_only=False)
    try:
        return writer.load_with_report(records)
    finally:
        writer.close()


def answers(store: EmbeddedStore) -> dict[str, object]:
    """Every query family over every fixture concept (to compare two stores)."""
    out: dict[str, object] = {"stats": store.stats()}
    for cid in CONCEPTS:
        out[cid] = (
            store.concept(cid),
            store.synonyms(cid),
            store.parents(cid),
            store.children(cid),
            store.siblings(cid),
            store.ancestors(cid, 3),
            store.same_semantic_type(cid, 5, seed=2),
            sorted(store.neighbourhood(cid, 2).edges(data=True)),
            store.xrefs(cid),
        )
    return out


def test_spilled_buckets_give_the_same_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With tiny chunks every table spills to bucketed Parquet; answers must not change."""
    build(tmp_path / "memory", fixture_records())
    monkeypatch.setattr(bulk, "CHUNK_ROWS", 3)
    monkeypatch.setattr(bulk, "_CHECK_EVERY", 4)
    report = build(tmp_path / "spilled", fixture_records())
    assert report.dropped == {"ISA": 1}
    with EmbeddedStore(tmp_path / "memory") as a, EmbeddedStore(tmp_path / "spilled") as b:
        assert answers(a) == answers(b)


def test_many_readers_share_a_store(tmp_path: Path) -> None:
    build(tmp_path / "kg", fixture_records())
    with EmbeddedStore(tmp_path / "kg") as one, EmbeddedStore(tmp_path / "kg") as two:
        assert one.concept("C003") == two.concept("C003")


def test_missing_store_says_how_to_load(tmp_path: Path) -> None:
    with pytest.raises(GraphError, match="graph.lbug is missing.*hilgen graph load"):
        EmbeddedStore(tmp_path / "nowhere")


def _set_marker(path: Path, value: str | None) -> None:
    db = ladybug.Database(str(path / bulk.DB_FILE))
    conn = ladybug.Connection(db)
    if value is None:
        conn.execute("MATCH (m:Meta {key: 'schema'}) DELETE m")
    else:
        conn.execute(Q.META_PUT, {"key": "schema", "value": value})
    conn.close()
    db.close()


def test_store_of_another_version_is_refused(tmp_path: Path) -> None:
    build(tmp_path / "kg", fixture_records())
    _set_marker(tmp_path / "kg", "hilgen-embedded-0")
    with pytest.raises(GraphError, match="hilgen-embedded-0.*how to fix: rebuild it"):
        EmbeddedStore(tmp_path / "kg")


def test_store_without_marker_never_reads_as_complete(tmp_path: Path) -> None:
    build(tmp_path / "kg", fixture_records())
    _set_marker(tmp_path / "kg", None)
    with pytest.raises(GraphError, match="no schema marker"):
        EmbeddedStore(tmp_path / "kg")


def test_a_reload_replaces_the_content(tmp_path: Path) -> None:
    build(tmp_path / "kg", fixture_records())
    build(tmp_path / "kg", [Concept("X1", "Only one")])
    with EmbeddedStore(tmp_path / "kg") as store:
        assert store.stats().concepts == 1
        assert store.concept("C003") is None


def _failing_stream(after: int) -> Iterator[GraphRecord]:
    for i, rec in enumerate(fixture_records()):
        if i == after:
            raise GraphError("simulated bad row", path="MRCONSO.RRF", line=42)
        yield rec


def test_a_failed_load_keeps_the_previous_store(tmp_path: Path) -> None:
    build(tmp_path / "kg", fixture_records())
    writer = EmbeddedStore(tmp_path / "kg", read_only=False)
    with pytest.raises(GraphError, match="MRCONSO.RRF:42"):
        writer.load(_failing_stream(after=20))
    writer.close()
    with EmbeddedStore(tmp_path / "kg") as store:
        assert store.stats().concepts == len(CONCEPTS)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kg"]  # no build folder left


def test_a_failed_first_load_leaves_nothing(tmp_path: Path) -> None:
    writer = EmbeddedStore(tmp_path / "kg", read_only=False)
    with pytest.raises(GraphError):
        writer.load(_failing_stream(after=5))
    assert list(tmp_path.iterdir()) == []


def test_a_stale_build_folder_is_cleaned_and_never_read(tmp_path: Path) -> None:
    stale = tmp_path / ".kg.loading-999999999"  # a process id that cannot be alive
    stale.mkdir()
    (stale / "graph.lbug").write_bytes(b"half")
    build(tmp_path / "kg", fixture_records())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kg"]


def test_refuses_to_replace_a_folder_that_is_not_a_store(tmp_path: Path) -> None:
    target = tmp_path / "docs"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    with pytest.raises(GraphError, match="not a hilgen graph store; refusing"):
        build(target, fixture_records())
    assert (target / "notes.txt").read_text() == "mine"


def test_read_only_store_cannot_load(tmp_path: Path) -> None:
    build(tmp_path / "kg", fixture_records())
    with (
        EmbeddedStore(tmp_path / "kg") as store,
        pytest.raises(GraphError, match="read-only"),
    ):
        store.load([])


def test_a_record_of_another_type_is_refused(tmp_path: Path) -> None:
    with pytest.raises(GraphError, match="record 2: str is not a graph record"):
        build(tmp_path / "kg", [Concept("X1", "x"), "not a record"])  # type: ignore[list-item]


def test_empty_concept_id_is_refused(tmp_path: Path) -> None:
    with pytest.raises(GraphError, match="empty id"):
        build(tmp_path / "kg", [Concept("", "nameless")])


def test_terms_without_a_normal_form_and_self_loops(tmp_path: Path) -> None:
    records: list[GraphRecord] = [
        Concept("X1", "!!!"),
        Term("X1", "!!!", normalize("!!!"), "SRC", "PT", True),
        Term("X1", "Plain", "plain", "SRC", "SY", False),
        Isa("X1", "X1", "SRC"),
    ]
    report = build(tmp_path / "kg", records)
    assert report.dropped == {"ISA (self loops)": 1}
    with EmbeddedStore(tmp_path / "kg") as store:
        assert [c.id for c in store.lookup("!!!")] == ["X1"]
        assert store.lookup("???") == []
        assert [(t.text, t.normalized) for t in store.synonyms("X1")] == [
            ("!!!", ""),
            ("Plain", "plain"),
        ]
        assert store.parents("X1") == []


def test_a_stream_without_concepts_never_replaces_a_store(tmp_path: Path) -> None:
    """An empty or truncated source (a zero-byte MRCONSO) must not wipe the store it replaces."""
    with pytest.raises(GraphError, match="no concepts"):
        build(tmp_path / "new", [])
    assert list(tmp_path.iterdir()) == []
    build(tmp_path / "kg", fixture_records())
    with pytest.raises(GraphError, match="no concepts.*nothing was loaded"):
        build(tmp_path / "kg", [SourceInfo("X", "1")])
    with EmbeddedStore(tmp_path / "kg") as store:
        assert store.stats().concepts == len(CONCEPTS)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kg"]
    # the Semantic Network alone (a registered source) has types and no concepts: it loads
    report = build(tmp_path / "types", [SemanticType("T047", "Disease or Syndrome", "DISO")])
    assert report.stats.semantic_types == 1 and report.stats.concepts == 0


def test_same_type_sampling_through_slots_matches_the_rule(tmp_path: Path) -> None:
    """Types larger than the fetch-all threshold are read slot window by slot window."""
    from hilgen_graph.graph.records import HasType
    from hilgen_graph.graph.store import sample_key, sample_offset

    types: dict[str, set[str]] = {}
    records: list[GraphRecord] = []
    for i in range(3000):
        cid = f"X{i:05d}"
        tuis = ["T047"] if i % 10 else ["T047", "T191"]
        if i % 7 == 0:
            tuis = ["T191"]
        if i < 40:
            tuis = ["T999"]  # a small type: fetched whole
        records.append(Concept(cid, f"name {i}"))
        records += [HasType(cid, t) for t in tuis]
        types[cid] = set(tuis)
    build(tmp_path / "kg", records)
    with EmbeddedStore(tmp_path / "kg") as store:
        for cid in ("X00003", "X00007", "X00010", "X00020", "X02999", "X00005"):
            candidates = [o for o in types if o != cid and types[o] & types[cid]]
            for seed in (0, 1, 2):
                offset = sample_offset(seed, cid)
                expected = sorted(candidates, key=lambda o: sample_key(o, offset))
                for limit in (1, 10, 300):
                    got = [c.id for c in store.same_semantic_type(cid, limit, seed=seed)]
                    assert got == expected[:limit], (cid, seed, limit)
