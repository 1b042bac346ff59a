"""The query families that the store benchmarks time, over the same random concept ids."""

from __future__ import annotations

import random
from collections.abc import Callable

from hilgen_graph.graph.store import GraphStore


def query_families(
    store: GraphStore, concepts: int, n_queries: int, cui: Callable[[int], str]
) -> dict[str, Callable[[int], object]]:
    """One callable per query family; call ``f(i)`` for the i-th of ``n_queries`` random ids."""
    rng = random.Random(0)
    ids = [cui(rng.randrange(concepts)) for _ in range(n_queries)]
    names = []
    for cid in ids:
        c = store.concept(cid)
        names.append(c.preferred_name if c else cid)
    return {
        "concept": lambda i: store.concept(ids[i]),
        "synonyms": lambda i: store.synonyms(ids[i]),
        "same_semantic_type(10)": lambda i: store.same_semantic_type(ids[i], 10, seed=i),
        "parents": lambda i: store.parents(ids[i]),
        "children": lambda i: store.children(ids[i]),
        "siblings(10)": lambda i: store.siblings(ids[i], limit=10),
        "siblings(all)": lambda i: store.siblings(ids[i]),
        "ancestors(2)": lambda i: store.ancestors(ids[i], 2),
        "lookup(name)": lambda i: store.lookup(names[i]),
        "neighbourhood(1,50)": lambda i: store.neighbourhood(ids[i], 1, 50),
    }
