"""The generation pipeline with a fake grounded model: files, provenance, resume and cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage
from tests.prompts.llmgen_fixtures import fake_arguments, ncbi_train_path

from hilgen_graph.agents.generate import GenerateConfig, find_heldout, generate_llm
from hilgen_graph.agents.schemas import GeneratedBatch
from hilgen_graph.errors import ConfigError, GenerationError
from hilgen_graph.graph.store import GraphStore
from hilgen_graph.llm.cache import LangChainDiskCache
from hilgen_graph.settings import data_dir
from hilgen_graph.synthetic import read_synthetic
from hilgen_graph.testing.fake_chat import LatencyChatModel, openai_error, tool_call_reply
from hilgen_graph.validation.funnel import Rejection
from hilgen_graph.validation.report import check_file


def grounded_reply(prompt: str, _n: int) -> AIMessage:
    """A fake grounded LLM: puts each listed concept in place of the seed mention."""
    args = fake_arguments(prompt, "GeneratedBatch")
    return tool_call_reply(GeneratedBatch, GeneratedBatch.model_validate(args))


def config(out: Path, **kw: object) -> GenerateConfig:
    base: dict[str, object] = dict(
        corpus=ncbi_train_path(),
        out=out,
        prompts=("grounded-parents-children", "grounded-siblings"),
        k=5,
        seed=1,
        per_seed=2,
        model="fake-grounded",
        max_seeds=4,
        cache=False,
        concurrency=2,
    )
    base.update(kw)
    return GenerateConfig(**base)  # type: ignore[arg-type]


def test_generate_writes_records_rejections_and_meta(store: GraphStore, tmp_path: Path) -> None:
    out = tmp_path / "synth.jsonl"
    model = LatencyChatModel(latency=0.0, reply=grounded_reply)
    seen: list[tuple[int, int]] = []
    summary = generate_llm(
        config(out), store, model=model, progress=lambda d, t: seen.append((d, t))
    )
    assert summary.seeds == 4
    assert summary.requests + sum(summary.skipped.values()) == 4 * 2
    assert model.calls == summary.requests == summary.calls
    assert summary.candidates == 2 * summary.requests
    assert summary.accepted + sum(summary.rejected.values()) == summary.candidates
    assert summary.accepted > 0
    assert seen[-1] == (summary.requests, summary.requests)
    records = list(read_synthetic(out))
    assert len(records) == summary.accepted
    for rec in records:
        assert rec.provenance.arm == "llm" and rec.provenance.llm is not None
        assert rec.provenance.llm.prompt_name in ("grounded-parents-children", "grounded-siblings")
        assert rec.provenance.llm.model == "fake-grounded"
        assert rec.provenance.related_concept_id in rec.provenance.llm.intended_concept_ids
        assert rec.provenance.layer in ("parents", "children", "siblings")
        assert len(rec.tokens) == len(rec.tags)
    rejections = [
        Rejection.model_validate_json(line)
        for line in summary.rejected_out.read_text(encoding="utf-8").splitlines()
    ]
    assert len(rejections) == sum(summary.rejected.values())
    assert all(r.raw_output for r in rejections)
    meta = json.loads(summary.meta_out.read_text(encoding="utf-8"))
    assert meta["accepted"] == summary.accepted
    assert any("NCBIdevelopset" in p for p in meta["heldout_paths"])
    report = check_file(out, store)
    assert report.total == summary.candidates and report.accepted == summary.accepted
    # the fake grounded model always names a listed concept: every new entity is intended
    assert report.grounding.entities >= summary.accepted > 0
    assert report.grounding.entity_share == 1.0


def marked_reply(prompt: str, _n: int) -> AIMessage:
    """A fake marked model: rewrites the seed with the new name in double brackets."""
    return tool_call_reply("MarkedBatch", fake_arguments(prompt, "MarkedBatch"))


def test_a_collapsed_sample_file_sets_the_labels_seed_and_heldout_check(
    store: GraphStore, tmp_path: Path
) -> None:
    """`generate llm --sample S.json` where S.json was drawn collapsed to Disease from the
    uncollapsed corpus: the run labels with Disease (not the corpus's four fine types, which
    once rejected every sentence at the parse stage) and takes the sample's seed."""
    from hilgen_graph.corpus.kshot import sample_corpus, save_sample

    sample_file = tmp_path / "s.json"
    drawn = sample_corpus(ncbi_train_path(), k=5, seed=3, collapse_to="Disease").sample
    save_sample(drawn, sample_file)
    out = tmp_path / "marked.jsonl"
    cfg = config(
        out,
        prompts=("marked-rewrite-sys",),
        sample_file=sample_file,
        max_seeds=2,
        concepts_per_layer=1,
        max_mentions=1,
        layers=("parents", "synonyms"),
        concurrency=1,
    )
    assert cfg.resolved().collapse_to == "Disease" and cfg.resolved().seed == 3
    summary = generate_llm(cfg, store, model=LatencyChatModel(latency=0.0, reply=marked_reply))
    assert summary.requests >= 1 and summary.accepted >= 1
    assert "parse" not in summary.rejected
    records = list(read_synthetic(out))
    assert {r.provenance.seed_sentence_id for r in records} <= set(drawn.sentence_ids)
    assert {t[2:] for r in records for t in r.tags if t != "O"} == {"Disease"}
    meta = json.loads(summary.meta_out.read_text(encoding="utf-8"))
    assert meta["config"]["collapse_to"] == "Disease" and meta["config"]["seed"] == 3
    with pytest.raises(ConfigError, match="collapse_to='Disease'"):
        config(out, sample_file=sample_file, collapse_to="Entity").resolved()


