"""Cypher for the Neo4j store, grouped by query family.

Neo4j dialect specifics live here and nowhere else: constraints and indexes (``CREATE
CONSTRAINT ... IF NOT EXISTS``), ``CALL { ... } IN TRANSACTIONS`` for large deletes, ``SHORTEST``
path patterns, relationship property indexes, and variable-length bounds that must be literals.

Values always travel as ``$parameters``. The only text spliced into a query is a label or
relationship type from :data:`LABELS`/:data:`REL_TYPES` or an integer validated here.

The schema mirrors the embedded store's (see :mod:`hilgen_graph.graph.embedded_queries`), so both
answer every query of the contract identically. Version :data:`SCHEMA_VERSION`::

    (:Concept {id, name, rk})  -[:ISA {source}]->  (:Concept)
    (:Concept) -[:HAS_TERM {source, tty, preferred}]-> (:Text {text, norm})
    (:Name {norm}) -[:NORM_OF]-> (:Concept)
    (:Concept) -[:HAS_TYPE {tui, rk}]-> (:SemanticType {tui, name, grp})
    (:Concept) -[:XREF]-> (:Code {key = "DB:code", db, code})
    (:Source {name, version}), (:Meta {key, value})   # Meta "schema" is written last

``rk`` is the concept's sampling rank (:func:`hilgen_graph.graph.store.sample_rank`); it is copied
onto ``HAS_TYPE`` so that a composite relationship index on ``(tui, rk)`` serves the seeded
same-type sample without reading every member of a large semantic type.

During a load, a relationship whose end concept has not been streamed yet creates a *stub*
``Concept`` (no ``name``); stubs that never receive a Concept record are deleted with their
relationships at the end, which drops dangling rows exactly as the embedded loader does.
"""

from __future__ import annotations

from typing import Final

SCHEMA_VERSION: Final = "hilgen-neo4j-1"

LABELS: Final = frozenset({"Meta", "Source", "Concept", "SemanticType", "Text", "Name", "Code"})
REL_TYPES: Final = frozenset({"ISA", "HAS_TERM", "NORM_OF", "HAS_TYPE", "XREF"})


def _label(label: str) -> str:
    if label not in LABELS:
        raise ValueError(f"label {label!r} is not one of {sorted(LABELS)}")
    return label


def _rel_type(rel_type: str) -> str:
    if rel_type not in REL_TYPES:
        raise ValueError(f"relationship type {rel_type!r} is not one of {sorted(REL_TYPES)}")
    return rel_type


def _depth(depth: int) -> int:
    if not isinstance(depth, int) or isinstance(depth, bool) or not 1 <= depth <= 30:
        raise ValueError(f"depth must be an integer from 1 to 30, got {depth!r}")
    return depth


# --- schema: constraints first (they also index), then plain indexes ----------------------------
CONSTRAINTS: Final[tuple[str, ...]] = (
    "CREATE CONSTRAINT hilgen_meta_key IF NOT EXISTS FOR (m:Meta) REQUIRE m.key IS UNIQUE",
    "CREATE CONSTRAINT hilgen_source_name IF NOT EXISTS FOR (s:Source) REQUIRE s.name IS UNIQUE",
    "CREATE CONSTRAINT hilgen_concept_id IF NOT EXISTS FOR (c:Concept) REQUIRE c.id IS UNIQUE",
    "CREATE CONSTRAINT hilgen_semantic_type_tui IF NOT EXISTS "
    "FOR (s:SemanticType) REQUIRE s.tui IS UNIQUE",
    "CREATE CONSTRAINT hilgen_text_text IF NOT EXISTS FOR (t:Text) REQUIRE t.text IS UNIQUE",
    "CREATE CONSTRAINT hilgen_name_norm IF NOT EXISTS FOR (n:Name) REQUIRE n.norm IS UNIQUE",
    "CREATE CONSTRAINT hilgen_code_key IF NOT EXISTS FOR (k:Code) REQUIRE k.key IS UNIQUE",
)
INDEXES: Final[tuple[str, ...]] = (
    "CREATE INDEX hilgen_has_type_sample IF NOT EXISTS FOR ()-[r:HAS_TYPE]-() ON (r.tui, r.rk)",
)
AWAIT_INDEXES: Final = "CALL db.awaitIndexes(600)"


