"""Benchmark of the knowledge-graph arm: linking, the approximate term index, expansion.

Figures:

* ``free``: linking throughput (mentions/s) on the ``free`` graph with the real gold mentions of
  NCBI-disease and BC5CDR train: ``exact`` (store lookup, exact then normalised) and
  ``approximate`` (trigram index search), each against a baseline measured in the same process
  (a Python dict lookup of the normalised mention); index build time and size; linking coverage
  per method and dataset (corpus ids, then strings).
* ``synthetic``: a synthetic UMLS release (``graph_loader.synthetic_rrf``, 1M concepts / 4M
  MRCONSO rows; quick: 50k) loaded into the embedded store; in a fresh process: reading the
  term columns, building the index (seconds and peak RSS of that process), exact lookup and
  approximate search throughput.
* ``expansion``: synthetic sentences/s of the whole arm (link + layers + substitution + guard) on
  5-shot NCBI-disease and BC5CDR samples with the ``free`` graph.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import resource
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

FULL = {"concepts": 1_000_000}
QUICK = {"concepts": 50_000}
N_MENTIONS = 2000
TARGET_BUILD_S = 5.0
TARGET_RSS_MB = 2048


def _rate(n: int, seconds: float) -> float:
    return round(n / seconds, 1) if seconds > 0 else float("inf")


def _typo(text: str, rng: random.Random) -> str:
    if len(text) < 4:
        return text + "s"
    i = rng.randrange(1, len(text) - 1)
    return text[:i] + ("x" if text[i] != "x" else "y") + text[i + 1 :]


def _dict_baseline(mentions: Sequence[str], keys: dict[str, int]) -> float:
    from hilgen_graph.graph.normalize import normalize

    t0 = time.perf_counter()
    hits = sum(1 for m in mentions if normalize(m) in keys)
    del hits
    return time.perf_counter() - t0


def _peak_rss_mb() -> float:
    """High-water RSS of this process (``VmHWM``; unlike ``ru_maxrss`` it restarts at exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _index_child(store_dir: str, n: int) -> dict[str, Any]:
    """In a fresh process: read the store's terms, build the index, time lookups and search."""
    from hilgen_graph.graph.embedded import EmbeddedStore
    from hilgen_graph.grounding.store_index import term_columns
    from hilgen_graph.grounding.term_index import TermIndex

    rss0 = _peak_rss_mb()
    store = EmbeddedStore(store_dir)
    t0 = time.perf_counter()
    cids, norms = term_columns(store)
    read_s = time.perf_counter() - t0
    rss_read = _peak_rss_mb()
    t0, c0 = time.perf_counter(), time.process_time()
    index = TermIndex.build(cids, norms)
    build_s, build_cpu = time.perf_counter() - t0, time.process_time() - c0
    rss = _peak_rss_mb()
    del cids, norms
    rng = random.Random(0)
    names = [index.term(rng.randrange(len(index)))[0] for _ in range(n)]
    t0 = time.perf_counter()
    found = sum(1 for x in names if store.lookup(x))
    exact_s = time.perf_counter() - t0
    typos = [_typo(x, rng) for x in names]
    t0, c0 = time.perf_counter(), time.process_time()
    approx_hits = sum(1 for x in typos if index.search(x, threshold=0.5, limit=5))
    approx_s, approx_cpu = time.perf_counter() - t0, time.process_time() - c0
    keys = {index.term(i)[0]: i for i in range(len(index))}
    base_s = _dict_baseline(names, keys)
    store.close()
    return {
        "terms_indexed": len(index),
        "vocabulary_words": index.info.words,
        "index_megabytes": round(index.info.nbytes / 2**20, 1),
        "read_term_columns_seconds": round(read_s, 2),
        "index_build_seconds": round(build_s, 2),
        "index_build_cpu_seconds": round(build_cpu, 2),
        "peak_rss_mb_read_and_build": round(rss, 1),
        "peak_rss_mb_after_read": round(rss_read, 1),
        "rss_mb_at_start": round(rss0, 1),
        "load_average_1min": round(os.getloadavg()[0], 1),
        "exact_lookup_mentions_per_s": _rate(n, exact_s),
        "exact_found": found,
        "approximate_mentions_per_s": _rate(n, approx_s),
        "approximate_mentions_per_cpu_s": _rate(n, approx_cpu),
        "approximate_found_of_one_typo_names": approx_hits,
        "dict_baseline_mentions_per_s": _rate(n, base_s),
        "ratio_exact_to_dict_baseline": round(base_s / exact_s, 4) if exact_s else None,
        "ratio_approximate_to_exact": round(exact_s / approx_s, 3) if approx_s else None,
        "targets": {
            f"index_build<{TARGET_BUILD_S}s": build_s < TARGET_BUILD_S,
            f"index_build_cpu<{TARGET_BUILD_S}s": build_cpu < TARGET_BUILD_S,
            f"peak_rss<{TARGET_RSS_MB}MB": rss < TARGET_RSS_MB,
        },
    }


def _in_child(fn: Any, *args: Any) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        result: dict[str, Any] = pool.apply(fn, args)
    return result


def _free(store_dir: Path) -> dict[str, Any]:
    from hilgen_graph.corpus.load import load_corpus
    from hilgen_graph.corpus.records import Entity
    from hilgen_graph.graph.embedded import EmbeddedStore
    from hilgen_graph.grounding.linker import Linker
    from hilgen_graph.grounding.store_index import term_columns
    from hilgen_graph.grounding.term_index import TermIndex
    from hilgen_graph.settings import data_dir

    store = EmbeddedStore(store_dir)
    t0 = time.perf_counter()
    cids, norms = term_columns(store)
    read_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    index = TermIndex.build(cids, norms)
    build_s = time.perf_counter() - t0
    corpora = {
        "ncbi_disease": ("ner/ncbi_disease/original/NCBItrainset_corpus.txt", "Disease"),
        "bc5cdr": ("ner/bc5cdr/pubtator/CDR_TrainingSet.PubTator.txt", None),
    }
    coverage: dict[str, Any] = {}
    mentions: list[tuple[str, str]] = []
    for name, (rel, collapse) in corpora.items():
        sentences = load_corpus(data_dir() / rel, "pubtator", collapse_to=collapse).sentences
        t0 = time.perf_counter()
        report = Linker(store, index=index).link_sentences(sentences)
        seconds = time.perf_counter() - t0
        by_label: dict[str, dict[str, int]] = {}
        for link in report.links:
            counts = by_label.setdefault(link.entity.label, {})
            counts[link.method.value] = counts.get(link.method.value, 0) + 1
        coverage[name] = {
            "mentions": len(report.links),
            "coverage": round(report.coverage, 4),
            "by_method": report.by_method,
            "by_label_and_method": by_label,
            "seconds": round(seconds, 1),
        }
        mentions += sorted({(e.text, e.label) for s in sentences for e in s.entities})
    rng = random.Random(1)
    sample = rng.sample(mentions, min(N_MENTIONS, len(mentions)))
    exact_linker = Linker(store, use_corpus_ids=False)
    t0 = time.perf_counter()
    exact_found = sum(1 for text, label in sample if store.lookup(text))
    lookup_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    linked = 0
    for text, label in sample:
        linked += exact_linker.link(Entity(0, len(text), text, label)).linked
    exact_stage_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    approx_found = sum(1 for text, _ in sample if index.search(text, threshold=0.5, limit=5))
    approx_s = time.perf_counter() - t0
    keys = {index.term(i)[0]: i for i in range(len(index))}
    base_s = _dict_baseline([t for t, _ in sample], keys)
    store.close()
    return {
        "terms_indexed": len(index),
        "index": index.as_dict(),
        "read_term_columns_seconds": round(read_s, 2),
        "index_build_seconds": round(build_s, 2),
        "mentions_timed": len(sample),
        "exact_lookup_mentions_per_s": _rate(len(sample), lookup_s),
        "exact_lookup_found": exact_found,
        "exact_stage_with_group_check_mentions_per_s": _rate(len(sample), exact_stage_s),
        "approximate_mentions_per_s": _rate(len(sample), approx_s),
        "approximate_found": approx_found,
        "dict_baseline_mentions_per_s": _rate(len(sample), base_s),
        "ratio_exact_to_dict_baseline": round(base_s / lookup_s, 4) if lookup_s else None,
        "ratio_approximate_to_exact": round(lookup_s / approx_s, 3) if approx_s else None,
        "linking_coverage": coverage,
    }


def _expansion(store_dir: Path) -> dict[str, Any]:
    from hilgen_graph.corpus.load import load_corpus
    from hilgen_graph.corpus.sampling import sample_kshot, select
    from hilgen_graph.graph.embedded import EmbeddedStore
    from hilgen_graph.grounding.layers import LayerConfig
    from hilgen_graph.grounding.store_index import index_for_store
    from hilgen_graph.kg_arm.augment import KgConfig, augment_kg
    from hilgen_graph.settings import data_dir

    store = EmbeddedStore(store_dir)
    index = index_for_store(store, use_cache=False)
    out: dict[str, Any] = {}
    runs = {
        "ncbi_disease": ("ner/ncbi_disease/original/NCBItrainset_corpus.txt", "Disease"),
        "bc5cdr": ("ner/bc5cdr/pubtator/CDR_TrainingSet.PubTator.txt", None),
    }
    for name, (rel, collapse) in runs.items():
        sentences = load_corpus(data_dir() / rel, "pubtator", collapse_to=collapse).sentences
        sample = select(sentences, sample_kshot(sentences, 5, 1, "hilgen"))
        cfg = KgConfig(layer_config=LayerConfig(seed=1))
        records, report = augment_kg(sample, store, config=cfg, index=index)
        expand_s = report.seconds["expand"]
        out[name] = {
            "k_shot_sentences": len(sample),
            "entities": len(report.linking.links),
            "linked": len(report.linking.linked),
            "by_method": report.linking.by_method,
            "per_layer": {
                layer: {"made": c.made, "kept": c.kept, "dropped": sum(c.dropped.values())}
                for layer, c in report.layers.items()
            },
            "kept": len(records),
            "expand_seconds": round(expand_s, 2),
            "synthetic_sentences_per_s": _rate(report.made, expand_s),
        }
    store.close()
    return out


def run(quick: bool = False) -> dict[str, Any]:
    from hilgen_graph.graph.backends import build_free_store, load_store
    from hilgen_graph.graph_loader.sources import iter_source
    from hilgen_graph.testing.synthetic_rrf import SyntheticRrfSpec, write_synthetic_rrf

    tmp = Path(tempfile.mkdtemp(prefix="hilgen-bench-expansion-"))
    try:
        t0 = time.perf_counter()
        build_free_store(tmp / "free")
        free_build_s = time.perf_counter() - t0
        free = _free(tmp / "free")
        expansion = _expansion(tmp / "free")
        sizes = QUICK if quick else FULL
        spec = SyntheticRrfSpec().scaled(sizes["concepts"])
        t0 = time.perf_counter()
        release = write_synthetic_rrf(tmp / "META", spec)
        generate_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        load_store(iter_source("umls", umls_dir=release.meta_dir), "embedded", path=tmp / "syn")
        load_s = time.perf_counter() - t0
        shutil.rmtree(tmp / "META", ignore_errors=True)
        synthetic = _in_child(_index_child, str(tmp / "syn"), N_MENTIONS)
        return {
            "free": {"store_build_seconds": round(free_build_s, 1), **free},
            "expansion": expansion,
            "synthetic": {
                "concepts": spec.concepts,
                "mrconso_rows": spec.conso_rows,
                "generate_seconds": round(generate_s, 1),
                "store_load_seconds": round(load_s, 1),
                **synthetic,
            },
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick=True), indent=2))
