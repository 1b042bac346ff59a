"""Cypher for the embedded (LadybugDB) store, grouped by query family.

Dialect specifics of LadybugDB live here and nowhere else: node/rel table DDL (one label per
table, a primary key per node table, no secondary indexes), ``COPY ... FROM`` with options, and
variable-length paths whose bounds must be literals.

Measured on this engine: a primary-key match plus one hop costs ~0.05 ms, while ``OPTIONAL
MATCH ... collect()`` tails, ``UNWIND $ids MATCH`` and ``WHERE x.id IN $ids`` scan and cost
1-60 ms. So every query starts from one primary key, a concept's semantic types are kept on the
node (``tuis``, sorted, comma-joined), and multi-id fetches are one PK query per id.

Values always travel as ``$parameters``; the only text spliced into a query is a table name from
:data:`NODE_TABLES`/:data:`REL_TABLES` or an integer validated by the caller.

Schema (version :data:`SCHEMA_VERSION`)::

    (:Concept {id, name, rk, tuis})  -[:ISA {source}]->  (:Concept)
    (:Concept) -[:HAS_TERM {text, source, tty, preferred}]-> (:Name {norm})
    (:Concept) -[:HAS_TYPE]-> (:SemanticType {tui, name, grp, n, bits})
    (:Concept) -[:IN_SLOT]-> (:TypeSlot {key = "TUI:slot"})  # slot = rk >> (32 - bits)
    (:Concept) -[:XREF]-> (:Code {key = "DB:code", db, code})
    (:Source {name, version}), (:Meta {key, value})         # Meta "schema" is written last
"""

from __future__ import annotations

from typing import Final

SCHEMA_VERSION: Final = "hilgen-embedded-6"

# --- schema -------------------------------------------------------------------------------------
NODE_TABLES: Final[dict[str, str]] = {
    "Meta": "CREATE NODE TABLE Meta(key STRING, value STRING, PRIMARY KEY(key))",
    "Source": "CREATE NODE TABLE Source(name STRING, version STRING, PRIMARY KEY(name))",
    "Concept": (
        "CREATE NODE TABLE Concept(id STRING, name STRING, rk INT64, tuis STRING, PRIMARY KEY(id))"
    ),
    "SemanticType": (
        "CREATE NODE TABLE SemanticType("
        "tui STRING, name STRING, grp STRING, n INT64, bits INT64, PRIMARY KEY(tui))"
    ),
    "TypeSlot": "CREATE NODE TABLE TypeSlot(key STRING, PRIMARY KEY(key))",
    "Name": "CREATE NODE TABLE Name(norm STRING, PRIMARY KEY(norm))",
    "Code": "CREATE NODE TABLE Code(key STRING, db STRING, code STRING, PRIMARY KEY(key))",
}
REL_TABLES: Final[dict[str, str]] = {
    "ISA": "CREATE REL TABLE ISA(FROM Concept TO Concept, source STRING)",
    "HAS_TERM": (
        "CREATE REL TABLE HAS_TERM(FROM Concept TO Name, text STRING, source STRING, "
        "tty STRING, preferred BOOLEAN)"
    ),
    "HAS_TYPE": "CREATE REL TABLE HAS_TYPE(FROM Concept TO SemanticType)",
    "IN_SLOT": "CREATE REL TABLE IN_SLOT(FROM Concept TO TypeSlot)",
    "XREF": "CREATE REL TABLE XREF(FROM Concept TO Code)",
}


def copy_from(table: str, path: str, *, ignore_errors: bool = False) -> str:
    """``COPY <table> FROM '<path>'``; the table must be one of the schema's tables.

    COPY takes no parameter for its file, so the path is quoted here: it is a path this package
    created itself (a temporary staging file), never user text.
    """
    if table not in NODE_TABLES and table not in REL_TABLES:
        raise ValueError(f"unknown table {table!r}")
    quoted = path.replace("\\", "\\\\").replace("'", "\\'")
    options = " (IGNORE_ERRORS=true)" if ignore_errors else ""
    return f"COPY {table} FROM '{quoted}'{options}"


# --- marker / meta ------------------------------------------------------------------------------
META_PUT: Final = "MERGE (m:Meta {key: $key}) SET m.value = $value"
META_GET: Final = "MATCH (m:Meta {key: $key}) RETURN m.value"
SOURCE_PUT: Final = "CREATE (:Source {name: $name, version: $version})"

# --- stats --------------------------------------------------------------------------------------
COUNT_CONCEPTS: Final = "MATCH (c:Concept) RETURN count(c)"
COUNT_TERMS: Final = "MATCH ()-[r:HAS_TERM]->() RETURN count(r)"
COUNT_ISA: Final = "MATCH ()-[r:ISA]->() RETURN count(r)"
COUNT_SEMANTIC_TYPES: Final = "MATCH (s:SemanticType) RETURN count(s)"
SOURCES: Final = "MATCH (s:Source) RETURN s.name, s.version ORDER BY s.name"

