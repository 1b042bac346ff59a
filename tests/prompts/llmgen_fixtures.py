"""Shared helpers of the LLM-arm tests (prompts, agents, CLI): the real ``free`` graph store
(MeSH 2024 + Disease Ontology + Semantic Network from the data directory), built once per test
process, and real NCBI-disease seed sentences.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
from functools import lru_cache
from pathlib import Path

from hilgen_graph.corpus.load import load_corpus
from hilgen_graph.corpus.records import Sentence
from hilgen_graph.settings import data_dir

_lock = threading.Lock()
_store_path: Path | None = None

NCBI_TRAIN = Path("ner/ncbi_disease/original/NCBItrainset_corpus.txt")
NCBI_DEV = Path("ner/ncbi_disease/original/NCBIdevelopset_corpus.txt")
NCBI_LABELS = ("CompositeMention", "DiseaseClass", "Modifier", "SpecificDisease")
#: "However, only half of those who were homozygous had clinical features of hemochromatosis, ..."
HEMOCHROMATOSIS_SEED = "10471457:15"


def free_store_path() -> Path:
    """An embedded store of the ``free`` preset, built on first use and removed at exit."""
    global _store_path
    with _lock:
        if _store_path is None:
            from hilgen_graph.graph.backends import build_free_store

            tmp = Path(tempfile.mkdtemp(prefix="hilgen-llmgen-kg-"))
            atexit.register(shutil.rmtree, tmp, True)
            build_free_store(tmp / "store")
            _store_path = tmp / "store"
        return _store_path


def ncbi_train_path() -> Path:
    return data_dir() / NCBI_TRAIN


@lru_cache(maxsize=1)
def ncbi_sentences() -> dict[str, Sentence]:
    return {s.id: s for s in load_corpus(ncbi_train_path()).sentences}


def ncbi_sentence(sentence_id: str) -> Sentence:
    return ncbi_sentences()[sentence_id]
