"""One small real training run: the shipped MiniLM on a handful of real NCBI-disease sentences."""

from __future__ import annotations

from pathlib import Path

import pytest

from hilgen_graph.corpus.load import load_corpus
from hilgen_graph.evaluation.encoders import resolve_encoder
from hilgen_graph.evaluation.examples import TaggedSentence
from hilgen_graph.evaluation.labels import LabelSet
from hilgen_graph.evaluation.train import TrainSettings, train_tagger


def test_settings_step_rule() -> None:
    s = TrainSettings(batch_size=32, epochs=10, min_steps=30, max_steps=200)
    assert s.steps_for(5) == 30  # tiny sets get the minimum
    assert s.steps_for(320) == 100  # 10 epochs of 10 batches
    assert s.steps_for(10_000) == 200  # capped


@pytest.mark.slow
def test_real_minilm_trains_and_predicts_both_families(tiny_ncbi: dict[str, Path]) -> None:
    def load(split: str) -> list[TaggedSentence]:
        return [TaggedSentence.from_sentence(s) for s in load_corpus(tiny_ncbi[split]).sentences]

    train, dev, test = load("train")[:4], load("dev")[:4], load("test")[:6]
    labels = LabelSet.from_types(["Disease"])
    settings = TrainSettings(lr=1e-4, batch_size=4, min_steps=2, max_steps=2, eval_points=1)
    tagger = train_tagger(
        train,
        dev,
        labels,
        resolve_encoder("minilm"),
        settings,
        seed=1,
        families=("linear", "nnshot"),
    )
    assert tagger.steps == 2 and tagger.train_sentence_passes == 8
    assert tagger.model.config.id2label == {0: "O", 1: "B-Disease", 2: "I-Disease"}
    preds, timing = tagger.predict([s.words for s in test])
    for fam in ("linear", "nnshot"):
        assert [len(p) for p in preds[fam]] == [len(s.words) for s in test]
        assert set(preds[fam][0]) <= set(labels.labels)
    assert timing["nnshot_support_tokens"] == sum(len(s.words) for s in train)
    assert tagger.missing_support_labels == []
    # fixed seed: the same run gives the same predictions
    again = train_tagger(
        train, dev, labels, resolve_encoder("minilm"), settings, seed=1, families=("linear",)
    )
    assert again.predict([s.words for s in test])[0]["linear"] == preds["linear"]
