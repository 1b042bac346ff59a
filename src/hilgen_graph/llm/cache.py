"""Content-addressed on-disk cache of LLM replies, so that a rerun costs nothing.

A key is the sha256 of a canonical JSON of (model, parameters, sha256 of the prompt text, seed);
an entry is one JSON file ``<root>/<key[:2]>/<key>.json`` written atomically (temporary file +
``os.replace``), so concurrent writers and killed runs never leave a half-written entry.

Two ways to use it:

- :class:`ReplyCache` directly: ``key = cache_key(model, params, prompt, seed)``,
  ``cache.get(key)`` / ``cache.put(key, payload)`` for any JSON payload (a chain's whole result).
- :class:`LangChainDiskCache`, a ``langchain_core`` ``BaseCache`` over a ``ReplyCache``: pass it
  as ``make_chat_model(settings, cache=LangChainDiskCache())`` and every chat call (structured
  output included) is replayed from disk. LangChain's ``llm_string`` holds the model, its
  parameters (temperature, seed, max tokens, base URL) and the bound tools. Replayed
  generations carry ``generation_info["hilgen_cache_hit"] = True`` (the ledger counts them as
  free).
"""

from __future__ import annotations

import hashlib
import json
import threading
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from langchain_core.caches import RETURN_VAL_TYPE, BaseCache

from hilgen_graph.atomic import write_json
from hilgen_graph.errors import ConfigError
from hilgen_graph.settings import cache_dir

CACHE_FORMAT = 1
CACHE_HIT_FLAG = "hilgen_cache_hit"


def default_cache_root() -> Path:
    """``cache_dir()/llm-replies``."""
    return cache_dir() / "llm-replies"


def text_hash(text: str) -> str:
    """sha256 hex of a prompt text (UTF-8)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def cache_key(
    model: str,
    params: Mapping[str, Any],
    prompt: str | Sequence[str],
    seed: int | None = None,
) -> str:
    """The content address of one call: sha256 of (model, params, prompt-text hash, seed).

    ``prompt`` is the full prompt text (or the texts of its messages, in order); ``params`` must
    be JSON-serialisable (temperature, max_tokens, template hash, ...).
    """
    texts = [prompt] if isinstance(prompt, str) else list(prompt)
    prompt_hash = text_hash("\x1e".join(texts))
    payload = {
        "format": CACHE_FORMAT,
        "model": model,
        "params": dict(params),
        "prompt_sha256": prompt_hash,
        "seed": seed,
    }
    return hashlib.sha256(_canonical(payload).encode("utf-8")).hexdigest()


@dataclass
class CacheStats:
    """Hits, misses and writes since the cache object was made."""

    hits: int = 0
    misses: int = 0
    writes: int = 0


class ReplyCache:
    """A content-addressed store of JSON payloads under ``root`` (default
    ``cache_dir()/llm-replies``). Thread-safe; entries are immutable once written.
    """

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else default_cache_root()
        self.stats = CacheStats()
        self._lock = threading.Lock()

    def path_for(self, key: str) -> Path:
        if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
            raise ConfigError(f"cache key {key!r} is not a sha256 hex digest")
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> Any | None:
        """The payload stored under ``key``, or ``None``. A corrupt entry counts as a miss."""
        path = self.path_for(key)
        try:
            with path.open(encoding="utf-8") as fh:
                entry = json.load(fh)
            value = entry["payload"]
        except (OSError, ValueError, KeyError, TypeError):
            with self._lock:
                self.stats.misses += 1
            return None
        with self._lock:
            self.stats.hits += 1
        return value

    def put(self, key: str, payload: Any, *, meta: Mapping[str, Any] | None = None) -> Path:
        """Store a JSON-serialisable payload under ``key`` atomically; returns the entry path."""
        path = self.path_for(key)
        write_json(
            path, {"format": CACHE_FORMAT, "key": key, "meta": dict(meta or {}), "payload": payload}
        )
        with self._lock:
            self.stats.writes += 1
        return path

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.path_for(key).is_file()

    def __len__(self) -> int:
        if not self.root.is_dir():
            return 0
        return sum(1 for _ in self.root.glob("??/*.json"))

    def clear(self) -> int:
        """Delete every entry; returns how many were deleted."""
        n = 0
        if self.root.is_dir():
            for p in self.root.glob("??/*.json"):
                p.unlink()
                n += 1
        return n


#: Constructor arguments that do not change a reply, dropped from LangChain's ``llm_string``.
_NOT_REPLY_PARAMS = frozenset(
    {"request_timeout", "timeout", "max_retries", "openai_api_key", "api_key", "callbacks"}
)
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def normalize_llm_string(llm_string: str) -> str:
    """LangChain's ``llm_string`` without what does not change a reply.

    Drops timeouts, retry counts and key references, and replaces a loopback base URL by
    ``"local"``: ``hilgen llm serve`` picks a free port each time, and a rerun against a new
    port must still replay (the served model is named by ``model_name``). Strings that are
    not LangChain's serialised-constructor form are returned unchanged.
    """
    head, sep, tail = llm_string.partition("---")
    try:
        data = json.loads(head)
    except ValueError:
        return llm_string
    if not isinstance(data, dict) or not isinstance(data.get("kwargs"), dict):
        return llm_string
    kwargs = {k: v for k, v in data["kwargs"].items() if k not in _NOT_REPLY_PARAMS}
    for url_key in ("openai_api_base", "base_url"):
        url = kwargs.get(url_key)
        if isinstance(url, str) and urlparse(url).hostname in _LOOPBACK_HOSTS:
            kwargs[url_key] = "local"
    data = {**data, "kwargs": kwargs}
    return json.dumps(data, sort_keys=True) + sep + tail


class LangChainDiskCache(BaseCache):
    """LangChain's cache interface over a :class:`ReplyCache`.

    The key is ``cache_key(model=normalize_llm_string(llm_string), params={}, prompt=prompt)``:
    LangChain's ``llm_string`` already holds the model name, every parameter (seed included)
    and the bound tools. Generations are stored with ``langchain_core.load.dumpd`` and restored with
    ``load``.
    """

    def __init__(self, store: ReplyCache | str | Path | None = None) -> None:
        self.store = store if isinstance(store, ReplyCache) else ReplyCache(store)

    @staticmethod
    def key(prompt: str, llm_string: str) -> str:
        return cache_key(normalize_llm_string(llm_string), {}, prompt)

    def lookup(self, prompt: str, llm_string: str) -> RETURN_VAL_TYPE | None:
        from langchain_core.load import load
        from langchain_core.messages import AIMessage
        from langchain_core.outputs import ChatGeneration, Generation

        payload = self.store.get(self.key(prompt, llm_string))
        if payload is None:
            return None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # `load` is marked beta
                generations = [
                    load(g, allowed_objects=[ChatGeneration, Generation, AIMessage])
                    for g in payload
                ]
        except Exception:  # an entry written by an incompatible langchain: treat as a miss
            return None
        for gen in generations:
            gen.generation_info = {**(gen.generation_info or {}), CACHE_HIT_FLAG: True}
        return generations

    def update(self, prompt: str, llm_string: str, return_val: RETURN_VAL_TYPE) -> None:
        from langchain_core.load import dumpd

        self.store.put(
            self.key(prompt, llm_string),
            [dumpd(g) for g in return_val],
            meta={"llm_string_sha256": text_hash(llm_string)},
        )

    def clear(self, **kwargs: Any) -> None:
        self.store.clear()
