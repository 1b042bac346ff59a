"""LLMSettings (file < env < overrides, secrets from env only) and the ChatOpenAI factory,
checked against a real HTTP stub of the chat-completions protocol."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage
from tests.support.openai_stub import OpenAIStub, completion

from hilgen_graph.agents.schemas import PlainBatch
from hilgen_graph.errors import ConfigError
from hilgen_graph.llm.models import (
    LOCAL_API_KEY_PLACEHOLDER,
    OPENAI_API_URL,
    STRUCTURED_OUTPUT_METHOD,
    LLMSettings,
    check_settings,
    disable_tracing,
    key_destination,
    make_chat_model,
)


def test_defaults_and_precedence(tmp_path: Path) -> None:
    cfg = tmp_path / "llm.yaml"
    cfg.write_text("llm:\n  model: from-file\n  temperature: 0.1\n  max_tokens: 64\n")
    env = {"HILGEN_LLM_TEMPERATURE": "0.3", "HILGEN_LLM_BASE_URL": "http://127.0.0.1:9/v1/"}
    s = LLMSettings.load(cfg, env=env, max_tokens=32, seed=None)
    assert s.model == "from-file"  # file
    assert s.temperature == pytest.approx(0.3)  # env beats file
    assert s.max_tokens == 32  # override beats file; None overrides are ignored
    assert s.base_url == "http://127.0.0.1:9/v1"  # trailing slash removed
    assert s.seed is None and s.api_key is None and s.is_local


def test_api_key_only_from_environment(tmp_path: Path) -> None:
    s = LLMSettings.load(env={"OPENAI_API_KEY": "sk-test-123"}, model="gpt-4o-mini")
    assert s.api_key is not None and s.api_key.get_secret_value() == "sk-test-123"
    assert "sk-test-123" not in repr(s) and "api_key" not in s.model_dump()
    cfg = tmp_path / "llm.json"
    cfg.write_text('{"api_key": "sk-in-file"}')
    with pytest.raises(ConfigError, match="secrets are read from the environment"):
        LLMSettings.load(cfg, env={})
    with pytest.raises(ConfigError, match="secrets"):
        LLMSettings.load(env={}, api_key="sk-flag")


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"temperature": 3.5}, "temperature"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"timeout": -1}, "timeout"),
        ({"base_url": "127.0.0.1:8080"}, "http"),
        ({"max_retries": -1}, "max_retries"),
        ({"colour": "blue"}, "unknown LLM setting"),
    ],
)
def test_invalid_values_are_named(override: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        LLMSettings.load(env={}, **override)


def test_invalid_env_value_names_the_variable() -> None:
    with pytest.raises(ConfigError, match=r"\$HILGEN_LLM_TEMPERATURE"):
        LLMSettings.load(env={"HILGEN_LLM_TEMPERATURE": "hot"})


def test_impossible_combinations_are_rejected() -> None:
    with pytest.raises(ConfigError, match="hilgen llm serve --model qwen2.5-coder-0.5b"):
        check_settings(LLMSettings(model="qwen2.5-coder-0.5b"))
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        check_settings(LLMSettings(model="gpt-4o-mini"))
    with pytest.raises(ConfigError, match="max_tokens"):
        check_settings(LLMSettings(base_url="http://127.0.0.1:1/v1", max_tokens=100_000))
    check_settings(LLMSettings(base_url="http://127.0.0.1:1/v1"))  # local: no key needed


def test_local_endpoint_sends_max_tokens_in_body(openai_stub: OpenAIStub) -> None:
    s = LLMSettings(
        model="qwen2.5-coder-0.5b", base_url=openai_stub.base_url, max_tokens=77, seed=5
    )
    chat = make_chat_model(s)
    reply = chat.invoke([HumanMessage("hello")])
    assert reply.content == "ok"
    body = openai_stub.requests[0]
    assert body["max_tokens"] == 77  # llama.cpp reads this key, not max_completion_tokens
    assert "max_completion_tokens" not in body
    assert body["seed"] == 5 and body["model"] == "qwen2.5-coder-0.5b"
    assert chat.openai_api_key.get_secret_value() == LOCAL_API_KEY_PLACEHOLDER  # type: ignore[attr-defined]


def test_structured_output_uses_function_calling(openai_stub: OpenAIStub) -> None:
    openai_stub.queue(200, completion(tool=("PlainBatch", {"sentences": ["A.", "B."]})))
    chat = make_chat_model(LLMSettings(base_url=openai_stub.base_url))
    out = chat.with_structured_output(PlainBatch, method=STRUCTURED_OUTPUT_METHOD).invoke("x")
    assert out == PlainBatch(sentences=["A.", "B."])
    body = openai_stub.requests[0]
    assert body["tools"][0]["function"]["name"] == "PlainBatch"
    assert "response_format" not in body  # the json_schema method fails on llama.cpp


def test_openai_endpoint_uses_key_and_max_tokens_parameter() -> None:
    s = LLMSettings.load(env={"OPENAI_API_KEY": "sk-x"}, model="gpt-4o-mini", max_tokens=20)
    chat = make_chat_model(s)
    assert chat.max_tokens == 20  # type: ignore[attr-defined]
    assert not chat.extra_body  # type: ignore[attr-defined]
    assert chat.max_retries == 0  # type: ignore[attr-defined]  # retries live in the runner


# --- where OPENAI_API_KEY goes --------------------------------------------------------------


def _bearer(stub: OpenAIStub) -> str:
    return stub.headers[-1]["authorization"].removeprefix("Bearer ")


def test_key_is_not_sent_over_plain_http_to_loopback_without_opt_in(
    openai_stub: OpenAIStub,
) -> None:
    env = {"OPENAI_API_KEY": "sk-secret-1", "HILGEN_LLM_BASE_URL": openai_stub.base_url}
    s = LLMSettings.load(env=env)
    dest = key_destination(s)
    assert not dest.sent and "HILGEN_LLM_SEND_API_KEY=1" in dest.describe()
    make_chat_model(s).invoke([HumanMessage("hi")])
    assert _bearer(openai_stub) == LOCAL_API_KEY_PLACEHOLDER  # what really went over the wire


def test_key_is_sent_to_loopback_with_the_explicit_opt_in(openai_stub: OpenAIStub) -> None:
    env = {
        "OPENAI_API_KEY": "sk-secret-2",
        "HILGEN_LLM_BASE_URL": openai_stub.base_url,
        "HILGEN_LLM_SEND_API_KEY": "1",
    }
    s = LLMSettings.load(env=env)
    assert key_destination(s).sent
    make_chat_model(s).invoke([HumanMessage("hi")])
    assert _bearer(openai_stub) == "sk-secret-2"


@pytest.mark.parametrize(
    ("base_url", "sent", "shown"),
    [
        (None, True, OPENAI_API_URL),
        ("https://llm.example/v1", True, "https://llm.example/v1"),
        (
            "https://user:pw@llm.example/v1?api-key=k",
            True,
            "https://***@llm.example/v1?api-key=***",
        ),
        ("http://10.0.0.5:8000/v1", False, "http://10.0.0.5:8000/v1"),
        ("http://localhost:8000/v1", False, "http://localhost:8000/v1"),
        ("http://[::1]:8000/v1", False, "http://[::1]:8000/v1"),
    ],
)
def test_key_destination_rule(base_url: str | None, sent: bool, shown: str) -> None:
    s = LLMSettings.load(env={"OPENAI_API_KEY": "sk-x"}, model="gpt-4o-mini", base_url=base_url)
    dest = key_destination(s)
    assert (dest.sent, dest.endpoint) == (sent, shown)
    assert "sk-x" not in dest.describe() and "pw" not in dest.describe()
    chat = make_chat_model(s)
    sent_key = chat.openai_api_key.get_secret_value()  # type: ignore[attr-defined]
    assert sent_key == ("sk-x" if sent else LOCAL_API_KEY_PLACEHOLDER)


def test_key_is_never_sent_over_plain_http_to_another_host() -> None:
    env = {"OPENAI_API_KEY": "sk-x", "HILGEN_LLM_SEND_API_KEY": "true"}
    s = LLMSettings.load(env=env, base_url="http://user:pw@10.0.0.5:8000/v1")
    with pytest.raises(ConfigError, match="plain HTTP to another host") as info:
        check_settings(s)
    assert "pw" not in str(info.value) and "https://" in str(info.value)


def test_openai_base_url_does_not_redirect_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://attacker.example/v1")
    monkeypatch.setenv("OPENAI_API_BASE", "http://attacker.example/v1")
    s = LLMSettings.load(
        env={"OPENAI_API_KEY": "sk-x", "OPENAI_BASE_URL": "http://attacker.example/v1"},
        model="gpt-4o-mini",
    )
    assert s.base_url is None
    chat = make_chat_model(s)
    assert str(chat.root_client.base_url).startswith(OPENAI_API_URL)  # type: ignore[attr-defined]
    assert key_destination(s).describe().startswith(f"OPENAI_API_KEY: sent to {OPENAI_API_URL}")


def test_cache_params_hold_no_credentials() -> None:
    s = LLMSettings(base_url="https://u:secret@llm.example/v1?token=t0k")
    assert "secret" not in json.dumps(s.cache_params()) and "t0k" not in json.dumps(
        s.cache_params()
    )


def test_langsmith_tracing_is_switched_off_unless_opted_in(
    monkeypatch: pytest.MonkeyPatch, openai_stub: OpenAIStub
) -> None:
    env: dict[str, str] = {"LANGSMITH_TRACING": "true", "LANGCHAIN_TRACING_V2": "true"}
    assert disable_tracing(env) is False
    assert env["LANGSMITH_TRACING"] == env["LANGCHAIN_TRACING_V2"] == "false"
    opted = {"LANGSMITH_TRACING": "true", "HILGEN_LLM_TRACING": "1"}
    assert disable_tracing(opted) is True and opted["LANGSMITH_TRACING"] == "true"
    # the factory switches the real environment off before LangChain is used
    monkeypatch.setenv("LANGSMITH_TRACING", "true")
    monkeypatch.setenv("LANGCHAIN_TRACING_V2", "true")
    monkeypatch.delenv("HILGEN_LLM_TRACING", raising=False)
    make_chat_model(LLMSettings(base_url=openai_stub.base_url))
    assert os.environ["LANGSMITH_TRACING"] == "false"
    assert os.environ["LANGCHAIN_TRACING_V2"] == "false"
