"""Generation chains with scripted fake models: single-call, two-step, repair and the factory."""

from __future__ import annotations

import dataclasses

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from tests.prompts.llmgen_fixtures import (
    HEMOCHROMATOSIS_SEED,
    NCBI_LABELS,
    ncbi_sentence,
)

from hilgen_graph.agents.chains import ChainSettings, build_chain
from hilgen_graph.agents.schemas import (
    Annotation,
    GeneratedBatch,
    GeneratedSentence,
    GenerationRequest,
    Mention,
    PlainBatch,
)
from hilgen_graph.agents.tools import retrieve_related
from hilgen_graph.errors import ConfigError, GenerationError
from hilgen_graph.graph.store import GraphStore
from hilgen_graph.grounding.grounder import Grounder
from hilgen_graph.prompts import load_template
from hilgen_graph.testing.fake_chat import (
    ScriptedChatModel,
    broken_json_reply,
    invalid_args_reply,
    text_reply,
    tool_call_reply,
)
from hilgen_graph.validation.funnel import Funnel

SETTINGS = ChainSettings("fake-model", 0.7, max_repairs=1)
GROUNDED = load_template("grounded-parents-children")
PAPER = load_template("paper-parents-children")
ANNOTATE = load_template("paper-annotate")
SD = "SpecificDisease"
S1 = "Only half of the carriers had clinical features of iron overload."
S2 = "Few carriers developed iron overload before the age of forty."


@pytest.fixture(scope="module")
def req(store: GraphStore) -> GenerationRequest:
    seed = ncbi_sentence(HEMOCHROMATOSIS_SEED)
    concept = Grounder.for_store(store).concept_of(seed.entities[0])
    assert concept is not None
    related = tuple(retrieve_related(store, concept.id, ["parents", "children"], 10))
    return GenerationRequest("req-1", seed, seed.entities[0], NCBI_LABELS, 2, concept, related)


def batch(*items: tuple[str, str]) -> GeneratedBatch:
    return GeneratedBatch(
        sentences=[
            GeneratedSentence(text=t, entities=[Mention(text=m, label=SD)]) for t, m in items
        ]
    )


def test_single_call_grounded_chain(store: GraphStore, req: GenerationRequest) -> None:
    model = ScriptedChatModel(
        script=[
            tool_call_reply(
                GeneratedBatch,
                batch((S1, "iron overload"), (S2, "iron overload")),
            )
        ]
    )
    chain = build_chain(model, GROUNDED, Funnel(store), SETTINGS)
    out = chain.invoke(req)
    assert model.calls == 1 and out.calls == 1 and out.repairs == 0
    assert [r.accepted for r in out.results] == [True, True]
    recs = [r.record for r in out.results if r.record]
    # "Metal Metabolism, Inborn Errors" (D008664) has no natural name: never shown or intended
    assert [r.provenance.related_concept_id for r in recs] == ["D019190", "D019190"]
    assert [r.provenance.layer for r in recs] == ["parents", "parents"]
    llm = recs[0].provenance.llm
    assert llm is not None
    assert (llm.prompt_name, llm.prompt_hash, llm.mode) == (
        GROUNDED.name,
        GROUNDED.version,
        "grounded",
    )
    assert llm.seed_text == req.seed.text and "D019190" in llm.intended_concept_ids
    assert recs[0].id == "req-1-0" and recs[1].id == "req-1-1"
    assert (
        '"iron overload" | broader concept' in model.prompts[0]
    )  # the retrieved concepts are in the prompt


@pytest.mark.parametrize(
    "bad",
    [
        broken_json_reply(GeneratedBatch, '{"sentences": [{"text": "Iron overload'),
        invalid_args_reply(GeneratedBatch, {"sentences": [{"entities": "nope"}]}),
        text_reply("Here are three sentences: ..."),
    ],
    ids=["broken-json", "schema-mismatch", "no-tool-call"],
)
def test_repair_sends_the_error_back(
    store: GraphStore, req: GenerationRequest, bad: object
) -> None:
    good = tool_call_reply(GeneratedBatch, batch((S1, "iron overload")))
    model = ScriptedChatModel(script=[bad, good])
    out = build_chain(model, GROUNDED, Funnel(store), SETTINGS).invoke(req)
    assert model.calls == 2 and out.repairs == 1
    assert not out.replies[0].ok and out.replies[0].error
    repair_prompt = model.prompts[1]
    assert "could not be used" in repair_prompt and out.replies[0].error[:40] in repair_prompt
    assert out.results[0].accepted


