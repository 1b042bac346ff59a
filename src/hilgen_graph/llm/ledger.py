"""Token and cost ledger per run.

Every chat call adds its input/output tokens to the ledger of its model; replies replayed from
the cache are counted apart and cost nothing. Prices are USD per million tokens, configurable
per model (:class:`PriceTable`), and 0 for local models (any endpoint with a custom base URL,
and every model without a price entry).

Use it as a LangChain callback (``make_chat_model(settings, callbacks=[ledger.callback()])``)
or call :meth:`Ledger.record_message` yourself. ``ledger.save(path)`` writes the summary
atomically; ``Ledger.load(path)`` continues the totals of a resumed run.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, LLMResult
from pydantic import BaseModel, ConfigDict, Field

from hilgen_graph.atomic import write_json
from hilgen_graph.errors import ConfigError
from hilgen_graph.llm.cache import CACHE_HIT_FLAG


class Price(BaseModel):
    """USD per million input and output tokens."""

    model_config = ConfigDict(frozen=True)

    input_per_million: float = Field(default=0.0, ge=0.0)
    output_per_million: float = Field(default=0.0, ge=0.0)

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return (
            input_tokens * self.input_per_million + output_tokens * self.output_per_million
        ) / 1_000_000


FREE = Price()


class PriceTable(BaseModel):
    """Prices by model name; unknown models cost 0 (local servers)."""

    model_config = ConfigDict(frozen=True)

    prices: dict[str, Price] = Field(default_factory=dict)

    def price(self, model: str) -> Price:
        return self.prices.get(model, FREE)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> PriceTable:
        """From ``{model: {input_per_million: x, output_per_million: y}}``."""
        try:
            return cls(prices={k: Price.model_validate(v) for k, v in data.items()})
        except Exception as err:
            raise ConfigError(
                f"invalid price table: {err}; expected "
                "{model: {input_per_million: X, output_per_million: Y}}"
            ) from err

    @classmethod
    def from_file(cls, path: str | Path) -> PriceTable:
        """From a JSON or YAML file holding the mapping (or a ``prices:`` section)."""
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"price file {p} does not exist")
        text = p.read_text(encoding="utf-8")
        try:
            if p.suffix.lower() == ".json":
                data = json.loads(text)
            else:
                import yaml

                data = yaml.safe_load(text)
        except Exception as err:
            raise ConfigError(f"{p}: cannot parse price file: {err}") from err
        if isinstance(data, dict) and isinstance(data.get("prices"), dict):
            data = data["prices"]
        if not isinstance(data, dict):
            raise ConfigError(f"{p}: a price file must be a mapping of model -> prices")
        return cls.from_mapping(data)


class ModelUsage(BaseModel):
    """Counts for one model."""

    calls: int = 0
    cached_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0
    cached_output_tokens: int = 0
    cost_usd: float = 0.0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


class LedgerSummary(BaseModel):
    """The ledger of one run: per model, and totals."""

    run_id: str = ""
    per_model: dict[str, ModelUsage] = Field(default_factory=dict)

    @property
    def calls(self) -> int:
        return sum(u.calls for u in self.per_model.values())

    @property
    def cached_calls(self) -> int:
        return sum(u.cached_calls for u in self.per_model.values())

    @property
    def input_tokens(self) -> int:
        return sum(u.input_tokens for u in self.per_model.values())

    @property
    def output_tokens(self) -> int:
        return sum(u.output_tokens for u in self.per_model.values())

    @property
    def cost_usd(self) -> float:
        return sum(u.cost_usd for u in self.per_model.values())

    def totals(self) -> dict[str, Any]:
        """A flat dict for reports: calls, cached_calls, input/output tokens, cost_usd."""
        return {
            "calls": self.calls,
            "cached_calls": self.cached_calls,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": round(self.cost_usd, 6),
        }


def usage_from_message(message: BaseMessage) -> tuple[int, int]:
    """(input, output) tokens of a reply: ``usage_metadata``, else OpenAI ``token_usage``."""
    if isinstance(message, AIMessage) and message.usage_metadata:
        u = message.usage_metadata
        return int(u.get("input_tokens", 0)), int(u.get("output_tokens", 0))
    meta = getattr(message, "response_metadata", {}) or {}
    tu = meta.get("token_usage") or meta.get("usage") or {}
    return int(tu.get("prompt_tokens", 0) or 0), int(tu.get("completion_tokens", 0) or 0)


class Ledger:
    """Thread-safe token and cost counts of one run."""

    def __init__(
        self,
        prices: PriceTable | None = None,
        *,
        run_id: str = "",
        default_model: str | None = None,
        local: bool = False,
    ) -> None:
        """``default_model`` names the calls (else the reply's ``model_name``); ``local=True``
        makes every call free whatever the price table says."""
        self.prices = prices or PriceTable()
        self.default_model = default_model
        self.local = local
        self._summary = LedgerSummary(run_id=run_id)
        self._lock = threading.Lock()

    def record(
        self, model: str, input_tokens: int, output_tokens: int, *, cached: bool = False
    ) -> None:
        """Add one call. Cached calls count their tokens apart and cost nothing."""
        with self._lock:
            usage = self._summary.per_model.setdefault(model, ModelUsage())
            if cached:
                usage.cached_calls += 1
                usage.cached_input_tokens += input_tokens
                usage.cached_output_tokens += output_tokens
                return
            usage.calls += 1
            usage.input_tokens += input_tokens
            usage.output_tokens += output_tokens
            if not self.local:
                usage.cost_usd += self.prices.price(model).cost(input_tokens, output_tokens)

    def record_message(
        self, message: BaseMessage, *, model: str | None = None, cached: bool = False
    ) -> None:
        """Add one call from its reply message, under ``model``, else the ledger's
        ``default_model``, else the reply's ``model_name``."""
        meta = getattr(message, "response_metadata", {}) or {}
        name = model or self.default_model or meta.get("model_name") or "unknown"
        n_in, n_out = usage_from_message(message)
        self.record(str(name), n_in, n_out, cached=cached)

    def summary(self) -> LedgerSummary:
        """A copy of the counts so far."""
        with self._lock:
            return self._summary.model_copy(deep=True)

    def callback(self) -> LedgerCallback:
        """A LangChain callback handler that records every chat call into this ledger."""
        return LedgerCallback(self)

    def save(self, path: str | Path) -> None:
        """Write the summary as JSON atomically (with flat totals for people)."""
        s = self.summary()
        write_json(Path(path), {**s.model_dump(mode="json"), "totals": s.totals()})

    @classmethod
    def load(
        cls,
        path: str | Path,
        prices: PriceTable | None = None,
        *,
        local: bool = False,
        default_model: str | None = None,
    ) -> Ledger:
        """A ledger continuing the counts saved at ``path`` (a fresh one if it does not exist)."""
        p = Path(path)
        ledger = cls(prices, local=local, default_model=default_model)
        if p.is_file():
            try:
                data = json.loads(p.read_text(encoding="utf-8"))
                data.pop("totals", None)
                ledger._summary = LedgerSummary.model_validate(data)
            except Exception as err:
                raise ConfigError(
                    f"{p}: cannot read the run ledger ({err}); how to fix: delete it to "
                    "start the counts afresh"
                ) from err
        return ledger


class LedgerCallback(BaseCallbackHandler):
    """Records each chat call's usage into a :class:`Ledger` (cache replays marked cached)."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        for gens in response.generations:
            for gen in gens:
                cached = bool((gen.generation_info or {}).get(CACHE_HIT_FLAG))
                if isinstance(gen, ChatGeneration):
                    self.ledger.record_message(gen.message, cached=cached)
                else:
                    self.ledger.record(self.ledger.default_model or "unknown", 0, 0, cached=cached)