def test_killed_run_resumes_without_duplicates_or_loss(store: GraphStore, tmp_path: Path) -> None:
    out = tmp_path / "resume.jsonl"

    def dies_after_three(prompt: str, n: int) -> AIMessage:
        if n > 3:
            raise openai_error("auth")
        return grounded_reply(prompt, n)

    first = LatencyChatModel(latency=0.0, reply=dies_after_three)
    with pytest.raises(GenerationError, match="rerun the same command"):
        generate_llm(config(out, concurrency=1), store, model=first)
    partial = list(read_synthetic(out))
    again = LatencyChatModel(latency=0.0, reply=grounded_reply)
    summary = generate_llm(config(out, concurrency=1), store, model=again)
    assert summary.resumed == 3
    assert again.calls == summary.requests - 3
    records = list(read_synthetic(out))
    assert len({r.id for r in records}) == len(records) == summary.accepted
    assert {r.id for r in partial} <= {r.id for r in records}
    fresh = generate_llm(
        config(tmp_path / "fresh.jsonl", concurrency=1),
        store,
        model=LatencyChatModel(latency=0.0, reply=grounded_reply),
    )
    assert [r.text for r in read_synthetic(tmp_path / "fresh.jsonl")] == [r.text for r in records]
    assert fresh.accepted == summary.accepted


def test_changed_settings_do_not_resume_into_an_old_run(store: GraphStore, tmp_path: Path) -> None:
    out = tmp_path / "a.jsonl"
    generate_llm(
        config(out, max_seeds=1), store, model=LatencyChatModel(latency=0, reply=grounded_reply)
    )
    with pytest.raises(ConfigError, match="different settings"):
        generate_llm(
            config(out, max_seeds=1, per_seed=3),
            store,
            model=LatencyChatModel(latency=0, reply=grounded_reply),
        )


def test_cached_replies_cost_no_calls(store: GraphStore, tmp_path: Path) -> None:
    cache = LangChainDiskCache(tmp_path / "cache")
    m1 = LatencyChatModel(latency=0.0, reply=grounded_reply, cache=cache)
    s1 = generate_llm(config(tmp_path / "one.jsonl"), store, model=m1)
    m2 = LatencyChatModel(latency=0.0, reply=grounded_reply, cache=cache)
    s2 = generate_llm(config(tmp_path / "two.jsonl"), store, model=m2)
    assert m1.calls == s1.requests and m2.calls == 0
    assert s2.accepted == s1.accepted


