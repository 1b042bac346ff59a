"""One factory for chat models: any OpenAI-compatible endpoint through ``langchain-openai``.

GPT models, vLLM, Ollama and the local llama.cpp server (``hilgen llm serve``) are one code
path: :func:`make_chat_model` builds a ``ChatOpenAI`` from :class:`LLMSettings`.

Settings come from, in increasing precedence: defaults, a YAML/JSON config file (its ``llm:``
section or the whole file), environment variables ``HILGEN_LLM_MODEL``, ``HILGEN_LLM_BASE_URL``,
``HILGEN_LLM_TEMPERATURE``, ``HILGEN_LLM_MAX_TOKENS``, ``HILGEN_LLM_TIMEOUT``,
``HILGEN_LLM_MAX_RETRIES``, ``HILGEN_LLM_SEED``, ``HILGEN_LLM_SEND_API_KEY``, and explicit
overrides (CLI flags). The API key is read from ``OPENAI_API_KEY`` only, never from a file or a
flag.

Where the key goes (:func:`key_destination`, said in a log line and by the CLI): to the OpenAI
API (``https://api.openai.com/v1``, named explicitly so that neither ``OPENAI_BASE_URL`` nor
``OPENAI_API_BASE`` can redirect it), to a custom ``base_url`` over https, or to a plain-HTTP
endpoint on the loopback interface only when ``send_api_key`` is set
(``HILGEN_LLM_SEND_API_KEY=1``); never over plain HTTP to another host. ``OPENAI_BASE_URL``
is not read at all: an endpoint is chosen with ``--base-url`` or ``HILGEN_LLM_BASE_URL``.
Endpoints that do not get the key get a placeholder.

LangSmith tracing (which would upload prompts, corpus sentences and replies) is switched off
explicitly before LangChain is used (:func:`disable_tracing`) unless ``HILGEN_LLM_TRACING=1``.

Known behaviour of the llama.cpp server: it ignores ``max_tokens`` unless the value travels in
``extra_body`` (``ChatOpenAI`` sends ``max_completion_tokens``), so for a custom ``base_url``
the limit is put there; ``with_structured_output`` must use ``method="function_calling"``
(:data:`STRUCTURED_OUTPUT_METHOD`).

Retries: ``ChatOpenAI``'s own retry loop is switched off (``max_retries=0``) so that retries
happen in one place, :mod:`hilgen_graph.llm.runner`, with backoff and classification of
transient versus permanent errors; ``LLMSettings.max_retries`` configures that loop.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic import ValidationError as PydanticValidationError

from hilgen_graph.errors import ConfigError
from hilgen_graph.redact import redact_url

if TYPE_CHECKING:
    from langchain_core.caches import BaseCache
    from langchain_core.callbacks import BaseCallbackHandler
    from langchain_core.language_models import BaseChatModel

#: ``with_structured_output`` method that works on every OpenAI-compatible server we use.
STRUCTURED_OUTPUT_METHOD: Literal["function_calling"] = "function_calling"

#: Placeholder key sent to local servers that do not check keys (llama.cpp, vLLM, Ollama).
LOCAL_API_KEY_PLACEHOLDER = "sk-local-no-key"

ENV_PREFIX = "HILGEN_LLM_"
API_KEY_ENV = "OPENAI_API_KEY"
#: The endpoint of the OpenAI API, passed explicitly (the SDK would read ``OPENAI_BASE_URL``).
OPENAI_API_URL = "https://api.openai.com/v1"
SEND_KEY_ENV = "HILGEN_LLM_SEND_API_KEY"
#: Environment variables of the OpenAI SDK / LangChain that would pick the endpoint silently.
IGNORED_ENDPOINT_ENV = ("OPENAI_BASE_URL", "OPENAI_API_BASE")
TRACING_OPT_IN_ENV = "HILGEN_LLM_TRACING"
#: LangSmith's switches (old and new names); set to "false" unless the user opted in.
TRACING_ENV = ("LANGCHAIN_TRACING_V2", "LANGCHAIN_TRACING", "LANGSMITH_TRACING")

_log = logging.getLogger(__name__)
_ENV_FIELDS: dict[str, str] = {
    "model": "HILGEN_LLM_MODEL",
    "base_url": "HILGEN_LLM_BASE_URL",
    "temperature": "HILGEN_LLM_TEMPERATURE",
    "max_tokens": "HILGEN_LLM_MAX_TOKENS",
    "timeout": "HILGEN_LLM_TIMEOUT",
    "max_retries": "HILGEN_LLM_MAX_RETRIES",
    "seed": "HILGEN_LLM_SEED",
    "send_api_key": SEND_KEY_ENV,
}


class LLMSettings(BaseModel):
    """Typed settings of one chat model endpoint.

    ``base_url=None`` means the OpenAI API itself (needs ``OPENAI_API_KEY``). A local server
    started by ``hilgen llm serve`` is reached with ``base_url="http://127.0.0.1:PORT/v1"``;
    its ``model`` is then only a label (the server serves one file).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str = Field(default="qwen2.5-coder-0.5b", min_length=1)
    base_url: str | None = None
    api_key: SecretStr | None = Field(default=None, exclude=True, repr=False)
    temperature: float = Field(default=0.7, ge=0.0, le=2.0)
    max_tokens: int | None = Field(default=512, gt=0)
    timeout: float = Field(default=120.0, gt=0.0)
    max_retries: int = Field(default=3, ge=0, le=20)
    seed: int | None = None
    #: send ``OPENAI_API_KEY`` to a plain-HTTP ``base_url`` on loopback (off: a placeholder)
    send_api_key: bool = False

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(
                f"base_url {value!r} must be an http(s) URL such as http://127.0.0.1:8080/v1"
            )
        return value.rstrip("/")

    @property
    def is_local(self) -> bool:
        """True when the endpoint is not the OpenAI API (a custom ``base_url``)."""
        return self.base_url is not None

    def cache_params(self) -> dict[str, Any]:
        """The parameters that change a reply (for cache keys and provenance); no secrets."""
        return {
            "model": self.model,
            "base_url": redact_url(self.base_url) if self.base_url else None,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "seed": self.seed,
        }

    @classmethod
    def load(
        cls,
        config_path: str | Path | None = None,
        *,
        env: Mapping[str, str] | None = None,
        **overrides: Any,
    ) -> LLMSettings:
        """Settings from defaults < config file < environment < ``overrides`` (``None`` = unset).

        ``ConfigError`` names the offending field and its source when a value is invalid, and
        refuses an ``api_key`` in a config file or in ``overrides`` (secrets come from
        ``OPENAI_API_KEY`` only).
        """
        environ = os.environ if env is None else env
        values: dict[str, Any] = {}
        source: dict[str, str] = {}
        if config_path is not None:
            file_values = _read_config(Path(config_path))
            values.update(file_values)
            source.update({k: str(config_path) for k in file_values})
        for field, var in _ENV_FIELDS.items():
            raw = environ.get(var)
            if raw not in (None, ""):
                values[field] = raw
                source[field] = f"${var}"
        for key, value in overrides.items():
            if value is not None:
                values[key] = value
                source[key] = "argument"
        if "api_key" in values:
            raise ConfigError(
                f"api_key given in {source['api_key']}: secrets are read from the environment "
                f"only; how to fix: remove it there and export {API_KEY_ENV}"
            )
        api_key = environ.get(API_KEY_ENV)
        if api_key:
            values["api_key"] = SecretStr(api_key)
        unknown = sorted(set(values) - set(cls.model_fields))
        if unknown:
            allowed = ", ".join(k for k in cls.model_fields if k != "api_key")
            raise ConfigError(
                f"unknown LLM setting(s) {unknown} in "
                f"{', '.join(sorted({source.get(k, '?') for k in unknown}))}; allowed: {allowed}"
            )
        try:
            return cls(**values)
        except PydanticValidationError as err:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])} (from "
                f"{source.get(str(e['loc'][0]), 'default')}): {e['msg']}"
                for e in err.errors()
            )
            raise ConfigError(f"invalid LLM settings: {problems}") from err


