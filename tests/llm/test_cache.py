"""The content-addressed reply cache: keys, atomic entries, and replay through LangChain."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from langchain_core.messages import HumanMessage
from tests.support.openai_stub import OpenAIStub, completion, running_stub

from hilgen_graph.agents.schemas import PlainBatch
from hilgen_graph.llm.cache import (
    CACHE_HIT_FLAG,
    LangChainDiskCache,
    ReplyCache,
    cache_key,
)
from hilgen_graph.llm.models import STRUCTURED_OUTPUT_METHOD, LLMSettings, make_chat_model
from hilgen_graph.testing.fake_chat import ScriptedChatModel, tool_call_reply


def test_key_depends_on_model_params_prompt_and_seed_only() -> None:
    base = cache_key("m", {"temperature": 0.7, "max_tokens": 10}, "prompt", seed=1)
    assert base == cache_key("m", {"max_tokens": 10, "temperature": 0.7}, "prompt", seed=1)
    others = {
        cache_key("m2", {"temperature": 0.7, "max_tokens": 10}, "prompt", seed=1),
        cache_key("m", {"temperature": 0.8, "max_tokens": 10}, "prompt", seed=1),
        cache_key("m", {"temperature": 0.7, "max_tokens": 10}, "prompt!", seed=1),
        cache_key("m", {"temperature": 0.7, "max_tokens": 10}, "prompt", seed=2),
        cache_key("m", {"temperature": 0.7, "max_tokens": 10}, "prompt", seed=None),
    }
    assert base not in others and len(others) == 5
    assert cache_key("m", {}, ["a", "b"]) != cache_key("m", {}, ["ab"])


def test_put_get_and_corrupt_entries(tmp_path: Path) -> None:
    cache = ReplyCache(tmp_path)
    key = cache_key("m", {}, "p")
    assert cache.get(key) is None and key not in cache
    path = cache.put(key, {"text": "hello", "n": [1, 2]}, meta={"model": "m"})
    assert path.parent.name == key[:2] and key in cache and len(cache) == 1
    assert cache.get(key) == {"text": "hello", "n": [1, 2]}
    assert not list(path.parent.glob("*.tmp"))  # atomic write leaves no temporary file
    path.write_text('{"payload": ')  # a torn file from elsewhere counts as a miss
    assert cache.get(key) is None
    assert cache.stats.hits == 1 and cache.stats.misses == 2 and cache.stats.writes == 1


def test_concurrent_writers_of_one_key(tmp_path: Path) -> None:
    cache = ReplyCache(tmp_path)
    key = cache_key("m", {}, "same")
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: cache.put(key, {"v": "same"}), range(32)))
    assert cache.get(key) == {"v": "same"}
    assert json.loads(cache.path_for(key).read_text())["key"] == key


def test_langchain_cache_replays_structured_output(tmp_path: Path) -> None:
    reply = tool_call_reply(PlainBatch, {"sentences": ["A.", "B."]})
    lc_cache = LangChainDiskCache(tmp_path)
    model = ScriptedChatModel(script=[reply], cache=lc_cache)
    chain = model.with_structured_output(PlainBatch, method=STRUCTURED_OUTPUT_METHOD)
    first = chain.invoke("write two")
    second = chain.invoke("write two")  # the script has one reply: a second call would fail
    assert first == second == PlainBatch(sentences=["A.", "B."])
    assert model.calls == 1 and len(lc_cache.store) == 1
    # a new model object (as in a rerun) replays from the entries on disk: its script is empty
    again = ScriptedChatModel(script=[], cache=LangChainDiskCache(tmp_path))
    replay = again.with_structured_output(PlainBatch, method=STRUCTURED_OUTPUT_METHOD)
    assert replay.invoke("write two") == first and again.calls == 0


def test_langchain_cache_on_real_chat_model(tmp_path: Path, openai_stub: OpenAIStub) -> None:
    openai_stub.default = (200, completion("cached answer"))
    lc_cache = LangChainDiskCache(tmp_path)

    def chat(seed: int, temperature: float = 0.7):  # type: ignore[no-untyped-def]
        settings = LLMSettings(base_url=openai_stub.base_url, seed=seed, temperature=temperature)
        return make_chat_model(settings, cache=lc_cache)

    assert chat(1).invoke("hi").content == "cached answer"
    result = chat(1).generate([[HumanMessage("hi")]])
    assert (result.generations[0][0].generation_info or {})[CACHE_HIT_FLAG] is True
    assert len(openai_stub.requests) == 1  # replayed: nothing sent
    chat(2).invoke("hi")  # another seed
    chat(1, temperature=0.2).invoke("hi")  # another temperature
    chat(1).invoke("hi there")  # another prompt
    assert len(openai_stub.requests) == 4 and len(lc_cache.store) == 4


def test_rerun_on_a_new_local_port_replays(tmp_path: Path) -> None:
    """`hilgen llm serve` picks a new port each time; a rerun must still hit the cache."""
    lc_cache = LangChainDiskCache(tmp_path)
    with running_stub() as first:
        first.default = (200, completion("from the first server"))
        chat = make_chat_model(LLMSettings(base_url=first.base_url, seed=3), cache=lc_cache)
        assert chat.invoke("hi").content == "from the first server"
    with running_stub() as second:  # another port, another timeout: same reply
        second.default = (200, completion("from the second server"))
        settings = LLMSettings(base_url=second.base_url, seed=3, timeout=30)
        assert make_chat_model(settings, cache=lc_cache).invoke("hi").content == (
            "from the first server"
        )
        assert second.requests == []
        other_model = LLMSettings(base_url=second.base_url, seed=3, model="smollm2-135m")
        make_chat_model(other_model, cache=lc_cache).invoke("hi")
        assert len(second.requests) == 1  # the model name still separates entries