# --- clearing: only this schema's labels, in batches (auto-commit transactions) -----------------
def delete_label(label: str, batch: int = 10_000) -> str:
    """Detach-delete every node of one whitelisted label, ``batch`` nodes per transaction."""
    if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
        raise ValueError(f"batch must be a positive integer, got {batch!r}")
    return (
        f"MATCH (n:{_label(label)}) CALL (n) {{ DETACH DELETE n }} IN TRANSACTIONS OF {batch} ROWS"
    )


DELETE_STUBS: Final = (
    "MATCH (c:Concept) WHERE c.name IS NULL "
    "CALL (c) { DETACH DELETE c } IN TRANSACTIONS OF 10000 ROWS"
)
STUB_RELATIONSHIPS: Final = (
    "MATCH (c:Concept) WHERE c.name IS NULL "
    "MATCH (c)-[r]-() RETURN type(r) AS type, count(DISTINCT r) AS n"
)

# --- after an offline import: collapse repeated relationships (the importer keeps them all) -----
# Each runs per start node, in batches; HAS_TERM keeps "preferred if any copy is".
DEDUPE_RELATIONSHIPS: Final[tuple[str, ...]] = (
    "MATCH (c:Concept) CALL (c) { "
    "MATCH (c)-[r:ISA]->(p:Concept) WITH p, r.source AS s, collect(r) AS rs WHERE size(rs) > 1 "
    "UNWIND rs[1..] AS extra DELETE extra } IN TRANSACTIONS OF 10000 ROWS",
    "MATCH (c:Concept) CALL (c) { "
    "MATCH (c)-[r:HAS_TERM]->(t:Text) WITH t, r.source AS s, r.tty AS y, collect(r) AS rs "
    "WHERE size(rs) > 1 "
    "WITH rs[0] AS keep, rs[1..] AS extras, any(x IN rs WHERE x.preferred) AS pref "
    "SET keep.preferred = pref WITH extras UNWIND extras AS extra DELETE extra "
    "} IN TRANSACTIONS OF 10000 ROWS",
    "MATCH (c:Concept) CALL (c) { "
    "MATCH (c)-[r:HAS_TYPE]->(t:SemanticType) WITH t, collect(r) AS rs WHERE size(rs) > 1 "
    "UNWIND rs[1..] AS extra DELETE extra } IN TRANSACTIONS OF 10000 ROWS",
    "MATCH (c:Concept) CALL (c) { "
    "MATCH (c)-[r:XREF]->(k:Code) WITH k, collect(r) AS rs WHERE size(rs) > 1 "
    "UNWIND rs[1..] AS extra DELETE extra } IN TRANSACTIONS OF 10000 ROWS",
    "MATCH (c:Concept) CALL (c) { "
    "MATCH (c)<-[r:NORM_OF]-(n:Name) WITH n, collect(r) AS rs WHERE size(rs) > 1 "
    "UNWIND rs[1..] AS extra DELETE extra } IN TRANSACTIONS OF 10000 ROWS",
)

# --- marker / meta ------------------------------------------------------------------------------
META_PUT: Final = "MERGE (m:Meta {key: $key}) SET m.value = $value"
META_GET: Final = "MATCH (m:Meta {key: $key}) RETURN m.value"
META_DELETE: Final = "MATCH (m:Meta {key: $key}) DELETE m"

