"""The evaluation's side of the one sample: it rereads or draws each seed's sample file, and
refuses synthetic records made from gold sentences outside that sample (a leak)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hilgen_graph.corpus.records import Entity, Sentence, Token
from hilgen_graph.errors import EvaluationError
from hilgen_graph.evaluation import data as datamod
from hilgen_graph.synthetic import Provenance, SyntheticRecord


def _sentence(i: int) -> Sentence:
    toks = (Token("Asthma", 0, 6), Token("worsens", 7, 14), Token(".", 14, 15))
    ent = Entity(0, 6, "Asthma", "Disease", token_start=0, token_end=1)
    return Sentence(f"doc:{i}", "doc", "Asthma worsens.", toks, (ent,))


def _record(seed_id: str) -> SyntheticRecord:
    return SyntheticRecord(
        id=f"kg-{seed_id}",
        text="Wheezing worsens .",
        tokens=["Wheezing", "worsens", "."],
        tags=["B-Disease", "O", "O"],
        provenance=Provenance(arm="llm", seed_sentence_id=seed_id, layer="synonyms"),
    )


def test_records_from_outside_the_sample_are_refused(tmp_path: Path) -> None:
    pool = [_sentence(i) for i in range(30)]
    drawn = datamod.seed_sample(
        pool, 5, 1, "hilgen", collapse_to=None, sample_file=tmp_path / "sample.json"
    )
    inside = drawn.sentence_ids[0]
    outside = next(s.id for s in pool if s.id not in drawn.sentence_ids)
    datamod.check_seed_sentences([_record(inside)], drawn, "llm.jsonl")  # fine
    with pytest.raises(EvaluationError, match="not in this run's k-shot sample") as err:
        datamod.check_seed_sentences([_record(inside), _record(outside)], drawn, "llm.jsonl")
    assert outside in str(err.value) and "record 2" in str(err.value)
    # the saved sample is reread, not drawn again
    again = datamod.seed_sample(
        pool, 5, 99, "hilgen", collapse_to=None, sample_file=tmp_path / "sample.json"
    )
    assert again == drawn


def test_kg_labels_limit_the_substituted_labels(
    tmp_path_factory: pytest.TempPathFactory, data_root: Path
) -> None:
    """``kg.labels: [Disease]`` on BC5CDR: every KG record replaced a disease, none a chemical."""
    from tests.graph.free_store import session_free_store

    from hilgen_graph.corpus.kshot import draw_sample
    from hilgen_graph.corpus.load import load_corpus
    from hilgen_graph.evaluation.config import KGConfig

    store = session_free_store(tmp_path_factory)
    pool = load_corpus(data_root / "ner/bc5cdr/pubtator/CDR_TrainingSet.PubTator.txt").sentences
    ids = set(draw_sample(pool, 5, 1, "hilgen").sentence_ids)
    sample = [s for s in pool if s.id in ids]
    labels = {}
    for only in ([], ["Disease"]):
        kg = KGConfig(graph=str(store), layers=["synonyms", "siblings"], labels=only)
        records = datamod.kg_synthetic(sample, kg, seed=1)
        labels[bool(only)] = {
            r.provenance.replaced_entity.label for r in records if r.provenance.replaced_entity
        }
    assert labels[False] == {"Chemical", "Disease"}
    assert labels[True] == {"Disease"}
