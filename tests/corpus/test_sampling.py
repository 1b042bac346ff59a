from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from hilgen_graph.corpus import load_corpus
from hilgen_graph.corpus.kshot import draw_sample, load_sample, save_sample
from hilgen_graph.corpus.records import Sentence
from hilgen_graph.corpus.sampling import sample_kshot, select
from hilgen_graph.datasets import dataset_path
from hilgen_graph.errors import ConfigError, CorpusFormatError, DataMissingError


@cache
def _bc5_train() -> tuple[Sentence, ...]:
    return tuple(load_corpus(dataset_path("bc5cdr", "train", "pubtator")).sentences)


@cache
def _ncbi_fine() -> tuple[Sentence, ...]:
    return tuple(load_corpus(dataset_path("ncbi_disease", "train", "pubtator")).sentences)


@pytest.mark.parametrize("scheme", ["hilgen", "greedy"])
def test_same_seed_same_ids_other_seed_other_ids(scheme: str) -> None:
    sents = _bc5_train()
    a = sample_kshot(sents, 5, 1, scheme=scheme)
    assert a == sample_kshot(list(sents), 5, 1, scheme=scheme)
    assert a != sample_kshot(sents, 5, 2, scheme=scheme)
    assert len(set(a)) == len(a)
    order = {s.id: i for i, s in enumerate(sents)}
    assert a == sorted(a, key=order.__getitem__)  # corpus order


def test_hilgen_draws_k_sentences_per_type_and_takes_the_union() -> None:
    sents = _ncbi_fine()
    for k in (1, 5, 10):
        ids = sample_kshot(sents, k, seed=3, scheme="hilgen")
        chosen = select(sents, ids)
        per_type = Counter(lab for s in chosen for lab in {e.label for e in s.entities})
        labels = {"SpecificDisease", "DiseaseClass", "Modifier", "CompositeMention"}
        assert set(per_type) == labels
        assert all(per_type[lab] >= k for lab in labels)
        assert len(ids) <= 4 * k
        assert all(s.entities for s in chosen)


def test_greedy_gives_every_type_at_least_k_mentions() -> None:
    sents = _ncbi_fine()
    for seed in (1, 2, 3):
        ids = sample_kshot(sents, 5, seed, scheme="greedy")
        mentions = Counter(e.label for s in select(sents, ids) for e in s.entities)
        assert set(mentions) == {"SpecificDisease", "DiseaseClass", "Modifier", "CompositeMention"}
        assert min(mentions.values()) >= 5
        # Each added sentence brings at least one mention of the type being filled, so no type
        # ever adds more than k sentences.
        assert len(ids) <= 4 * 5


def test_small_pool_takes_what_exists() -> None:
    s = Sentence("a:0", "a", "x", (), ())
    assert sample_kshot([s], 5, 1) == []


def test_bad_arguments() -> None:
    sents = list(_bc5_train()[:20])
    with pytest.raises(ConfigError, match="positive"):
        sample_kshot(sents, 0, 1)
    with pytest.raises(ConfigError, match="allowed: hilgen, greedy"):
        sample_kshot(sents, 5, 1, scheme="random")
    with pytest.raises(ConfigError, match="unique"):
        sample_kshot(sents + sents[:1], 5, 1)


def test_save_and_load_reproduce_the_sample(tmp_path: Path) -> None:
    sents = _bc5_train()
    ids = sample_kshot(sents, 5, 1)
    drawn = draw_sample(sents, 5, 1, corpus="CDR_TrainingSet.PubTator.txt")
    assert list(drawn.sentence_ids) == ids and drawn.pool == len(sents)
    path = tmp_path / "sample.json"
    save_sample(drawn, path)
    assert load_sample(path) == drawn
    assert [s.id for s in select(sents, load_sample(path).sentence_ids)] == ids
    with pytest.raises(DataMissingError, match="not in the corpus"):
        select(sents, ["nope:0"])


def test_load_sample_rejects_bad_files(tmp_path: Path) -> None:
    p = tmp_path / "s.json"
    p.write_text('{"ids": []}', encoding="utf-8")
    with pytest.raises(CorpusFormatError, match="sample file"):
        load_sample(p)
    p.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(CorpusFormatError, match="JSON list of strings"):
        load_sample(p)
    p.write_text("[1, 2", encoding="utf-8")
    with pytest.raises(CorpusFormatError, match="not a JSON"):
        load_sample(p)
    with pytest.raises(DataMissingError):
        load_sample(tmp_path / "missing.json")


def test_a_bare_id_list_still_reads_as_a_sample(tmp_path: Path) -> None:
    p = tmp_path / "old.json"
    p.write_text('["a:0", "b:3"]', encoding="utf-8")
    sample = load_sample(p)
    assert sample.sentence_ids == ("a:0", "b:3") and sample.k == 0


def test_collapse_happens_before_sampling_and_is_checked() -> None:
    sents = _bc5_train()
    with pytest.raises(ConfigError, match="collapse before sampling"):
        draw_sample(sents, 5, 1, collapse_to="Entity")
