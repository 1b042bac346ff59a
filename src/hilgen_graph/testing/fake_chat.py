"""Fake chat models for unit tests and benchmarks (fakes only at the LLM boundary).

- :class:`ScriptedChatModel`: replies from a script (a list, cycled or not), thread-safe; its
  ``bind_tools`` returns the model itself so ``with_structured_output(schema,
  method="function_calling")`` works. Script entries are ``AIMessage`` (see
  :func:`tool_call_reply`, :func:`invalid_args_reply`, :func:`broken_json_reply`,
  :func:`text_reply`), plain strings, or exceptions (raised when reached).
- :class:`LatencyChatModel`: sleeps a set latency then replies (sync: ``time.sleep``; async:
  ``asyncio.sleep``), for throughput benchmarks of the runner and the cache.
- :class:`FailingChatModel`: raises scripted real ``openai`` errors (timeouts, rate limits,
  connection errors, authentication) before answering, to test retry and stop.

Every reply carries ``usage_metadata`` so the token ledger has something to count.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

ScriptEntry = AIMessage | str | BaseException


def _approx_tokens(text: str) -> int:
    """A rough token count (~4 characters per token) for fake usage metadata."""
    return max(1, (len(text) + 3) // 4)


def _prompt_text(messages: Sequence[BaseMessage]) -> str:
    return "\n".join(str(m.content) for m in messages)


def _with_usage(message: AIMessage, prompt: str) -> AIMessage:
    if message.usage_metadata:
        return message
    out_text = str(message.content) + "".join(json.dumps(tc["args"]) for tc in message.tool_calls)
    n_in, n_out = _approx_tokens(prompt), _approx_tokens(out_text)
    return message.model_copy(
        update={
            "usage_metadata": {
                "input_tokens": n_in,
                "output_tokens": n_out,
                "total_tokens": n_in + n_out,
            }
        }
    )


def _schema_name(schema: Any) -> str:
    if isinstance(schema, type) and issubclass(schema, BaseModel):
        return schema.__name__
    if isinstance(schema, dict):
        return str(schema.get("title") or schema.get("name") or "output")
    return str(getattr(schema, "__name__", schema))


def tool_call_reply(name: str | type[BaseModel], args: dict[str, Any] | BaseModel) -> AIMessage:
    """A well-formed function-calling reply: one tool call ``name(args)``.

    ``name`` may be the pydantic schema given to ``with_structured_output``; ``args`` may be an
    instance of it.
    """
    tool = _schema_name(name) if not isinstance(name, str) else name
    payload = args.model_dump(mode="json") if isinstance(args, BaseModel) else dict(args)
    return AIMessage(
        content="",
        tool_calls=[
            {
                "name": tool,
                "args": payload,
                "id": f"call_{uuid.uuid4().hex[:12]}",
                "type": "tool_call",
            }
        ],
    )


def invalid_args_reply(name: str | type[BaseModel], args: dict[str, Any]) -> AIMessage:
    """A tool call whose JSON parses but does not fit the schema (pydantic rejects it)."""
    return tool_call_reply(name, args)


def broken_json_reply(name: str | type[BaseModel], raw_arguments: str) -> AIMessage:
    """A tool call whose arguments are not valid JSON, as a real OpenAI reply carries it.

    The structured-output parser raises ``OutputParserException`` on it (with the raw text).
    """
    tool = _schema_name(name) if not isinstance(name, str) else name
    return AIMessage(
        content="",
        additional_kwargs={
            "tool_calls": [
                {
                    "id": f"call_{uuid.uuid4().hex[:12]}",
                    "type": "function",
                    "function": {"name": tool, "arguments": raw_arguments},
                }
            ]
        },
    )


def text_reply(text: str) -> AIMessage:
    """A plain text reply without any tool call (structured output then parses to ``None``)."""
    return AIMessage(content=text)


class ScriptedChatModel(GenericFakeChatModel):
    """Replies from ``script`` in order; ``cycle=True`` repeats it, else it raises when done.

    Thread-safe (the runner calls it from several threads). ``bind_tools`` returns ``self`` so
    ``with_structured_output(schema, method="function_calling")`` works; the bound tools are
    recorded in ``bound_tools``. ``prompts`` records the text of every call's messages.
    """

    messages: Iterator[AIMessage | str] = Field(default_factory=lambda: iter(()))
    script: list[Any] = Field(default_factory=list)
    cycle: bool = False
    model_name: str = "scripted-fake"

    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _script_iter: Iterator[Any] | None = PrivateAttr(default=None)
    _prompts: list[str] = PrivateAttr(default_factory=list)
    _bound: list[Any] = PrivateAttr(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "hilgen-scripted-fake"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name}

    @property
    def prompts(self) -> list[str]:
        return list(self._prompts)

    @property
    def bound_tools(self) -> list[Any]:
        return list(self._bound)

    @property
    def calls(self) -> int:
        return len(self._prompts)

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ScriptedChatModel:  # type: ignore[override]
        self._bound.extend(tools)
        return self

    def _next(self) -> Any:
        with self._lock:
            if self._script_iter is None:
                self._script_iter = (
                    itertools.cycle(self.script) if self.cycle else iter(self.script)
                )
            try:
                return next(self._script_iter)
            except StopIteration:
                raise RuntimeError(
                    f"ScriptedChatModel: the script of {len(self.script)} replies is used up "
                    "(give more replies or cycle=True)"
                ) from None

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        prompt = _prompt_text(messages)
        with self._lock:
            self._prompts.append(prompt)
        entry = self._next()
        if isinstance(entry, BaseException):
            raise entry
        message = AIMessage(content=entry) if isinstance(entry, str) else entry
        message = _with_usage(message, prompt)
        return ChatResult(generations=[ChatGeneration(message=message)])


class LatencyChatModel(BaseChatModel):
    """Answers after ``latency`` seconds with ``reply(prompt, n)`` (or an echo), thread-safe.

    ``reply`` may return a string or an ``AIMessage``. ``bind_tools`` returns ``self``.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    latency: float = 0.05
    reply: Callable[[str, int], AIMessage | str] | None = None
    model_name: str = "latency-fake"

    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _count: int = PrivateAttr(default=0)
    _max_in_flight: int = PrivateAttr(default=0)
    _in_flight: int = PrivateAttr(default=0)

    @property
    def _llm_type(self) -> str:
        return "hilgen-latency-fake"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "latency": self.latency}

    @property
    def calls(self) -> int:
        return self._count

    @property
    def max_in_flight(self) -> int:
        """The most calls that were running at the same time (to check bounded concurrency)."""
        return self._max_in_flight

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> LatencyChatModel:  # type: ignore[override]
        return self

    def _enter(self) -> int:
        with self._lock:
            self._count += 1
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)
            return self._count

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _answer(self, prompt: str, n: int) -> ChatResult:
        out = self.reply(prompt, n) if self.reply is not None else f"reply {n} to: {prompt[:60]}"
        message = AIMessage(content=out) if isinstance(out, str) else out
        return ChatResult(generations=[ChatGeneration(message=_with_usage(message, prompt))])

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        n = self._enter()
        try:
            time.sleep(self.latency)
        finally:
            self._leave()
        return self._answer(_prompt_text(messages), n)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        n = self._enter()
        try:
            await asyncio.sleep(self.latency)
        finally:
            self._leave()
        return self._answer(_prompt_text(messages), n)


