"""A LangChain 1.x tool-calling agent that explores the graph and writes grounded sentences.

The agent gets the graph tools of :mod:`hilgen_graph.agents.tools` and decides which neighbours
of the seed concept to use; its final answer is the same structured output as the chains
(:class:`GeneratedBatch`, through ``ToolStrategy``, which sends parse errors back to the model),
aligned to IOB and run through the same funnel. The intended concepts are those the tools
returned (the pre-retrieved ones when the agent called no layer tool).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.runnables import Runnable, RunnableLambda

from hilgen_graph.agents.chains import (
    ChainResult,
    ChainSettings,
    Reply,
    StructuredCaller,
    candidates_from,
    failed_candidate,
    finish,
    make_provenance,
    marked_sentence_candidates,
    raw_text,
    reply_id,
)
from hilgen_graph.agents.marked import MarkedBatch, marked_schema, sentence_char_limit
from hilgen_graph.agents.schemas import GeneratedBatch, GenerationRequest, constrained
from hilgen_graph.agents.tools import DEFAULT_LIMIT, ToolLog, make_tools
from hilgen_graph.corpus.alignment import Tokenizer
from hilgen_graph.errors import ConfigError
from hilgen_graph.graph.store import GraphStore
from hilgen_graph.llm.runner import is_llm_call_error
from hilgen_graph.prompts.loader import PromptTemplate
from hilgen_graph.validation.funnel import Funnel

DEFAULT_MAX_STEPS = 6


def build_agent(
    model: BaseChatModel,
    template: PromptTemplate,
    store: GraphStore,
    funnel: Funnel,
    settings: ChainSettings,
    *,
    max_steps: int = DEFAULT_MAX_STEPS,
    limit: int = DEFAULT_LIMIT,
    tokenize: Tokenizer | None = None,
    labels: Sequence[str] = (),
) -> Runnable[GenerationRequest, ChainResult]:
    """A runnable from :class:`GenerationRequest` to :class:`ChainResult` driven by an agent."""
    if template.style != "agent":
        raise ConfigError(
            f"prompt {template.name!r} (style {template.style}) is not an agent template; "
            "use an agent template (e.g. `agent`) with --agent, or run it as a chain"
        )
    if store is None:
        raise ConfigError("the agent needs a graph store for its tools; pass --store DIR")
    if max_steps < 1:
        raise ConfigError(f"max_steps must be >= 1, got {max_steps}")
    if not hasattr(model, "bind_tools"):
        raise ConfigError(f"the chat model {type(model).__name__} cannot call tools")
    if template.marked:
        return _guided_marked_agent(model, template, store, funnel, settings, limit, tokenize)
    from langchain.agents import create_agent
    from langchain.agents.structured_output import ToolStrategy

    def run(request: GenerationRequest) -> ChainResult:
        log = ToolLog()
        tools = make_tools(store, log, limit, label=request.target.label)
        values = request.values()
        system, user = template.render(values)
        answer: Any = (
            marked_schema(request.n, sentence_char_limit(request.seed.text))
            if template.marked
            else constrained(GeneratedBatch, labels)
        )
        agent: Any = create_agent(
            model,
            tools,
            system_prompt=system,
            response_format=ToolStrategy(answer),
            name="hilgen-graph-agent",
        )
        result = ChainResult(request.id)
        try:
            state = agent.invoke(
                {"messages": [HumanMessage(user)]},
                config={"recursion_limit": 2 * max_steps + 1},
            )
        except Exception as err:  # GraphRecursionError, tool errors: the run gave no answer
            if is_llm_call_error(err):
                # the endpoint or the network failed (connection refused, timeout, 5xx,
                # 401...): not an answer of the model. The runner classifies it, retries a
                # transient one and otherwise stops the run; the request stays uncommitted, so
                # a rerun tries it again.
                raise
            reply = Reply("", "", False, f"the agent stopped without an answer: {err}"[:500])
            result.replies.append(reply)
            prov = make_provenance(request, template, settings, "agent", "")
            result.results = finish(request, funnel, [failed_candidate(request, prov, reply)])
            return result
        messages = state.get("messages", [])
        ai = [m for m in messages if isinstance(m, AIMessage)]
        for m in ai:
            raw = raw_text(m)
            result.replies.append(Reply(reply_id(m, raw), raw, True, "", "agent"))
        transcript = "\n".join(r.raw for r in result.replies)
        last_id = result.replies[-1].id if result.replies else ""
        req = (
            dataclasses.replace(request, related=tuple(log.related.values()))
            if log.related
            else request
        )
        mode = "agent-marked" if template.marked else "agent"
        prov = make_provenance(req, template, settings, mode, last_id)
        batch = state.get("structured_response")
        if template.marked:  # sentences with [[name]]: the toolkit computes the spans
            if not isinstance(batch, MarkedBatch) or not batch.sentences:
                reply = Reply(last_id, transcript, False, "the agent gave no sentences")
                result.results = finish(req, funnel, [failed_candidate(req, prov, reply)])
                return result
            allowed = [n for r in req.related for n in (r.name, *r.synonyms)]
            cands = marked_sentence_candidates(
                req, batch.sentences, prov, transcript, allowed, tokenize
            )
            result.results = finish(req, funnel, cands)
            return result
        if not isinstance(batch, GeneratedBatch) or not batch.sentences:
            reply = Reply(last_id, transcript, False, "the agent gave no sentences")
            result.results = finish(req, funnel, [failed_candidate(req, prov, reply)])
            return result
        cands = candidates_from(req, batch.sentences, lambda _i: prov, transcript, tokenize)
        result.results = finish(req, funnel, cands)
        return result

    return RunnableLambda(run, name=f"hilgen-agent[{template.name}]")


GUIDED_ANSWER = (
    "The knowledge graph tool {tool}({args}) returned:\n{result}\n"
    "Now answer with the tool MarkedBatch: {n} rewrites of the sentence, each with one name the "
    "tool returned written in double brackets like [[name]]."
)


def _guided_marked_agent(
    model: BaseChatModel,
    template: PromptTemplate,
    store: GraphStore,
    funnel: Funnel,
    settings: ChainSettings,
    limit: int,
    tokenize: Tokenizer | None,
) -> Runnable[GenerationRequest, ChainResult]:
    """The agent for marked templates, in forced steps a 0.5-1.5B model can follow: the model
    first calls ``related_concepts`` (the call is forced, the concept id and layer are the
    model's choice), the toolkit runs the tool, then the model answers with the marked-sentence
    tool (forced too). Small local models asked to choose between tools and an answer on their
    own reply in prose instead of calling either (seen with Qwen2.5-Coder-1.5B on llama.cpp)."""
    from langchain_core.messages import SystemMessage

    def run(request: GenerationRequest) -> ChainResult:
        log = ToolLog()
        tools = {t.name: t for t in make_tools(store, log, limit, label=request.target.label)}
        system, user = template.render(request.values())
        messages: list[Any] = [SystemMessage(system), HumanMessage(user)]
        result = ChainResult(request.id)
        chooser = model.bind_tools([tools["related_concepts"]], tool_choice="related_concepts")
        ai = chooser.invoke(messages)
        raw = raw_text(ai)
        calls = list(getattr(ai, "tool_calls", []) or [])
        result.replies.append(
            Reply(reply_id(ai, raw), raw, bool(calls), "" if calls else "no tool call", "tool")
        )
        if calls:
            tc = calls[0]
            try:
                answer = str(tools[tc["name"]].invoke(tc["args"]))
            except Exception as err:  # arguments that do not fit the tool: the model's error
                if is_llm_call_error(err):
                    raise
                answer = f'{{"error": "{type(err).__name__}: {str(err)[:200]}"}}'
            messages.append(
                HumanMessage(
                    GUIDED_ANSWER.format(
                        tool=tc["name"], args=tc["args"], result=answer, n=request.n
                    )
                )
            )
        caller = StructuredCaller(
            model,
            marked_schema(request.n, sentence_char_limit(request.seed.text)),
            settings.max_repairs,
        )
        parsed, replies = caller(messages, "generate")
        result.replies += replies
        last = replies[-1]
        req = (
            dataclasses.replace(request, related=tuple(log.related.values()))
            if log.related
            else request
        )
        prov = make_provenance(req, template, settings, "agent-marked", last.id)
        if not isinstance(parsed, MarkedBatch) or not parsed.sentences:
            result.results = finish(req, funnel, [failed_candidate(req, prov, last)])
            return result
        allowed = [n for r in req.related for n in (r.name, *r.synonyms)]
        transcript = "\n".join(r.raw for r in result.replies)
        cands = marked_sentence_candidates(
            req, parsed.sentences, prov, transcript, allowed, tokenize
        )
        result.results = finish(req, funnel, cands)
        return result

    return RunnableLambda(run, name=f"hilgen-guided-agent[{template.name}]")
