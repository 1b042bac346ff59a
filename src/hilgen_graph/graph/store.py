"""The ``GraphStore`` protocol: one contract for the embedded store and the Neo4j store.

All list-returning queries return results in a deterministic order (by concept id unless stated),
so that both backends give identical answers on the same data.

Rules every backend follows exactly:

- ``synonyms``: preferred terms first, then by (text, source, term_type); one Term per distinct
  (text, source, term_type), ``is_preferred`` true if any copy was preferred.
- ``parents``/``children``/``siblings``/``lookup``: distinct concepts ordered by id. ``siblings``
  applies ``limit`` (None = no cap) after ordering by id; with ``source`` both is-a edges (to the
  shared parent and from the sibling) must carry that source.
- ``ancestors(id, depth)``: distinct concepts within 1..depth is-a hops (self excluded), ordered
  by (fewest hops, id).
- ``same_semantic_type(id, limit, seed)``: candidates are the distinct other concepts sharing at
  least one semantic type with ``id``; they are ordered by
  ``((sample_rank(c.id) - sample_offset(seed, id)) mod 2**32, c.id)`` and the first ``limit``
  are returned (a seeded, uniform-looking sample that any backend can reproduce exactly).
- ``neighbourhood(id, depth, limit)``: breadth-first over is-a edges in both directions from
  ``id``; each layer's new nodes are taken in id order until ``limit`` nodes are in the graph;
  edges child -> parent between kept nodes, attribute ``source`` = the edge sources sorted and
  joined by ``","``; nodes carry ``name`` and ``semantic_types`` (a sorted tuple of TUIs).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Protocol, runtime_checkable

import networkx as nx
import pyarrow as pa

from hilgen_graph.graph.records import Concept, GraphRecord, GraphStats, SemanticType, Term

SAMPLE_MODULUS = 2**32


def sample_rank(concept_id: str) -> int:
    """A concept's fixed pseudo-random rank in [0, 2**32): blake2b-32 of its id (UTF-8)."""
    return int.from_bytes(hashlib.blake2b(concept_id.encode("utf-8"), digest_size=4).digest())


def sample_offset(seed: int, concept_id: str) -> int:
    """Where the seeded sample for ``concept_id`` starts: blake2b-32 of ``f"{seed}:{id}"``."""
    key = f"{seed}:{concept_id}".encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=4).digest())


def sample_key(candidate_id: str, offset: int) -> tuple[int, str]:
    """Sort key of a candidate in a seeded same-type sample (see the module docstring)."""
    return ((sample_rank(candidate_id) - offset) % SAMPLE_MODULUS, candidate_id)


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

    def by_xref(self, db: str, code: str) -> list[Concept]:
        """Concepts carrying the cross-reference ``db:code`` (e.g. ``OMIM:601665``), by id."""
        ...

    def term_columns(self) -> tuple[pa.Array, pa.Array]:
        """(concept ids, normalised term texts) of every distinct (concept, normalised term)
        pair, in one pass; the approximate-match index is built from it."""
        ...

    def fingerprint(self) -> str | None:
        """A key that changes whenever the store's content may have changed (for caches of
        derived data such as the term index); ``None`` when the backend cannot tell."""
        ...

    def neighbourhood(self, concept_id: str, depth: int = 1, limit: int = 200) -> nx.DiGraph:
        """The k-hop is-a neighbourhood; nodes carry name and semantic_types, edges source."""
        ...

    def stats(self) -> GraphStats: ...

    def close(self) -> None: ...
