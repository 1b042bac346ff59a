"""One factory for chat models: any OpenAI-compatible endpoint through ``langchain-openai``.

GPT models, vLLM, Ollama and the local llama.cpp server (``hilgen llm serve``) are one code
path: :func:`make_chat_model` builds a ``ChatOpenAI`` from :class:`LLMSettings`.

Settings come from, in increasing precedence: defaults, a YAML/JSON config file (its ``llm:``
section or the whole file), environment variables ``HILGEN_LLM_MODEL``, ``HILGEN_LLM_BASE_URL``
(or ``OPENAI_BASE_URL``), ``HILGEN_LLM_TEMPERATURE``, ``HILGEN_LLM_MAX_TOKENS``,
``HILGEN_LLM_TIMEOUT``, ``HILGEN_LLM_MAX_RETRIES``, ``HILGEN_LLM_SEED``, and explicit overrides
(CLI flags). The API key is read from ``OPENAI_API_KEY`` only, never from a file or a flag.

Known behaviour of the llama.cpp server: it ignores ``max_tokens`` unless the value travels in
``extra_body`` (``ChatOpenAI`` sends ``max_completion_tokens``), so for a custom ``base_url``
the limit is put there; ``with_structured_output`` must use ``method="function_calling"``
(:data:`STRUCTURED_OUTPUT_METHOD`).

Retries: ``ChatOpenAI``'s own retry loop is switched off (``max_retries=0``) so that retries
happen in one place, :mod:`hilgen_graph.llm.runner`, with backoff and classification of
transient versus permanent errors; ``LLMSettings.max_retries`` configures that loop.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic import ValidationError as PydanticValidationError

from hilgen_graph.errors import ConfigError

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
_ENV_FIELDS: dict[str, str] = {
    "model": "HILGEN_LLM_MODEL",
    "base_url": "HILGEN_LLM_BASE_URL",
    "temperature": "HILGEN_LLM_TEMPERATURE",
    "max_tokens": "HILGEN_LLM_MAX_TOKENS",
    "timeout": "HILGEN_LLM_TIMEOUT",
    "max_retries": "HILGEN_LLM_MAX_RETRIES",
    "seed": "HILGEN_LLM_SEED",
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
            "base_url": self.base_url,
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
        for field, env_var in _ENV_FIELDS.items():
            var: str = env_var
            raw = environ.get(var)
            if field == "base_url" and not raw:
                var = "OPENAI_BASE_URL"
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
    - ``max_tokens`` larger than the known context of a local model.
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
    otherwise). The client's own retries are off; use :mod:`hilgen_graph.llm.runner`.
    """
    check_settings(settings)
    from langchain_openai import ChatOpenAI

    kwargs: dict[str, Any] = {
        "model": settings.model,
        "temperature": settings.temperature,
        "timeout": settings.timeout,
        "max_retries": 0,
    }
    if settings.seed is not None:
        kwargs["seed"] = settings.seed
    if settings.base_url is not None:
        kwargs["base_url"] = settings.base_url
        key = settings.api_key.get_secret_value() if settings.api_key else None
        kwargs["api_key"] = key or LOCAL_API_KEY_PLACEHOLDER
        if settings.max_tokens is not None:
            kwargs["extra_body"] = {"max_tokens": settings.max_tokens}
    else:
        assert settings.api_key is not None  # guaranteed by check_settings
        kwargs["api_key"] = settings.api_key.get_secret_value()
        if settings.max_tokens is not None:
            kwargs["max_tokens"] = settings.max_tokens
    if cache is not None:
        kwargs["cache"] = cache
    if callbacks:
        kwargs["callbacks"] = list(callbacks)
    return ChatOpenAI(**kwargs)
