"""One k-shot sample for every stage: `corpus sample`, `augment kg`, `generate llm` and
`evaluate` take the same sentence ids from the same arguments (labels collapsed first), and the
evaluation refuses synthetic records whose seed sentence lies outside the run's sample."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.prompts.llmgen_fixtures import ncbi_train_path

from hilgen_graph.agents.generate import GenerateConfig, seed_sentences
from hilgen_graph.corpus.kshot import load_sample, sample_corpus, save_sample
from hilgen_graph.errors import ConfigError
from hilgen_graph.evaluation import data as datamod
from hilgen_graph.evaluation.config import EvalConfig
from hilgen_graph.evaluation.runner import check_config
from hilgen_graph.grounding.layers import parse_layers
from hilgen_graph.kg_arm.augment import KgConfig, KgRun, run_kg_arm

NCBI = "ner/ncbi_disease/original/NCBI{}set_corpus.txt"


def _eval_ids(data_root: Path, seed: int, tmp_path: Path) -> tuple[str, ...]:
    spec = {
        "name": "ncbi_disease",
        "collapse_to": "Disease",
        "train": str(data_root / NCBI.format("train")),
        "dev": str(data_root / NCBI.format("develop")),
        "test": str(data_root / NCBI.format("test")),
    }
    cfg = EvalConfig(name="t", datasets=[spec], k=5, seeds=[seed])
    prep = check_config(cfg)["ncbi_disease"]
    drawn = datamod.seed_sample(
        prep.train_pool,
        cfg.k,
        seed,
        cfg.sampling,
        collapse_to=prep.collapse_to,
        sample_file=tmp_path / f"eval-{seed}.json",
        corpus=prep.corpus,
    )
    return drawn.sentence_ids


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_stage_takes_the_same_collapsed_sample(
    seed: int, data_root: Path, free_store_path: Path, tmp_path: Path
) -> None:
    corpus = ncbi_train_path()
    reference = sample_corpus(corpus, k=5, seed=seed, collapse_to="Disease").sample
    # collapsed before sampling: one type, so the HILGEN scheme draws k sentences, not k per type
    assert len(reference.sentence_ids) == 5 and reference.collapse_to == "Disease"
    sample_file = tmp_path / "sample.json"
    save_sample(reference, sample_file)

    kg_from_args = run_kg_arm(
        KgRun(
            corpus,
            free_store_path,
            tmp_path / "kg.jsonl",
            k=5,
            seed=seed,
            collapse_to="Disease",
            auto_eval=False,
        ),
        KgConfig(layers=parse_layers("synonyms")),
    )
    kg_from_file = run_kg_arm(
        KgRun(
            corpus,
            free_store_path,
            tmp_path / "kg2.jsonl",
            sample_file=sample_file,
            auto_eval=False,
        ),
        KgConfig(layers=parse_layers("synonyms")),
    )
    llm_from_args = seed_sentences(
        GenerateConfig(
            corpus=corpus, out=tmp_path / "l.jsonl", k=5, seed=seed, collapse_to="Disease"
        )
    )
    llm_from_file = seed_sentences(
        GenerateConfig(corpus=corpus, out=tmp_path / "l.jsonl", sample_file=sample_file)
    )
    ids = reference.sentence_ids
    assert tuple(kg_from_args.sentence_ids) == ids == tuple(kg_from_file.sentence_ids)
    assert tuple(s.id for s in llm_from_args) == ids == tuple(s.id for s in llm_from_file)
    assert all(e.label == "Disease" for s in llm_from_file for e in s.entities)
    assert _eval_ids(data_root, seed, tmp_path) == ids
    assert load_sample(sample_file) == reference


def test_a_sample_file_refuses_another_collapse_or_corpus(data_root: Path, tmp_path: Path) -> None:
    corpus = ncbi_train_path()
    sample_file = tmp_path / "s.json"
    save_sample(sample_corpus(corpus, k=5, seed=1, collapse_to="Disease").sample, sample_file)
    with pytest.raises(ConfigError, match="collapse_to='Disease'"):
        sample_corpus(corpus, collapse_to="Entity", sample_file=sample_file)
    with pytest.raises(ConfigError, match="drawn from a corpus of"):
        sample_corpus(data_root / NCBI.format("develop"), sample_file=sample_file)