# --- concept family (every concept row is: id, name, tuis) --------------------------------------
CONCEPT: Final = "MATCH (x:Concept {id: $id}) RETURN x.id, x.name, x.tuis"
SEMANTIC_TYPE: Final = "MATCH (s:SemanticType {tui: $tui}) RETURN s.tui, s.name, s.grp"
TYPE_SIZE: Final = "MATCH (s:SemanticType {tui: $tui}) RETURN s.n, s.bits"

# --- synonyms family ----------------------------------------------------------------------------
SYNONYMS: Final = (
    "MATCH (:Concept {id: $id})-[r:HAS_TERM]->(n:Name) "
    "RETURN r.text, n.norm, r.source, r.tty, r.preferred"
)

# --- hierarchy family (ISA is child -> parent) --------------------------------------------------
# Rows may repeat (one per edge); the store de-duplicates, orders by id and applies limits in
# Python, which costs microseconds where DISTINCT/ORDER BY here cost ~1 ms.
PARENTS: Final = "MATCH (:Concept {id: $id})-[:ISA]->(x:Concept) RETURN x.id, x.name, x.tuis"
PARENTS_BY_SOURCE: Final = (
    "MATCH (:Concept {id: $id})-[r:ISA]->(x:Concept) WHERE r.source = $source "
    "RETURN x.id, x.name, x.tuis"
)
CHILDREN: Final = "MATCH (:Concept {id: $id})<-[:ISA]-(x:Concept) RETURN x.id, x.name, x.tuis"
CHILDREN_BY_SOURCE: Final = (
    "MATCH (:Concept {id: $id})<-[r:ISA]-(x:Concept) WHERE r.source = $source "
    "RETURN x.id, x.name, x.tuis"
)
SIBLINGS: Final = (
    "MATCH (:Concept {id: $id})-[:ISA]->(:Concept)<-[:ISA]-(x:Concept) WHERE x.id <> $id "
    "RETURN x.id, x.name, x.tuis"
)
SIBLINGS_BY_SOURCE: Final = (
    "MATCH (:Concept {id: $id})-[r1:ISA]->(:Concept)<-[r2:ISA]-(x:Concept) "
    "WHERE x.id <> $id AND r1.source = $source AND r2.source = $source "
    "RETURN x.id, x.name, x.tuis"
)


def ancestors(depth: int) -> str:
    """Ancestors within ``depth`` is-a hops, one row per path (path bounds must be literal)."""
    if not isinstance(depth, int) or isinstance(depth, bool) or not 1 <= depth <= 30:
        raise ValueError(f"depth must be an integer from 1 to 30, got {depth!r}")
    return (
        f"MATCH p = (:Concept {{id: $id}})-[:ISA*1..{depth}]->(x:Concept) "
        "RETURN x.id, x.name, x.tuis, length(p)"
    )


# --- neighbourhood edges ------------------------------------------------------------------------
UP_EDGES: Final = "MATCH (:Concept {id: $id})-[r:ISA]->(p:Concept) RETURN p.id, r.source"
DOWN_EDGES: Final = "MATCH (:Concept {id: $id})<-[r:ISA]-(k:Concept) RETURN k.id, r.source"

# --- semantic-type family -----------------------------------------------------------------------
TYPE_MEMBERS: Final = (
    "MATCH (:SemanticType {tui: $tui})<-[:HAS_TYPE]-(x:Concept) RETURN x.id, x.name, x.tuis, x.rk"
)
SLOT_MEMBERS: Final = (
    "MATCH (:TypeSlot {key: $key})<-[:IN_SLOT]-(x:Concept) RETURN x.id, x.name, x.tuis, x.rk"
)

# --- lookup family ------------------------------------------------------------------------------
# One primary-key lookup on the normalised form; the last column tells whether the term's text
# equals the text itself (exact matches win; the others count only when none is exact).
LOOKUP: Final = (
    "MATCH (:Name {norm: $key})<-[r:HAS_TERM]-(x:Concept) "
    "RETURN x.id, x.name, x.tuis, r.text = $text"
)

# --- cross-references ---------------------------------------------------------------------------
XREFS: Final = "MATCH (:Concept {id: $id})-[:XREF]->(k:Code) RETURN k.db, k.code"
BY_XREF: Final = "MATCH (:Code {key: $key})<-[:XREF]-(x:Concept) RETURN x.id, x.name, x.tuis"

# Every (concept id, normalised term) pair, for the approximate-match index.
TERM_COLUMNS: Final = (
    "MATCH (c:Concept)-[:HAS_TERM]->(n:Name) RETURN DISTINCT c.id AS cid, n.norm AS norm"
)
