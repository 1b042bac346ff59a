"""Fixtures for the knowledge-graph arm: the session's ``free`` store, its term index, a small
store built from the graph contract fixture, and real NCBI-disease sentences."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from seqeval.scheme import IOB2, Tokens
from tests.graph.free_store import session_free_store
from tests.support.small_graph import small_records

from hilgen_graph.corpus.load import load_corpus
from hilgen_graph.corpus.records import Sentence
from hilgen_graph.graph.embedded import EmbeddedStore
from hilgen_graph.graph.store import GraphStore
from hilgen_graph.grounding.store_index import term_columns
from hilgen_graph.grounding.term_index import TermIndex

NCBI_TRAIN = "ner/ncbi_disease/original/NCBItrainset_corpus.txt"
BC5CDR_TRAIN = "ner/bc5cdr/pubtator/CDR_TrainingSet.PubTator.txt"


def assert_valid_iob2(tags: list[str]) -> None:
    """Strict IOB2 (seqeval): every prefix allowed and every tagged token inside an entity."""
    tokens = Tokens(tags, scheme=IOB2)
    for tok in tokens.tokens:
        tok.is_valid()
    covered = sum(e.end - e.start for e in tokens.entities)
    tagged = sum(t != "O" for t in tags)
    assert covered == tagged, f"tags are not valid strict IOB2: {tags}"


@pytest.fixture(scope="session")
def free_store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return session_free_store(tmp_path_factory)


@pytest.fixture(scope="session")
def free_store(free_store_path: Path) -> Iterator[GraphStore]:
    store = EmbeddedStore(free_store_path)
    try:
        yield store
    finally:
        store.close()


@pytest.fixture(scope="session")
def free_index(free_store: GraphStore) -> TermIndex:
    cids, norms = term_columns(free_store)
    return TermIndex.build(cids, norms)


@pytest.fixture(scope="session")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GraphStore]:
    """The hand-made graph of ``small_graph.py``."""
    path = tmp_path_factory.mktemp("expansion-small") / "store"
    writer = EmbeddedStore(path, read_only=False)
    writer.load(small_records())
    writer.close()
    store = EmbeddedStore(path)
    try:
        yield store
    finally:
        store.close()


@pytest.fixture(scope="session")
def ncbi_train(data_root: Path) -> list[Sentence]:
    return load_corpus(data_root / NCBI_TRAIN, "pubtator", collapse_to="Disease").sentences


@pytest.fixture(scope="session")
def flat_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GraphStore]:
    """The same graph without any is-a edge."""
    path = tmp_path_factory.mktemp("expansion-flat") / "store"
    writer = EmbeddedStore(path, read_only=False)
    writer.load(small_records(with_isa=False))
    writer.close()
    store = EmbeddedStore(path)
    try:
        yield store
    finally:
        store.close()
