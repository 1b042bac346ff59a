"""Graph records, the ``GraphStore`` protocol and its backends (embedded LadybugDB, Neo4j)."""

from hilgen_graph.graph.records import (
    Concept,
    GraphRecord,
    GraphStats,
    HasType,
    Isa,
    SemanticType,
    SourceInfo,
    Term,
    Xref,
)
from hilgen_graph.graph.store import GraphStore

__all__ = [
    "Concept",
    "GraphRecord",
    "GraphStats",
    "GraphStore",
    "HasType",
    "Isa",
    "SemanticType",
    "SourceInfo",
    "Term",
    "Xref",
]
