"""Bounded concurrency with retry and exponential backoff, and a clear stop on permanent errors.

- :func:`classify_error` turns any exception of an LLM call into a ``GenerationError`` whose
  ``retryable`` flag says whether trying again can help: timeouts, rate limits (HTTP 429),
  connection errors and server errors (5xx) are transient; authentication (401), permission
  (403), unknown model (404) and bad requests (400/422) are permanent.
- :func:`call_with_retry` runs one call, retrying transient errors with exponential backoff
  and jitter (:class:`RetryPolicy`), and raises the classified error otherwise.
- :func:`run_tasks` maps a function over ``(id, item)`` pairs on a thread pool with at most
  ``concurrency`` calls in flight, each call under :func:`call_with_retry`. Results come back
  through ``on_result`` in the calling thread (write them to a :class:`RunLog` there) and as a
  list. A permanent error, or a transient one that outlived its retries, stops the run: no new
  item starts, the calls in flight finish and are reported, and the ``GenerationError`` is
  raised (a resumable run continues from there on the next start). Exceptions of the types in
  ``item_errors`` (e.g. a parse failure of one reply) fail only their item.
"""

from __future__ import annotations

import importlib
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from hilgen_graph.errors import GenerationError, HilgenError

I = TypeVar("I")  # noqa: E741
R = TypeVar("R")

_TRANSIENT_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}
_PERMANENT_STATUS = {400, 401, 403, 404, 405, 413, 415, 422}


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: delay ``initial_delay * multiplier**attempt`` capped at ``max_delay``,
    with +/- ``jitter`` relative noise; at most ``max_retries`` retries after the first try."""

    max_retries: int = 3
    initial_delay: float = 0.5
    multiplier: float = 2.0
    max_delay: float = 30.0
    jitter: float = 0.1

    def __post_init__(self) -> None:
        if self.max_retries < 0 or self.initial_delay < 0 or self.multiplier < 1:
            raise GenerationError(
                f"invalid retry policy {self}: max_retries >= 0, initial_delay >= 0 and "
                "multiplier >= 1 are required"
            )

    @classmethod
    def from_settings(cls, settings: Any, **overrides: Any) -> RetryPolicy:
        """From ``LLMSettings`` (its ``max_retries``)."""
        return cls(max_retries=int(settings.max_retries), **overrides)

    def delay(self, retry: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry number ``retry`` (0-based)."""
        base = min(self.max_delay, self.initial_delay * self.multiplier**retry)
        if self.jitter <= 0 or base == 0:
            return base
        r = (rng or random).uniform(-self.jitter, self.jitter)
        return max(0.0, base * (1 + r))


def _status_code(exc: BaseException) -> int | None:
    code = getattr(exc, "status_code", None)
    if isinstance(code, int):
        return code
    response = getattr(exc, "response", None)
    code = getattr(response, "status_code", None)
    return code if isinstance(code, int) else None


def is_llm_call_error(exc: BaseException) -> bool:
    """True for errors of the model endpoint or the network (as opposed to bugs in a chain)."""
    if isinstance(exc, GenerationError | TimeoutError | ConnectionError):
        return True
    if _status_code(exc) is not None:
        return True
    try:
        import openai

        if isinstance(exc, openai.APIError):
            return True
    except ImportError:  # pragma: no cover
        pass
    return _is_http_transport_error(exc)


def _is_http_transport_error(exc: BaseException) -> bool:
    for module in ("httpx2", "httpx"):
        try:
            lib = importlib.import_module(module)
        except ImportError:
            continue
        if isinstance(exc, lib.TimeoutException | lib.TransportError):
            return True
    return False


def classify_error(exc: BaseException) -> GenerationError:
    """A ``GenerationError`` for ``exc`` with ``retryable`` set; ``exc`` kept as ``__cause__``.

    A ``GenerationError`` passes through unchanged.
    """
    if isinstance(exc, GenerationError):
        return exc
    name = type(exc).__name__
    detail = str(exc) or name
    retryable: bool | None = None
    kind = name
    try:
        import openai
    except ImportError:  # pragma: no cover - langchain-openai depends on openai
        openai = None  # type: ignore[assignment]
    if openai is not None:
        if isinstance(exc, openai.APITimeoutError):
            retryable, kind = True, "timeout"
        elif isinstance(exc, openai.APIConnectionError):
            retryable, kind = True, "connection error"
        elif isinstance(exc, openai.RateLimitError):
            retryable, kind = True, "rate limit (HTTP 429)"
        elif isinstance(exc, openai.AuthenticationError):
            retryable, kind = False, "authentication failed (HTTP 401)"
        elif isinstance(exc, openai.PermissionDeniedError):
            retryable, kind = False, "permission denied (HTTP 403)"
        elif isinstance(exc, openai.NotFoundError):
            retryable, kind = False, "not found (HTTP 404): unknown model or wrong base URL"
    if retryable is None:
        status = _status_code(exc)
        if status in _TRANSIENT_STATUS:
            retryable, kind = True, f"HTTP {status}"
        elif status in _PERMANENT_STATUS:
            retryable, kind = False, f"HTTP {status}"
        elif isinstance(exc, TimeoutError | ConnectionError) or _is_http_transport_error(exc):
            retryable, kind = True, name
    if retryable is None:
        retryable = False
    hint = (
        "transient: retried with backoff"
        if retryable
        else "permanent: check the API key (OPENAI_API_KEY), model name and base URL"
    )
    err = GenerationError(f"LLM call failed: {kind}: {detail} ({hint})", retryable=retryable)
    err.__cause__ = exc
    return err


