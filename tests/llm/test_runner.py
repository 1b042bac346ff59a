"""Bounded concurrency, retry with exponential backoff on transient errors, stop on permanent."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import openai
import pytest
from langchain_core.exceptions import OutputParserException
from tests.support.openai_stub import OpenAIStub, completion

from hilgen_graph.errors import GenerationError
from hilgen_graph.llm.models import LLMSettings, make_chat_model
from hilgen_graph.llm.runlog import RunLog, RunRecord
from hilgen_graph.llm.runner import (
    RetryPolicy,
    TaskResult,
    call_with_retry,
    classify_error,
    run_tasks,
)
from hilgen_graph.testing.fake_chat import FailingChatModel, LatencyChatModel, openai_error


@pytest.mark.parametrize(
    ("exc", "retryable"),
    [
        (openai_error("timeout"), True),
        (openai_error("rate_limit"), True),
        (openai_error("connection"), True),
        (openai_error("server"), True),
        (openai_error("auth"), False),
        (openai_error("bad_request"), False),
        (TimeoutError("slow"), True),
        (ConnectionRefusedError("refused"), True),
        (httpx.ReadTimeout("read timed out"), True),
        (GenerationError("already classified", retryable=True), True),
    ],
)
def test_classify_error(exc: Exception, retryable: bool) -> None:
    err = classify_error(exc)
    assert isinstance(err, GenerationError) and err.retryable is retryable
    if not isinstance(exc, GenerationError):
        assert err.__cause__ is exc
    if not retryable:
        assert "permanent" in str(err)


def test_backoff_is_exponential_and_capped() -> None:
    pol = RetryPolicy(max_retries=6, initial_delay=0.5, multiplier=2, max_delay=5, jitter=0)
    assert [pol.delay(i) for i in range(6)] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
    jittered = RetryPolicy(initial_delay=1.0, jitter=0.1)
    assert all(0.9 <= jittered.delay(0) <= 1.1 for _ in range(50))
    with pytest.raises(GenerationError, match="invalid retry policy"):
        RetryPolicy(multiplier=0.5)


def test_transient_errors_are_retried_with_backoff() -> None:
    model = FailingChatModel.failing_then(["timeout", "rate_limit", "server"], "finally")
    waits: list[float] = []
    reply, attempts = call_with_retry(
        lambda: model.invoke("x"),
        RetryPolicy(max_retries=3, initial_delay=0.1, jitter=0),
        sleep=waits.append,
    )
    assert reply.content == "finally" and attempts == 4
    assert waits == [0.1, 0.2, 0.4]


def test_retries_run_out() -> None:
    model = FailingChatModel.failing_then(["timeout"] * 3, "never")
    with pytest.raises(GenerationError, match="gave up after 3 attempts") as info:
        call_with_retry(lambda: model.invoke("x"), RetryPolicy(max_retries=2), sleep=lambda s: None)
    assert info.value.retryable and model.calls == 3


def test_permanent_error_is_not_retried() -> None:
    model = FailingChatModel.failing_then(["auth"], "never")
    with pytest.raises(GenerationError, match="authentication failed") as info:
        call_with_retry(lambda: model.invoke("x"), sleep=lambda s: pytest.fail("slept"))
    assert not info.value.retryable and model.calls == 1


def test_bugs_and_item_errors_pass_through_unchanged() -> None:
    with pytest.raises(KeyError):
        call_with_retry(lambda: {}["missing"])
    with pytest.raises(OutputParserException):
        call_with_retry(
            lambda: (_ for _ in ()).throw(OutputParserException("bad")),
            item_errors=(OutputParserException,),
        )


def test_real_http_errors_from_chat_model(openai_stub: OpenAIStub) -> None:
    """A 429 then a 200 from a real HTTP server: retried once; a 401 stops at once."""
    chat = make_chat_model(LLMSettings(base_url=openai_stub.base_url))
    openai_stub.queue(429, {"error": {"message": "slow down"}})
    openai_stub.queue(200, completion("hello"))
    waits: list[float] = []
    reply, attempts = call_with_retry(lambda: chat.invoke("x"), sleep=waits.append)
    assert reply.content == "hello" and attempts == 2 and len(waits) == 1
    openai_stub.queue(401, {"error": {"message": "bad key"}})
    with pytest.raises(GenerationError) as info:
        call_with_retry(lambda: chat.invoke("x"), sleep=waits.append)
    assert not info.value.retryable and "401" in str(info.value)
    assert len(openai_stub.requests) == 3  # the client itself did not retry


def test_connection_refused_is_transient() -> None:
    from hilgen_graph.llm.server import free_port

    chat = make_chat_model(LLMSettings(base_url=f"http://127.0.0.1:{free_port()}/v1", timeout=5))
    with pytest.raises(GenerationError, match="connection") as info:
        call_with_retry(lambda: chat.invoke("x"), RetryPolicy(max_retries=1), sleep=lambda s: None)
    assert info.value.retryable


def test_run_tasks_bounds_concurrency_and_reports_everything() -> None:
    model = LatencyChatModel(latency=0.02)
    seen: list[str] = []
    stats = run_tasks(
        lambda p: model.invoke(p).content,
        [(f"id{i}", f"prompt {i}") for i in range(24)],
        concurrency=4,
        on_result=lambda r: seen.append(r.id),
    )
    assert stats.succeeded == 24 and stats.failed == 0 and stats.submitted == 24
    assert 1 < model.max_in_flight <= 4
    assert sorted(seen) == sorted(f"id{i}" for i in range(24))


def test_run_tasks_skips_done_ids_and_duplicates(tmp_path: Path) -> None:
    log = RunLog(tmp_path)
    log.append(RunRecord(id="a"))
    stats = run_tasks(
        lambda x: x * 2,
        [("a", 1), ("b", 2), ("b", 2), ("c", 3)],
        skip_ids=log.done_ids(),
        on_result=lambda r: log.append(RunRecord(id=r.id, payload={"v": r.value})),
    )
    assert stats.succeeded == 2 and stats.skipped == 2
    assert {r.id: r.payload for r in log.records()} == {"a": {}, "b": {"v": 4}, "c": {"v": 6}}


def test_item_errors_fail_only_their_item() -> None:
    def fn(x: int) -> int:
        if x == 3:
            raise OutputParserException("unparseable reply", llm_output="{{{")
        return x

    results: list[TaskResult[int]] = []
    stats = run_tasks(
        fn,
        [(str(i), i) for i in range(6)],
        item_errors=(OutputParserException,),
        on_result=results.append,
    )
    assert stats.succeeded == 5 and stats.failed == 1
    failed = [r for r in results if not r.ok]
    assert failed[0].id == "3" and isinstance(failed[0].error, OutputParserException)


def test_permanent_error_stops_the_run() -> None:
    started: list[int] = []
    lock = threading.Lock()

    def fn(x: int) -> int:
        with lock:
            started.append(x)
        if x == 2:
            raise openai_error("auth")
        return x

    with pytest.raises(GenerationError, match="authentication") as info:
        run_tasks(fn, [(str(i), i) for i in range(100)], concurrency=2)
    assert not info.value.retryable
    assert len(started) < 10  # no new item starts after the stop

    stats = run_tasks(fn, [(str(i), i) for i in range(100)], concurrency=2, raise_on_stop=False)
    assert stats.stopped_by is not None and stats.submitted < 10


def test_transient_errors_inside_the_pool_are_retried() -> None:
    failures = {"a": 2, "b": 1}
    lock = threading.Lock()

    def fn(x: str) -> str:
        with lock:
            if failures.get(x, 0) > 0:
                failures[x] -= 1
                raise openai_error("rate_limit")
        return x.upper()

    retried: list[tuple[str, int]] = []
    stats = run_tasks(
        fn,
        [(x, x) for x in "abc"],
        policy=RetryPolicy(max_retries=3, initial_delay=0),
        on_retry=lambda i, n, e, d: retried.append((i, n)),
    )
    assert stats.succeeded == 3 and stats.retries == 3
    assert sorted(retried) == [("a", 0), ("a", 1), ("b", 0)]
    assert {r.id: r.attempts for r in stats.results} == {"a": 3, "b": 2, "c": 1}


def test_bug_in_task_is_raised_unchanged() -> None:
    with pytest.raises(ZeroDivisionError):
        run_tasks(lambda x: 1 // x, [("0", 0), ("1", 1)])


def test_openai_error_classes_are_the_ones_clients_raise() -> None:
    assert issubclass(type(openai_error("timeout")), openai.APIConnectionError)