def test_failure_after_repairs_is_a_parse_rejection_with_raw_output(
    store: GraphStore, req: GenerationRequest
) -> None:
    model = ScriptedChatModel(script=[text_reply("no json here"), text_reply("still none")])
    out = build_chain(model, GROUNDED, Funnel(store), SETTINGS).invoke(req)
    assert len(out.results) == 1
    res = out.results[0]
    assert res.stage == "parse" and "did not call the tool" in res.reason
    assert res.candidate.raw_output == "still none"


def test_zero_repairs_means_one_call(store: GraphStore, req: GenerationRequest) -> None:
    model = ScriptedChatModel(script=[text_reply("no")])
    settings = dataclasses.replace(SETTINGS, max_repairs=0)
    out = build_chain(model, GROUNDED, Funnel(store), settings).invoke(req)
    assert model.calls == 1 and out.results[0].stage == "parse"


def test_two_step_mode(store: GraphStore, req: GenerationRequest) -> None:
    model = ScriptedChatModel(
        script=[
            tool_call_reply(PlainBatch, PlainBatch(sentences=[S1, S2])),
            tool_call_reply(
                Annotation, Annotation(entities=[Mention(text="iron overload", label=SD)])
            ),
            text_reply("cannot"),
            text_reply("cannot again"),
        ]
    )
    out = build_chain(model, PAPER, Funnel(store), SETTINGS, annotate_template=ANNOTATE).invoke(req)
    assert model.calls == 4
    first, second = out.results
    assert first.accepted and first.record is not None
    assert first.record.provenance.llm is not None
    assert first.record.provenance.llm.mode == "two-step"
    assert second.stage == "parse" and second.candidate.text == S2
    assert "annotation failed" in second.reason
    assert "Sentence: " + S1 in model.prompts[1]  # the second call annotates the first sentence
    listed = '"iron overload" | broader concept'
    assert listed not in model.prompts[0]  # paper prompts list no retrieved concepts


def test_factory_rejects_impossible_combinations() -> None:
    model = ScriptedChatModel(script=[])
    funnel = Funnel(None)
    with pytest.raises(ConfigError, match="annotate template"):
        build_chain(model, ANNOTATE, funnel, SETTINGS)
    with pytest.raises(ConfigError, match="agent"):
        build_chain(model, load_template("agent"), funnel, SETTINGS)
    with pytest.raises(ConfigError, match="annotate_with"):
        build_chain(model, PAPER, funnel, SETTINGS)
    with pytest.raises(ConfigError, match="already returns annotated"):
        build_chain(model, GROUNDED, funnel, SETTINGS, annotate_template=ANNOTATE)
    with pytest.raises(ConfigError, match="cannot annotate"):
        build_chain(model, PAPER, funnel, SETTINGS, annotate_template=GROUNDED)
    with pytest.raises(ConfigError, match="max_repairs"):
        build_chain(model, GROUNDED, funnel, dataclasses.replace(SETTINGS, max_repairs=-1))
    with pytest.raises(ConfigError, match="cannot call tools"):
        build_chain(FakeListChatModel(responses=["x"]), GROUNDED, funnel, SETTINGS)


def test_grounded_prompt_without_related_concepts_is_refused(req: GenerationRequest) -> None:
    model = ScriptedChatModel(script=[])
    chain = build_chain(model, GROUNDED, Funnel(None), SETTINGS)
    with pytest.raises(GenerationError, match="no related concepts"):
        chain.invoke(dataclasses.replace(req, related=()))
    assert model.calls == 0


def test_grounded_two_step_lists_the_concepts_then_annotates(
    store: GraphStore, req: GenerationRequest
) -> None:
    template = load_template("grounded-two-step-parents-children")
    model = ScriptedChatModel(
        script=[
            tool_call_reply(PlainBatch, PlainBatch(sentences=[S1])),
            tool_call_reply(
                Annotation, Annotation(entities=[Mention(text="iron overload", label=SD)])
            ),
        ]
    )
    chain = build_chain(
        model, template, Funnel(store), SETTINGS, annotate_template=ANNOTATE, labels=NCBI_LABELS
    )
    out = chain.invoke(req)
    assert '"iron overload" | broader concept' in model.prompts[0] and "1. use " in model.prompts[0]
    assert out.results[0].accepted, out.results[0].reason
    rec = out.results[0].record
    assert rec is not None and rec.provenance.llm is not None
    assert rec.provenance.llm.mode == "two-step"
