"""The graph-tool agent (LangChain 1.x create_agent) with a scripted fake model and real tools."""

from __future__ import annotations

import json
import uuid

import pytest
from langchain_core.messages import AIMessage
from tests.prompts.llmgen_fixtures import (
    HEMOCHROMATOSIS_SEED,
    NCBI_LABELS,
    ncbi_sentence,
)

from hilgen_graph.agents.agent import build_agent
from hilgen_graph.agents.chains import ChainSettings
from hilgen_graph.agents.schemas import (
    GeneratedBatch,
    GeneratedSentence,
    GenerationRequest,
    Mention,
)
from hilgen_graph.agents.tools import ToolLog, make_tools, retrieve_related
from hilgen_graph.errors import ConfigError
from hilgen_graph.graph.store import GraphStore
from hilgen_graph.grounding.grounder import Grounder
from hilgen_graph.prompts import load_template
from hilgen_graph.testing.fake_chat import ScriptedChatModel, text_reply, tool_call_reply
from hilgen_graph.validation.funnel import Funnel

AGENT = load_template("agent")
SETTINGS = ChainSettings("fake-model", 0.7)
SD = "SpecificDisease"


@pytest.fixture(scope="module")
def req(store: GraphStore) -> GenerationRequest:
    seed = ncbi_sentence(HEMOCHROMATOSIS_SEED)
    concept = Grounder.for_store(store).concept_of(seed.entities[0])
    related = tuple(retrieve_related(store, "D006432", ["siblings"], 5))
    return GenerationRequest("agent-1", seed, seed.entities[0], NCBI_LABELS, 2, concept, related)


def call(tool: str, **args: object) -> AIMessage:
    return AIMessage(
        content="",
        tool_calls=[
            {"name": tool, "args": args, "id": f"call_{uuid.uuid4().hex[:8]}", "type": "tool_call"}
        ],
    )


def test_tools_answer_from_the_graph(store: GraphStore) -> None:
    log = ToolLog()
    tools = {t.name: t for t in make_tools(store, log)}
    found = json.loads(tools["lookup_concept"].invoke({"name": "hemochromatosis"}))
    assert found[0]["id"] == "D006432" and "Disease or Syndrome" in found[0]["semantic_types"]
    parents = json.loads(
        tools["related_concepts"].invoke({"concept_id": "D006432", "layer": "parents"})
    )
    # "Metal Metabolism, Inborn Errors" (D008664) has no natural name: not shown to the model
    assert {p["id"] for p in parents} == {"D019190"}
    assert all(", " not in p["name"] for p in parents)
    assert set(log.related) == {"D019190"}
    st = json.loads(tools["semantic_type"].invoke({"concept_id": "D006432"}))
    assert st["semantic_types"][0]["group"] == "DISO"
    assert "error" in json.loads(tools["semantic_type"].invoke({"concept_id": "D999999"}))
    assert "error" in json.loads(
        tools["related_concepts"].invoke({"concept_id": "nope", "layer": "children"})
    )
    assert [c[0] for c in log.calls] == [
        "lookup_concept",
        "related_concepts",
        "semantic_type",
        "semantic_type",
        "related_concepts",
    ]


def test_agent_uses_tools_then_answers(store: GraphStore, req: GenerationRequest) -> None:
    answer = GeneratedBatch(
        sentences=[
            GeneratedSentence(
                text="Only half of the carriers had clinical features of iron overload.",
                entities=[Mention(text="iron overload", label=SD)],
            ),
            GeneratedSentence(
                text="Only half of the carriers had clinical features of lymphoma.",
                entities=[Mention(text="lymphoma", label=SD)],
            ),
        ]
    )
    model = ScriptedChatModel(
        script=[
            call("lookup_concept", name="hemochromatosis"),
            call("related_concepts", concept_id="D006432", layer="parents"),
            tool_call_reply(GeneratedBatch, answer),
        ]
    )
    agent = build_agent(model, AGENT, store, Funnel(store), SETTINGS)
    out = agent.invoke(req)
    assert model.calls == 3
    first, second = out.results
    assert first.accepted, first.reason
    assert first.record is not None
    prov = first.record.provenance
    assert prov.llm is not None and prov.llm.mode == "agent"
    # the intended concepts are the ones the agent fetched (parents), not the request's siblings
    assert set(prov.llm.intended_concept_ids) == {"D019190"}
    assert prov.related_concept_id == "D019190" and prov.layer == "parents"
    assert second.stage == "intended"
    assert "related_concepts" in second.candidate.raw_output  # the transcript is kept
    bound = {getattr(t, "name", None) for t in model.bound_tools}
    assert {"lookup_concept", "related_concepts", "semantic_type"} <= bound


def test_agent_without_an_answer_is_a_parse_rejection(
    store: GraphStore, req: GenerationRequest
) -> None:
    model = ScriptedChatModel(script=[text_reply("I am done.")])
    out = build_agent(model, AGENT, store, Funnel(store), SETTINGS).invoke(req)
    assert len(out.results) == 1 and out.results[0].stage == "parse"
    assert "I am done." in out.results[0].candidate.raw_output


def test_agent_step_limit(store: GraphStore, req: GenerationRequest) -> None:
    model = ScriptedChatModel(script=[call("lookup_concept", name="x")], cycle=True)
    out = build_agent(model, AGENT, store, Funnel(store), SETTINGS, max_steps=2).invoke(req)
    assert out.results[0].stage == "parse" and "stopped" in out.results[0].reason


def test_agent_factory_checks(store: GraphStore) -> None:
    model = ScriptedChatModel(script=[])
    with pytest.raises(ConfigError, match="not an agent template"):
        build_agent(model, load_template("grounded-siblings"), store, Funnel(store), SETTINGS)
    with pytest.raises(ConfigError, match="max_steps"):
        build_agent(model, AGENT, store, Funnel(store), SETTINGS, max_steps=0)


def test_marked_agent_picks_a_neighbour_and_writes_marked_sentences(
    store: GraphStore, req: GenerationRequest
) -> None:
    """agent-marked: the agent fetches neighbours with the tools and answers with [[name]]
    sentences; the toolkit computes the spans, the intended concepts are the ones fetched."""
    marked = load_template("agent-marked")
    model = ScriptedChatModel(
        script=[
            call("related_concepts", concept_id="D006432", layer="parents"),
            tool_call_reply(
                "MarkedBatch",
                {
                    "sentences": [
                        "Only half of the homozygous carriers had signs of [[iron overload]].",
                        "Only half of the carriers had clinical features of [[lymphoma]].",
                    ]
                },
            ),
        ]
    )
    out = build_agent(model, marked, store, Funnel(store), SETTINGS).invoke(req)
    first, second = out.results
    assert first.accepted, first.reason
    assert first.record is not None and "[[" not in first.record.text
    assert first.record.tags[-3:] == [f"B-{SD}", f"I-{SD}", "O"]
    prov = first.record.provenance
    assert prov.llm is not None and prov.llm.mode == "agent-marked"
    assert set(prov.llm.intended_concept_ids) == {"D019190"}
    assert second.stage == "grounding" or second.stage == "intended"  # not a fetched neighbour
