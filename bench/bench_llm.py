"""LLM runtime throughput: the runner against a fake model with a set latency, and cache replay.

- Generation throughput at concurrency 1, 4 and 16 (``run_tasks`` over ``LatencyChatModel``
  through LangChain's ``invoke``): calls/s, speed-up over concurrency 1 measured in the same
  process, and parallel efficiency (speed-up / concurrency; 1.0 is perfectly linear).
- Cache replay: the same calls answered from the on-disk ``LangChainDiskCache`` by a new model
  object (as in a rerun); replay calls/s and the ratio against the uncached calls at
  concurrency 1. Plus raw ``ReplyCache`` put/get rates.
- Real server (full run only): decode tokens/s of the local llama.cpp server for the installed
  default models (streamed; see ``hilgen llm speed``). Not a fake: it varies with CPU load.
- Marked-mode pipeline overhead (full run only, real server, in one run): the same marked
  prompts (NCBI-disease 5-shot, seed 1) sent straight to the server as structured calls, then
  through the marked chain + funnel, both uncached at temperature 0; overhead = (chain - raw) /
  raw. The toolkit's own time (strip marks, spans, funnel) is also timed apart by replaying the
  replies through the chain, which does not depend on the server's speed.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from hilgen_graph.llm.cache import LangChainDiskCache, ReplyCache, cache_key
from hilgen_graph.llm.runner import run_tasks
from hilgen_graph.testing.fake_chat import LatencyChatModel


def _throughput(latency: float, calls: int, concurrency: int) -> dict[str, float]:
    model = LatencyChatModel(latency=latency)
    items = [
        (f"c{concurrency}-{i}", f"prompt {i} at concurrency {concurrency}") for i in range(calls)
    ]
    stats = run_tasks(lambda p: model.invoke(p), items, concurrency=concurrency)
    if stats.succeeded != calls:
        raise RuntimeError(f"only {stats.succeeded}/{calls} calls succeeded")
    return {
        "calls": calls,
        "seconds": round(stats.seconds, 4),
        "calls_per_s": round(calls / stats.seconds, 2),
        "max_in_flight": model.max_in_flight,
    }


def _cache_replay(latency: float, calls: int, root: Path) -> dict[str, float]:
    prompts = [f"cache prompt {i}" for i in range(calls)]
    writer = LatencyChatModel(latency=latency, cache=LangChainDiskCache(root / "lc"))
    t0 = time.perf_counter()
    for p in prompts:
        writer.invoke(p)
    miss_s = time.perf_counter() - t0
    reader = LatencyChatModel(latency=latency, cache=LangChainDiskCache(root / "lc"))
    t0 = time.perf_counter()
    for p in prompts:
        reader.invoke(p)
    hit_s = time.perf_counter() - t0
    if reader.calls != 0:
        raise RuntimeError(f"cache replay reached the model {reader.calls} times")
    raw = ReplyCache(root / "raw")
    keys = [cache_key("m", {"t": 0.7}, p, seed=1) for p in prompts]
    t0 = time.perf_counter()
    for k, p in zip(keys, prompts, strict=True):
        raw.put(k, {"text": p * 10})
    put_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for k in keys:
        raw.get(k)
    get_s = time.perf_counter() - t0
    return {
        "calls": calls,
        "uncached_calls_per_s": round(calls / miss_s, 2),
        "replay_calls_per_s": round(calls / hit_s, 2),
        "replay_speedup_vs_uncached": round(miss_s / hit_s, 1),
        "replay_ms_per_call": round(1000 * hit_s / calls, 3),
        "reply_cache_put_per_s": round(calls / put_s, 1),
        "reply_cache_get_per_s": round(calls / get_s, 1),
    }


def _real_server(names: tuple[str, ...], max_tokens: int) -> dict[str, Any]:
    """Decode tokens/s of the real llama.cpp server per installed model (skipped if absent)."""
    from hilgen_graph.llm.model_files import find_model
    from hilgen_graph.llm.server import measure_speed, running_server

    out: dict[str, Any] = {}
    for name in names:
        if find_model(name) is None:
            out[name] = "skipped: not installed (hilgen llm install --model " + name + ")"
            continue
        with running_server(name) as info:
            r = measure_speed(info.base_url, max_tokens=max_tokens)
        out[name] = {
            "completion_tokens": r.completion_tokens,
            "decode_tokens_per_s": round(r.tokens_per_second, 1),
            "first_token_s": round(r.first_token_seconds, 3),
            "seconds": round(r.seconds, 2),
        }
    return out


def marked_overhead(
    model_name: str = "qwen2.5-coder-0.5b", max_requests: int = 6, per_seed: int = 3
) -> dict[str, Any]:
    """Raw structured calls vs the marked chain + funnel on the same prompts (see the module
    docstring). Needs the installed model and the data directory."""
    import os

    from hilgen_graph.agents.chains import (
        ChainSettings,
        StructuredCaller,
        build_marked_chain,
        chat_prompt,
    )
    from hilgen_graph.agents.generate import GenerateConfig, build_marked_requests, seed_sentences
    from hilgen_graph.datasets import dataset_path
    from hilgen_graph.graph.backends import build_free_store, open_store
    from hilgen_graph.llm.model_files import find_model
    from hilgen_graph.llm.models import LLMSettings, make_chat_model
    from hilgen_graph.llm.server import running_server
    from hilgen_graph.prompts import load_template
    from hilgen_graph.testing.fake_chat import ScriptedChatModel
    from hilgen_graph.validation.funnel import Funnel

    if find_model(model_name) is None:
        return {"skipped": f"{model_name} is not installed (hilgen llm install --model ...)"}
    template = load_template("marked-rewrite")
    with tempfile.TemporaryDirectory(prefix="hilgen-bench-marked-") as tmp:
        build_free_store(Path(tmp) / "kg")
        store = open_store("embedded", path=Path(tmp) / "kg")
        try:
            cfg = GenerateConfig(
                corpus=dataset_path("ncbi_disease", "train", "conll"),
                out=Path(tmp) / "x.jsonl",
                per_seed=per_seed,
                collapse_to="Disease",
                concepts_per_layer=1,
            )
            items, _ = build_marked_requests(seed_sentences(cfg), template, store, cfg, ["Disease"])
            reqs = [r for _, (_, r) in items][:max_requests]
            prompt = chat_prompt(template)
            settings = ChainSettings(model_name, 0.0, max_repairs=0)
            load0 = os.getloadavg()
            with running_server(model_name) as info:
                llm_settings = LLMSettings.load(
                    model=model_name,
                    base_url=info.base_url,
                    temperature=0.0,
                    max_tokens=256,
                    timeout=900.0,
                    seed=1,
                )
                chat = make_chat_model(llm_settings, cache=None)
                from hilgen_graph.agents.marked import marked_schema

                caller = StructuredCaller(chat, marked_schema(per_seed), max_repairs=0)
                t0 = time.perf_counter()
                raws = []
                for r in reqs:
                    _, replies = caller(prompt.invoke(r.values()).to_messages(), "generate")
                    raws.append(replies[-1])
                raw_s = time.perf_counter() - t0
                chain = build_marked_chain(chat, template, Funnel(store), settings)
                t0 = time.perf_counter()
                results = [chain.invoke(r) for r in reqs]
                chain_s = time.perf_counter() - t0
            # the toolkit alone: the recorded replies replayed through the chain and funnel
            import json as _json

            from hilgen_graph.testing.fake_chat import tool_call_reply

            script = []
            for rep_ in raws:
                try:
                    args = _json.loads(rep_.raw)["arguments"]
                except (ValueError, KeyError, TypeError):
                    args = {"sentences": ["(no reply)"] * per_seed}
                script.append(tool_call_reply("MarkedBatch", args))
            fake = ScriptedChatModel(script=script)
            replay = build_marked_chain(fake, template, Funnel(store), settings)
            t0 = time.perf_counter()
            for r in reqs:
                replay.invoke(r)
            toolkit_s = time.perf_counter() - t0
        finally:
            store.close()
    candidates = sum(len(x.results) for x in results)
    return {
        "model": model_name,
        "requests": len(reqs),
        "candidates": candidates,
        "accepted": sum(1 for x in results for y in x.results if y.accepted),
        "raw_structured_calls_s": round(raw_s, 2),
        "chain_plus_funnel_s": round(chain_s, 2),
        "overhead_vs_raw": round((chain_s - raw_s) / raw_s, 4) if raw_s else None,
        "toolkit_only_s": round(toolkit_s, 3),
        "toolkit_share_of_raw": round(toolkit_s / raw_s, 4) if raw_s else None,
        "load_before": [round(x, 2) for x in load0],
        "load_after": [round(x, 2) for x in os.getloadavg()],
    }


def run(quick: bool = False) -> dict[str, Any]:
    latency = 0.05
    calls = 48 if quick else 160
    levels = (1, 4, 16)
    results: dict[str, Any] = {"fake_latency_s": latency, "concurrency": {}}
    base: float | None = None
    for c in levels:
        r = _throughput(latency, calls, c)
        if base is None:
            base = r["calls_per_s"]
        r["speedup_vs_c1"] = round(r["calls_per_s"] / base, 2)
        r["efficiency"] = round(r["speedup_vs_c1"] / c, 3)
        results["concurrency"][str(c)] = r
    with tempfile.TemporaryDirectory(prefix="hilgen-bench-llm-") as tmp:
        results["cache"] = _cache_replay(latency, 40 if quick else 100, Path(tmp))
    if not quick:  # llama.cpp slows 5-40x when other processes use the CPU: read with care
        results["real_server"] = _real_server(("smollm2-135m", "qwen2.5-coder-0.5b"), 128)
        results["marked_overhead"] = marked_overhead()
    return results


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick=True), indent=2))