# --- batched writes: UNWIND $rows, one transaction per batch ------------------------------------
WRITE_CONCEPTS: Final = (
    "UNWIND $rows AS row "
    "MERGE (c:Concept {id: row.id}) "
    "SET c.name = coalesce(c.name, row.name), c.rk = row.rk"
)
WRITE_TERMS: Final = (
    "UNWIND $rows AS row "
    "MERGE (c:Concept {id: row.cid}) "
    "MERGE (t:Text {text: row.text}) ON CREATE SET t.norm = row.norm "
    "MERGE (c)-[r:HAS_TERM {source: row.source, tty: row.tty}]->(t) "
    "SET r.preferred = coalesce(r.preferred, false) OR row.preferred "
    "FOREACH (_ IN CASE WHEN row.norm <> '' THEN [1] ELSE [] END | "
    "  MERGE (n:Name {norm: row.norm}) MERGE (n)-[:NORM_OF]->(c))"
)
WRITE_HAS_TYPES: Final = (
    "UNWIND $rows AS row "
    "MERGE (c:Concept {id: row.cid}) "
    "MERGE (t:SemanticType {tui: row.tui}) "
    "MERGE (c)-[r:HAS_TYPE]->(t) ON CREATE SET r.tui = row.tui, r.rk = row.rk"
)
WRITE_SEMANTIC_TYPES: Final = (
    "UNWIND $rows AS row "
    "MERGE (t:SemanticType {tui: row.tui}) "
    "SET t += CASE WHEN t.name IS NULL THEN {name: row.name, grp: row.grp} ELSE {} END"
)
WRITE_ISA: Final = (
    "UNWIND $rows AS row "
    "MERGE (c:Concept {id: row.child}) "
    "MERGE (p:Concept {id: row.parent}) "
    "MERGE (c)-[:ISA {source: row.source}]->(p)"
)
WRITE_XREFS: Final = (
    "UNWIND $rows AS row "
    "MERGE (k:Code {key: row.key}) ON CREATE SET k.db = row.db, k.code = row.code "
    "MERGE (c:Concept {id: row.cid}) "
    "MERGE (c)-[:XREF]->(k)"
)
WRITE_SOURCES: Final = (
    "UNWIND $rows AS row MERGE (s:Source {name: row.name}) SET s.version = row.version"
)


# --- stats --------------------------------------------------------------------------------------
def count_nodes(label: str) -> str:
    return f"MATCH (n:{_label(label)}) RETURN count(n)"


def count_relationships(rel_type: str) -> str:
    return f"MATCH ()-[r:{_rel_type(rel_type)}]->() RETURN count(r)"


SOURCES: Final = "MATCH (s:Source) RETURN s.name, s.version ORDER BY s.name"

# --- concept family -----------------------------------------------------------------------------
# Every concept-returning query ends with the same tail: id, name, semantic types (sorted by the
# caller), ordered by id.
_CONCEPT_TAIL: Final = (
    "OPTIONAL MATCH (x)-[:HAS_TYPE]->(t:SemanticType) "
    "WITH x, collect(DISTINCT t.tui) AS tuis "
    "RETURN x.id, x.name, tuis ORDER BY x.id"
)
CONCEPT: Final = "MATCH (x:Concept {id: $id}) " + _CONCEPT_TAIL
CONCEPTS_BY_IDS: Final = "UNWIND $ids AS i MATCH (x:Concept {id: i}) " + _CONCEPT_TAIL
SEMANTIC_TYPE: Final = "MATCH (s:SemanticType {tui: $tui}) RETURN s.tui, s.name, s.grp"

# --- synonyms family ----------------------------------------------------------------------------
SYNONYMS: Final = (
    "MATCH (:Concept {id: $id})-[r:HAS_TERM]->(t:Text) "
    "RETURN t.text, t.norm, r.source, r.tty, r.preferred"
)

# --- hierarchy family (ISA is child -> parent) --------------------------------------------------
PARENTS: Final = (
    "MATCH (:Concept {id: $id})-[:ISA]->(p:Concept) WITH DISTINCT p AS x " + _CONCEPT_TAIL
)
PARENTS_BY_SOURCE: Final = (
    "MATCH (:Concept {id: $id})-[r:ISA]->(p:Concept) WHERE r.source = $source "
    "WITH DISTINCT p AS x " + _CONCEPT_TAIL
)
CHILDREN: Final = (
    "MATCH (:Concept {id: $id})<-[:ISA]-(k:Concept) WITH DISTINCT k AS x " + _CONCEPT_TAIL
)
CHILDREN_BY_SOURCE: Final = (
    "MATCH (:Concept {id: $id})<-[r:ISA]-(k:Concept) WHERE r.source = $source "
    "WITH DISTINCT k AS x " + _CONCEPT_TAIL
)
SIBLINGS: Final = (
    "MATCH (:Concept {id: $id})-[:ISA]->(:Concept)<-[:ISA]-(s:Concept) WHERE s.id <> $id "
    "WITH DISTINCT s AS x ORDER BY x.id LIMIT $limit " + _CONCEPT_TAIL
)
SIBLINGS_BY_SOURCE: Final = (
    "MATCH (:Concept {id: $id})-[r1:ISA]->(:Concept)<-[r2:ISA]-(s:Concept) "
    "WHERE s.id <> $id AND r1.source = $source AND r2.source = $source "
    "WITH DISTINCT s AS x ORDER BY x.id LIMIT $limit " + _CONCEPT_TAIL
)