def _http_module() -> Any:
    """The HTTP library ``openai`` is built on (``httpx2`` from openai 3, else ``httpx``)."""
    try:
        import httpx2

        return httpx2
    except ImportError:
        import httpx

        return httpx


FailureKind = Literal["timeout", "rate_limit", "connection", "server", "auth", "bad_request"]


def openai_error(kind: FailureKind, message: str = "") -> Exception:
    """A real ``openai`` exception of the given kind, as the HTTP client would raise it."""
    import openai

    httpx = _http_module()

    request = httpx.Request("POST", "http://127.0.0.1:1/v1/chat/completions")
    text = message or f"simulated {kind} error"
    if kind == "timeout":
        return openai.APITimeoutError(request=request)
    if kind == "connection":
        return openai.APIConnectionError(message=text, request=request)
    status = {"rate_limit": 429, "server": 503, "auth": 401, "bad_request": 400}[kind]
    response = httpx.Response(status, request=request, json={"error": {"message": text}})
    cls = {
        "rate_limit": openai.RateLimitError,
        "server": openai.InternalServerError,
        "auth": openai.AuthenticationError,
        "bad_request": openai.BadRequestError,
    }[kind]
    return cls(text, response=response, body={"error": {"message": text}})


class FailingChatModel(ScriptedChatModel):
    """A scripted model whose script usually starts with failures, e.g.
    ``FailingChatModel.failing_then(["timeout", "rate_limit"], reply)`` raises a timeout, then
    a rate limit, then answers ``reply``.
    """

    model_name: str = "failing-fake"

    @classmethod
    def failing_then(
        cls,
        failures: Sequence[FailureKind],
        reply: ScriptEntry | None = None,
        **kwargs: Any,
    ) -> FailingChatModel:
        script: list[Any] = [openai_error(kind) for kind in failures]
        if reply is not None:
            script.append(reply)
        return cls(script=script, **kwargs)
