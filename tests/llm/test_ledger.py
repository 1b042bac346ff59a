"""Token and cost ledger: prices per model, free local calls, cached replays, resume."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.messages import AIMessage
from tests.support.openai_stub import OpenAIStub

from hilgen_graph.errors import ConfigError
from hilgen_graph.llm.cache import LangChainDiskCache
from hilgen_graph.llm.ledger import Ledger, PriceTable, usage_from_message
from hilgen_graph.llm.models import LLMSettings, make_chat_model
from hilgen_graph.testing.fake_chat import ScriptedChatModel

PRICES = PriceTable.from_mapping(
    {"gpt-4o-mini": {"input_per_million": 0.15, "output_per_million": 0.60}}
)


def test_costs_by_model_and_free_local_models() -> None:
    ledger = Ledger(PRICES)
    ledger.record("gpt-4o-mini", 1_000_000, 500_000)
    ledger.record("qwen2.5-coder-0.5b", 2_000, 300)
    s = ledger.summary()
    assert s.per_model["gpt-4o-mini"].cost_usd == pytest.approx(0.15 + 0.30)
    assert s.per_model["qwen2.5-coder-0.5b"].cost_usd == 0.0
    assert s.totals() == {
        "calls": 2,
        "cached_calls": 0,
        "input_tokens": 1_002_000,
        "output_tokens": 500_300,
        "cost_usd": 0.45,
    }
    local = Ledger(PRICES, local=True)
    local.record("gpt-4o-mini", 1000, 1000)
    assert local.summary().cost_usd == 0.0


def test_callback_counts_calls_and_cached_replays(tmp_path: Path) -> None:
    ledger = Ledger(PRICES, default_model="gpt-4o-mini")
    model = ScriptedChatModel(
        script=["one", "two"], cache=LangChainDiskCache(tmp_path), callbacks=[ledger.callback()]
    )
    model.invoke("a")
    model.invoke("b")
    model.invoke("a")  # replayed from the cache: counted apart, free
    u = ledger.summary().per_model["gpt-4o-mini"]
    assert u.calls == 2 and u.cached_calls == 1
    assert u.input_tokens > 0 and u.cached_input_tokens > 0 and u.cost_usd > 0


def test_usage_from_openai_reply(openai_stub: OpenAIStub) -> None:
    ledger = Ledger(default_model="qwen2.5-coder-0.5b", local=True)
    chat = make_chat_model(
        LLMSettings(base_url=openai_stub.base_url), callbacks=[ledger.callback()]
    )
    reply = chat.invoke("x")
    assert usage_from_message(reply) == (11, 7)  # what the stub's usage block says
    assert ledger.summary().totals()["input_tokens"] == 11
    legacy = AIMessage(
        content="", response_metadata={"token_usage": {"prompt_tokens": 3, "completion_tokens": 4}}
    )
    assert usage_from_message(legacy) == (3, 4)


def test_save_and_continue(tmp_path: Path) -> None:
    path = tmp_path / "ledger.json"
    first = Ledger(PRICES, run_id="r1")
    first.record("gpt-4o-mini", 100, 10)
    first.save(path)
    resumed = Ledger.load(path, PRICES)
    resumed.record("gpt-4o-mini", 100, 10)
    assert resumed.summary().per_model["gpt-4o-mini"].calls == 2
    assert resumed.summary().run_id == "r1"
    assert Ledger.load(tmp_path / "none.json").summary().calls == 0
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="delete it"):
        Ledger.load(path)


def test_price_file(tmp_path: Path) -> None:
    f = tmp_path / "prices.yaml"
    f.write_text("prices:\n  gpt-4o:\n    input_per_million: 2.5\n    output_per_million: 10\n")
    assert PriceTable.from_file(f).price("gpt-4o").output_per_million == 10
    assert PriceTable.from_file(f).price("anything-else").input_per_million == 0
    bad = tmp_path / "bad.json"
    bad.write_text('{"gpt-4o": {"input_per_million": -1}}')
    with pytest.raises(ConfigError, match="invalid price table"):
        PriceTable.from_file(bad)