def ancestors(depth: int) -> str:
    """Ancestors within ``depth`` is-a hops with their hop distance (bounds must be literal)."""
    return (
        f"MATCH p = SHORTEST 1 (:Concept {{id: $id}})-[:ISA]->{{1,{_depth(depth)}}}(a:Concept) "
        "WHERE a.id <> $id RETURN a.id, length(p)"
    )


# --- neighbourhood edges ------------------------------------------------------------------------
UP_EDGES: Final = (
    "MATCH (:Concept {id: $id})-[r:ISA]->(p:Concept) RETURN p.id, r.source ORDER BY p.id, r.source"
)
DOWN_EDGES: Final = (
    "MATCH (:Concept {id: $id})<-[r:ISA]-(k:Concept) RETURN k.id, r.source ORDER BY k.id, r.source"
)

# --- semantic-type family -----------------------------------------------------------------------
CONCEPT_TYPES: Final = "MATCH (:Concept {id: $id})-[:HAS_TYPE]->(t:SemanticType) RETURN t.tui"
# Members of one type in sampling order from ``$offset`` on (``rk >= $offset``), then the wrap
# (``rk < $offset``): ordered by the index's own (tui, rk) and without a label filter, so that
# the relationship index provides the order and the LIMIT stops the seek after ``$n`` rows (a
# ``Top`` over every member otherwise); rows tied on the last ``rk`` come from TYPE_MEMBERS_AT,
# so that the caller orders ties by id exactly. HAS_TYPE only ever starts at a Concept.
TYPE_MEMBERS_FROM: Final = (
    "MATCH (o)-[r:HAS_TYPE]->() WHERE r.tui = $tui AND r.rk >= $offset "
    "RETURN o.id, r.rk ORDER BY r.tui, r.rk LIMIT $n"
)
TYPE_MEMBERS_BEFORE: Final = (
    "MATCH (o)-[r:HAS_TYPE]->() WHERE r.tui = $tui AND r.rk < $offset "
    "RETURN o.id, r.rk ORDER BY r.tui, r.rk LIMIT $n"
)
TYPE_MEMBERS_AT: Final = (
    "MATCH (o)-[r:HAS_TYPE]->() WHERE r.tui = $tui AND r.rk = $rk RETURN o.id, r.rk"
)

# --- lookup family ------------------------------------------------------------------------------
LOOKUP_EXACT: Final = (
    "MATCH (:Text {text: $text})<-[:HAS_TERM]-(c:Concept) WITH DISTINCT c AS x " + _CONCEPT_TAIL
)
LOOKUP_NORMALIZED: Final = (
    "MATCH (:Name {norm: $norm})-[:NORM_OF]->(c:Concept) WITH DISTINCT c AS x " + _CONCEPT_TAIL
)

# --- cross-references ---------------------------------------------------------------------------
XREFS: Final = (
    "MATCH (:Concept {id: $id})-[:XREF]->(k:Code) RETURN k.db, k.code ORDER BY k.db, k.code"
)
BY_XREF: Final = (
    "MATCH (:Code {key: $key})<-[:XREF]-(c:Concept) WITH DISTINCT c AS x " + _CONCEPT_TAIL
)

# Every (concept id, normalised term) pair, for the approximate-match index.
TERM_COLUMNS: Final = (
    "MATCH (c:Concept)-[:HAS_TERM]->(t:Text) WHERE t.norm <> '' "
    "RETURN DISTINCT c.id AS cid, t.norm AS norm"
)