def test_heldout_files_are_found_beside_the_corpus() -> None:
    found = {p.name for p in find_heldout(ncbi_train_path())}
    assert found == {"NCBIdevelopset_corpus.txt", "NCBItestset_corpus.txt"}
    conll = {p.name for p in find_heldout(data_dir() / "ner/ncbi_disease/conll/train.tsv")}
    assert conll == {"devel.tsv", "test.tsv"}


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"prompts": ("grounded-siblings",), "agent": True}, "--agent needs agent templates"),
        ({"prompts": ("paper-annotate",)}, "cannot generate as a chain"),
        ({"prompts": ("agent",)}, "cannot generate as a chain"),
        ({"per_seed": 0}, "per-seed"),
        ({"prompts": ("nope",)}, "no prompt template"),
    ],
)
def test_impossible_settings_are_refused(
    store: GraphStore, tmp_path: Path, kw: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        generate_llm(config(tmp_path / "x.jsonl", **kw), store, model=LatencyChatModel())


@pytest.mark.llm
def test_real_local_model_generates_grounded_sentences(
    llm_base_url: str, store: GraphStore, tmp_path: Path
) -> None:
    """The real llama.cpp server on a real GGUF model, one real NCBI seed sentence, the grounded
    prompt: the pipeline runs and the funnel accounts for every sentence (not model quality)."""
    out = tmp_path / "real.jsonl"
    cfg = config(
        out,
        prompts=("grounded-parents-children",),
        model="qwen2.5-coder-0.5b",
        base_url=llm_base_url,
        max_seeds=1,
        per_seed=2,
        max_tokens=256,
        temperature=0.2,
        collapse_to="Disease",
        concurrency=1,
        timeout=900.0,
    )
    summary = generate_llm(cfg, store)
    assert summary.requests == 1 and summary.calls >= 1
    assert summary.candidates >= 1
    assert summary.accepted + sum(summary.rejected.values()) == summary.candidates
    rejections = [
        Rejection.model_validate_json(line)
        for line in summary.rejected_out.read_text(encoding="utf-8").splitlines()
    ]
    assert all(r.raw_output for r in rejections)  # raw model output kept for every rejection
    for rec in read_synthetic(out):
        assert rec.provenance.llm is not None and rec.provenance.llm.raw_reply_id
    report = check_file(out, store)
    assert report.total == summary.candidates and report.accepted == summary.accepted
    assert summary.ledger["calls"] >= 1  # tokens were counted


@pytest.mark.llm
def test_real_local_model_writes_marked_sentences_end_to_end(
    llm_base_url: str, store: GraphStore, tmp_path: Path
) -> None:
    """Marked mode (the default template) on the real local server: one request per (seed,
    related concept), a list of exactly n strings forced by the grammar, marks stripped and
    spans computed by the toolkit; the funnel accounts for every candidate, each rejection with
    its stage and the model's raw output."""
    from hilgen_graph.validation.funnel import STAGES

    out = tmp_path / "marked.jsonl"
    cfg = config(
        out,
        prompts=("marked-rewrite",),
        model="qwen2.5-coder-0.5b",
        base_url=llm_base_url,
        max_seeds=2,
        per_seed=2,
        max_tokens=256,
        temperature=0.2,
        collapse_to="Disease",
        layers=("parents", "synonyms"),
        concepts_per_layer=1,
        max_mentions=1,
        concurrency=1,
        timeout=900.0,
    )
    summary = generate_llm(cfg, store)
    assert summary.requests >= 1 and summary.calls >= summary.requests
    # the grammar forces exactly n strings per reply (or a parse rejection of the reply)
    assert summary.candidates >= summary.requests
    assert summary.accepted + sum(summary.rejected.values()) == summary.candidates
    assert set(summary.rejected) <= set(STAGES)
    rejections = [
        Rejection.model_validate_json(line)
        for line in summary.rejected_out.read_text(encoding="utf-8").splitlines()
    ]
    assert all(r.raw_output and r.stage in STAGES for r in rejections)
    assert sum(1 for r in rejections if r.stage != "parse") <= summary.candidates
    for rec in read_synthetic(out):
        llm = rec.provenance.llm
        assert llm is not None and llm.mode == "marked-rewrite"
        assert "[[" not in rec.text and llm.kind in ("rewrite", "new_context")
        assert rec.provenance.related_concept_id in llm.intended_concept_ids
    report = check_file(out, store)
    assert report.total == summary.candidates and report.accepted == summary.accepted


def test_run_settings_ignore_the_local_servers_port() -> None:
    """A local server gets a new port at each start; resuming must still be allowed."""
    from hilgen_graph.agents.generate import GenerateConfig

    def meta(url: str) -> dict[str, object]:
        return GenerateConfig(corpus=Path("c.txt"), out=Path("o.jsonl"), base_url=url).run_meta(
            [], "store"
        )

    assert meta("http://127.0.0.1:1234/v1") == meta("http://127.0.0.1:5678/v1")
    assert meta("http://127.0.0.1:1234/v1") != meta("https://api.example.org/v1")
