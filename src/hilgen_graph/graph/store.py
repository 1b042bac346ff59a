"""The ``GraphStore`` protocol: one contract for the embedded store and the Neo4j store.

All list-returning queries return results in a deterministic order (by concept id unless stated),
so that both backends give identical answers on the same data.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, runtime_checkable

import networkx as nx

from hilgen_graph.graph.records import Concept, GraphRecord, GraphStats, SemanticType, Term


@runtime_checkable
class GraphStore(Protocol):
    # --- writing -------------------------------------------------------------------------------
    def load(self, records: Iterable[GraphRecord]) -> GraphStats:
        """Load a stream of records (replacing the store's content); return the final stats."""
        ...

    # --- reading -------------------------------------------------------------------------------
    def concept(self, concept_id: str) -> Concept | None: ...

    def synonyms(self, concept_id: str) -> list[Term]:
        """Every term of the concept (preferred first, then by text)."""
        ...

    def semantic_type(self, tui: str) -> SemanticType | None: ...

    def same_semantic_type(self, concept_id: str, limit: int = 10, seed: int = 0) -> list[Concept]:
        """A seeded, deterministic sample of other concepts sharing a semantic type."""
        ...

    def parents(self, concept_id: str, source: str | None = None) -> list[Concept]: ...

    def children(self, concept_id: str, source: str | None = None) -> list[Concept]: ...

    def siblings(
        self, concept_id: str, source: str | None = None, limit: int | None = None
    ) -> list[Concept]:
        """Other children of the concept's parents, the concept itself excluded."""
        ...

    def ancestors(self, concept_id: str, depth: int = 2) -> list[Concept]: ...

    def lookup(self, text: str) -> list[Concept]:
        """Concepts with a term equal to ``text``; if none, with the same normalised form."""
        ...

    def neighbourhood(self, concept_id: str, depth: int = 1, limit: int = 200) -> nx.DiGraph:
        """The k-hop is-a neighbourhood: nodes carry ``name``/``semantic_types``, edges ``source``."""
        ...

    def stats(self) -> GraphStats: ...

    def close(self) -> None: ...