def call_with_retry(
    fn: Callable[[], R],
    policy: RetryPolicy | None = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[int, GenerationError, float], None] | None = None,
    item_errors: tuple[type[BaseException], ...] = (),
    rng: random.Random | None = None,
) -> tuple[R, int]:
    """Call ``fn`` until it succeeds; returns ``(result, attempts)``.

    Transient errors are retried up to ``policy.max_retries`` times (``on_retry(retry, error,
    delay)`` is told before each wait); endpoint and network errors are raised as the
    classified ``GenerationError``; anything else (``item_errors``, other ``HilgenError``,
    bugs) is re-raised at once unchanged.
    """
    pol = policy or RetryPolicy()
    retry = 0
    while True:
        try:
            return fn(), retry + 1
        except item_errors:
            raise
        except Exception as exc:
            if not is_llm_call_error(exc):
                raise
            gen_err = classify_error(exc)
        if not gen_err.retryable or retry >= pol.max_retries:
            if gen_err.retryable:
                final = GenerationError(
                    f"{gen_err} — gave up after {retry + 1} attempts", retryable=True
                )
                final.__cause__ = gen_err.__cause__ or gen_err
                raise final
            raise gen_err
        delay = pol.delay(retry, rng)
        if on_retry is not None:
            on_retry(retry, gen_err, delay)
        sleep(delay)
        retry += 1


@dataclass
class TaskResult(Generic[R]):
    """The outcome of one item: ``value`` or ``error`` (an item error or a GenerationError)."""

    id: str
    value: R | None = None
    error: BaseException | None = None
    attempts: int = 1
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class RunStats:
    """Counts of one :func:`run_tasks` call."""

    submitted: int = 0
    succeeded: int = 0
    failed: int = 0
    skipped: int = 0
    retries: int = 0
    seconds: float = 0.0
    stopped_by: GenerationError | None = None
    results: list[TaskResult[Any]] = field(default_factory=list)


def run_tasks(
    fn: Callable[[I], R],
    items: Iterable[tuple[str, I]],
    *,
    concurrency: int = 4,
    policy: RetryPolicy | None = None,
    on_result: Callable[[TaskResult[R]], None] | None = None,
    on_retry: Callable[[str, int, GenerationError, float], None] | None = None,
    skip_ids: set[str] | frozenset[str] = frozenset(),
    item_errors: tuple[type[BaseException], ...] = (),
    sleep: Callable[[float], None] = time.sleep,
    raise_on_stop: bool = True,
) -> RunStats:
    """Run ``fn(item)`` for each ``(id, item)`` with at most ``concurrency`` in flight.

    Items whose id is in ``skip_ids`` (e.g. ``runlog.done_ids()``) are skipped. ``on_result``
    is called in the calling thread as each item finishes (in completion order). On a
    permanent error, or a transient one past its retries, no new item starts, the ones in
    flight finish, and the error is raised (or, with ``raise_on_stop=False``, returned in
    ``RunStats.stopped_by``).
    """
    if concurrency < 1:
        raise GenerationError(f"concurrency must be at least 1, got {concurrency}")
    pol = policy or RetryPolicy()
    stats = RunStats()
    lock = threading.Lock()
    started = time.perf_counter()

    def one(item_id: str, item: I) -> TaskResult[R]:
        t0 = time.perf_counter()

        def retried(retry: int, err: GenerationError, delay: float) -> None:
            with lock:
                stats.retries += 1
            if on_retry is not None:
                on_retry(item_id, retry, err, delay)

        try:
            value, attempts = call_with_retry(
                lambda: fn(item), pol, sleep=sleep, on_retry=retried, item_errors=item_errors
            )
            return TaskResult(item_id, value, None, attempts, time.perf_counter() - t0)
        except BaseException as err:  # reported to the caller's thread
            return TaskResult(item_id, None, err, 1, time.perf_counter() - t0)

    stop: GenerationError | None = None
    unexpected: BaseException | None = None
    source: Iterator[tuple[str, I]] = iter(items)
    seen: set[str] = set()

    def next_item() -> tuple[str, I] | None:
        for item_id, item in source:
            if item_id in skip_ids or item_id in seen:
                stats.skipped += 1
                continue
            seen.add(item_id)
            return item_id, item
        return None

    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="hilgen-llm") as pool:
        in_flight: set[Future[TaskResult[R]]] = set()
        exhausted = False
        while True:
            while (
                not exhausted
                and stop is None
                and unexpected is None
                and (len(in_flight) < concurrency)
            ):
                nxt = next_item()
                if nxt is None:
                    exhausted = True
                    break
                in_flight.add(pool.submit(one, *nxt))
                stats.submitted += 1
            if not in_flight:
                break
            done, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
            for fut in done:
                res = fut.result()
                err = res.error
                if err is None:
                    stats.succeeded += 1
                elif isinstance(err, item_errors) or (
                    isinstance(err, HilgenError) and not isinstance(err, GenerationError)
                ):
                    stats.failed += 1
                elif isinstance(err, GenerationError):
                    stats.failed += 1
                    stop = stop or err
                else:  # a bug in fn: stop and re-raise it unchanged
                    stats.failed += 1
                    unexpected = unexpected or err
                stats.results.append(res)
                if on_result is not None:
                    on_result(res)
    stats.seconds = time.perf_counter() - started
    if unexpected is not None:
        raise unexpected
    if stop is not None:
        stats.stopped_by = stop
        if raise_on_stop:
            raise stop
    return stats
