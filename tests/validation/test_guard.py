from __future__ import annotations

from pathlib import Path

from hilgen_graph.corpus.load import load_corpus
from hilgen_graph.corpus.records import Sentence
from hilgen_graph.validation.guard import (
    EvalSets,
    Guard,
    GuardReason,
    LayerCounts,
    find_eval_splits,
    sentence_key,
)


def test_find_eval_splits_for_known_datasets(data_root: Path) -> None:
    ncbi = find_eval_splits(data_root / "ner/ncbi_disease/original/NCBItrainset_corpus.txt")
    assert ncbi["dev"].name == "NCBIdevelopset_corpus.txt"
    assert ncbi["test"].name == "NCBItestset_corpus.txt"
    conll = find_eval_splits(data_root / "ner/bc5cdr/iob/train.tsv")
    assert (conll["dev"].name, conll["test"].name) == ("devel.tsv", "test.tsv")
    assert find_eval_splits(data_root / "kb/mesh2024/README.txt") == {}


def test_leakage_duplicates_and_gold_copies(data_root: Path, ncbi_train: list[Sentence]) -> None:
    dev = load_corpus(data_root / "ner/ncbi_disease/original/NCBIdevelopset_corpus.txt")
    evals = EvalSets.from_sentences(dev.sentences, ["dev"])
    leaked = next(s for s in dev.sentences if s.entities)
    gold = ncbi_train[:3]
    guard = Guard(evals, gold)
    c = LayerCounts()
    assert not guard.admit(c, leaked.words, leaked.tags, "x")
    assert not guard.admit(c, gold[0].words, gold[0].tags, "x")
    fresh = ["A", "new", "sentence", "about", "renal", "hypertension", "."]
    tags = ["O", "O", "O", "O", "B-Disease", "I-Disease", "O"]
    assert guard.admit(c, fresh, tags, leaked.entities[0].text)
    assert not guard.admit(c, fresh, tags, "renal hypertension")
    assert c.made == 4 and c.kept == 1 and c.flagged_leakage == 1
    assert c.dropped == {
        GuardReason.LEAKAGE: 1,
        GuardReason.SAME_AS_GOLD: 1,
        GuardReason.DUPLICATE: 1,
    }
    assert c.entity_strings_in_eval == 1  # the dev entity string, counted but kept


def test_leaks_can_be_kept_but_are_flagged(ncbi_train: list[Sentence]) -> None:
    s = ncbi_train[10]
    evals = EvalSets.from_sentences([s])
    guard = Guard(evals, [], drop_leakage=False)
    c = LayerCounts()
    assert guard.admit(c, s.words, s.tags, "x")
    assert c.flagged_leakage == 1 and c.kept == 1 and not c.dropped


def test_sentence_key_ignores_tokenisation() -> None:
    assert sentence_key(["Parkinson", "'", "s", "disease"]) == sentence_key(["Parkinson's disease"])