def is_loopback(host: str | None) -> bool:
    """True for ``localhost`` and loopback IP addresses (127.0.0.0/8, ::1)."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class KeyDestination:
    """Whether ``OPENAI_API_KEY`` is sent, to which endpoint (credentials redacted), and why."""

    sent: bool
    endpoint: str
    reason: str

    def describe(self) -> str:
        """One line for the log and the run summary, e.g. ``OPENAI_API_KEY: sent to URL (...)``."""
        verb = "sent to" if self.sent else "not sent to"
        return f"{API_KEY_ENV}: {verb} {self.endpoint} ({self.reason})"


def key_destination(settings: LLMSettings) -> KeyDestination:
    """Where the API key of ``settings`` goes (see the module docstring for the rule)."""
    endpoint = redact_url(settings.base_url) if settings.base_url else OPENAI_API_URL
    if settings.api_key is None:
        return KeyDestination(False, endpoint, "it is not set")
    if settings.base_url is None:
        return KeyDestination(True, endpoint, "the OpenAI API, over https")
    parsed = urlparse(settings.base_url)
    if parsed.scheme == "https":
        return KeyDestination(True, endpoint, "over https")
    if is_loopback(parsed.hostname):
        if settings.send_api_key:
            return KeyDestination(True, endpoint, f"plain HTTP on loopback, {SEND_KEY_ENV}=1")
        return KeyDestination(
            False,
            endpoint,
            f"plain HTTP; a placeholder key is sent instead; set {SEND_KEY_ENV}=1 to send "
            "the key to this loopback server",
        )
    return KeyDestination(
        False, endpoint, "plain HTTP to another host; a placeholder key is sent instead"
    )


def disable_tracing(environ: os._Environ[str] | dict[str, str] | None = None) -> bool:
    """Switch LangSmith tracing off (its environment switches set to ``"false"``) unless
    ``HILGEN_LLM_TRACING=1`` opts in; returns whether tracing stays allowed."""
    env = os.environ if environ is None else environ
    if env.get(TRACING_OPT_IN_ENV, "").strip().lower() in ("1", "true", "yes"):
        return True
    for var in TRACING_ENV:
        env[var] = "false"
    return False


def _read_config(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"LLM config file {path} does not exist")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except Exception as err:  # json.JSONDecodeError or yaml.YAMLError
        raise ConfigError(f"{path}: cannot parse LLM config: {err}") from err
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: LLM config must be a mapping, got {type(data).__name__}")
    section = data.get("llm", data)
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: the 'llm' section must be a mapping")
    return dict(section)


def check_settings(settings: LLMSettings) -> None:
    """Reject impossible combinations with a precise message (``ConfigError``).

    - the OpenAI API (no ``base_url``) without ``OPENAI_API_KEY``;
    - a local model name from :mod:`model_files` (e.g. ``qwen2.5-coder-0.5b``) without a
      ``base_url``: such a model is only reachable through ``hilgen llm serve``;
    - ``max_tokens`` larger than the known context of a local model;
    - ``send_api_key`` for a plain-HTTP endpoint that is not on loopback.
    """
    from hilgen_graph.llm.model_files import KNOWN_MODELS

    if settings.base_url is None:
        if settings.model in KNOWN_MODELS:
            raise ConfigError(
                f"model {settings.model!r} is a local GGUF model but no base_url is set; "
                f"how to fix: start it with `hilgen llm serve --model {settings.model} "
                "--background` and pass --base-url http://127.0.0.1:PORT/v1 (printed by serve)"
            )
        if settings.api_key is None:
            raise ConfigError(
                f"model {settings.model!r} on the OpenAI API needs {API_KEY_ENV} in the "
                "environment; how to fix: export it, or pass --base-url for a local "
                "OpenAI-compatible server"
            )
    if settings.send_api_key and settings.base_url is not None:
        parsed = urlparse(settings.base_url)
        if parsed.scheme != "https" and not is_loopback(parsed.hostname):
            raise ConfigError(
                f"{SEND_KEY_ENV} is set but {redact_url(settings.base_url)} is plain HTTP to "
                f"another host: {API_KEY_ENV} would travel unencrypted; how to fix: use an "
                f"https:// base URL, or unset {SEND_KEY_ENV}"
            )
    if settings.max_tokens is not None and settings.max_tokens > 32768:
        raise ConfigError(
            f"max_tokens={settings.max_tokens} is larger than any context we serve (32768)"
        )


def make_chat_model(
    settings: LLMSettings,
    *,
    cache: BaseCache | bool | None = None,
    callbacks: Sequence[BaseCallbackHandler] | None = None,
) -> BaseChatModel:
    """A ``ChatOpenAI`` for ``settings`` (after :func:`check_settings`).

    ``cache``: a LangChain cache such as :class:`hilgen_graph.llm.cache.LangChainDiskCache`
    (replies are then replayed from disk), ``False`` to disable, ``None`` for none.
    ``callbacks``: e.g. ``[ledger.callback()]`` to count tokens per run.
    For a custom ``base_url`` ``max_tokens`` travels in ``extra_body`` (llama.cpp ignores it
    otherwise). The client's own retries are off; use :mod:`hilgen_graph.llm.runner`. The API
    key goes only where :func:`key_destination` says (logged at INFO); LangSmith tracing is
    switched off first (:func:`disable_tracing`).
    """
    check_settings(settings)
    disable_tracing()
    from langchain_openai import ChatOpenAI

    destination = key_destination(settings)
    _log.info(destination.describe())
    key = settings.api_key.get_secret_value() if settings.api_key else None

    kwargs: dict[str, Any] = {
        "model": settings.model,
        "temperature": settings.temperature,
        "timeout": settings.timeout,
        "max_retries": 0,
    }
    if settings.seed is not None:
        kwargs["seed"] = settings.seed
    kwargs["api_key"] = key if destination.sent and key else LOCAL_API_KEY_PLACEHOLDER
    if settings.base_url is not None:
        kwargs["base_url"] = settings.base_url
        if settings.max_tokens is not None:
            kwargs["extra_body"] = {"max_tokens": settings.max_tokens}
    else:
        kwargs["base_url"] = OPENAI_API_URL  # never $OPENAI_BASE_URL / $OPENAI_API_BASE
        if settings.max_tokens is not None:
            kwargs["max_tokens"] = settings.max_tokens
    if cache is not None:
        kwargs["cache"] = cache
    if callbacks:
        kwargs["callbacks"] = list(callbacks)
    return ChatOpenAI(**kwargs)
