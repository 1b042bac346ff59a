"""The fake chat models script good, malformed and repaired replies through structured output."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import openai
import pytest
from langchain_core.exceptions import OutputParserException
from pydantic import ValidationError

from hilgen_graph.agents.schemas import GeneratedBatch, GeneratedSentence, Mention
from hilgen_graph.llm.models import STRUCTURED_OUTPUT_METHOD
from hilgen_graph.testing.fake_chat import (
    FailingChatModel,
    LatencyChatModel,
    ScriptedChatModel,
    broken_json_reply,
    invalid_args_reply,
    openai_error,
    text_reply,
    tool_call_reply,
)

GOOD = GeneratedBatch(
    sentences=[
        GeneratedSentence(
            text="Iron overload damages the liver.",
            entities=[Mention(text="Iron overload", label="Disease")],
        )
    ]
)


def structured(model: ScriptedChatModel):  # type: ignore[no-untyped-def]
    return model.with_structured_output(
        GeneratedBatch, method=STRUCTURED_OUTPUT_METHOD, include_raw=True
    )


def test_good_malformed_broken_and_text_replies() -> None:
    model = ScriptedChatModel(
        script=[
            tool_call_reply(GeneratedBatch, GOOD),
            invalid_args_reply(GeneratedBatch, {"sentences": "not a list"}),
            broken_json_reply(GeneratedBatch, '{"sentences": [{"text": "cut'),
            text_reply("Sure! Here are some sentences: ..."),
        ]
    )
    chain = structured(model)
    good = chain.invoke("write")
    assert good["parsed"] == GOOD and good["parsing_error"] is None
    bad_args = chain.invoke("write")
    assert bad_args["parsed"] is None and isinstance(bad_args["parsing_error"], ValidationError)
    broken = chain.invoke("write")
    assert isinstance(broken["parsing_error"], OutputParserException)
    assert '{"sentences": [{"text": "cut' in str(
        broken["raw"].additional_kwargs["tool_calls"][0]["function"]["arguments"]
    )
    text = chain.invoke("write")
    assert text["parsed"] is None and text["parsing_error"] is None
    assert text["raw"].content.startswith("Sure!")
    assert model.calls == 4 and model.bound_tools == [GeneratedBatch]


def test_repair_sequence_and_usage() -> None:
    """A malformed reply followed by a repaired one: the second call parses."""
    model = ScriptedChatModel(
        script=[broken_json_reply(GeneratedBatch, "{"), tool_call_reply(GeneratedBatch, GOOD)]
    )
    chain = structured(model)
    first, second = chain.invoke("write"), chain.invoke("write; your last answer was broken")
    assert first["parsed"] is None and second["parsed"] == GOOD
    assert "broken" in model.prompts[1]
    usage = second["raw"].usage_metadata
    assert usage["input_tokens"] > 0 and usage["output_tokens"] > 0


def test_script_runs_out_or_cycles() -> None:
    once = ScriptedChatModel(script=["a"])
    assert once.invoke("x").content == "a"
    with pytest.raises(RuntimeError, match="used up"):
        once.invoke("x")
    cyc = ScriptedChatModel(script=["a", "b"], cycle=True)
    assert [cyc.invoke("x").content for _ in range(5)] == ["a", "b", "a", "b", "a"]


def test_scripted_model_is_thread_safe() -> None:
    model = ScriptedChatModel(script=[str(i) for i in range(200)])
    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(lambda _: model.invoke("x").content, range(200)))
    assert sorted(replies, key=int) == [str(i) for i in range(200)]


def test_latency_model_runs_in_parallel_sync_and_async() -> None:
    model = LatencyChatModel(latency=0.05)
    t0 = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: model.invoke("x"), range(8)))
    assert model.calls == 8 and model.max_in_flight > 1
    assert time.perf_counter() - t0 < 8 * 0.05  # not serialised

    async def many() -> list[object]:
        return list(await asyncio.gather(*(model.ainvoke(f"p{i}") for i in range(6))))

    replies = asyncio.run(many())
    assert len(replies) == 6 and model.calls == 14


def test_failing_model_raises_real_openai_errors_then_answers() -> None:
    model = FailingChatModel.failing_then(["timeout", "rate_limit", "auth"], "done")
    with pytest.raises(openai.APITimeoutError):
        model.invoke("x")
    with pytest.raises(openai.RateLimitError) as rate:
        model.invoke("x")
    assert rate.value.status_code == 429
    with pytest.raises(openai.AuthenticationError):
        model.invoke("x")
    assert model.invoke("x").content == "done"
    assert isinstance(openai_error("server"), openai.InternalServerError)
    assert isinstance(openai_error("connection"), openai.APIConnectionError)
