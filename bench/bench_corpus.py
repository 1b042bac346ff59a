"""Corpus reading + converting speed (documents/s) on BC5CDR train, against a bare line read.

Figures: the best of ``repeats`` runs of (a) a bare read of every line of the same file (the
baseline), (b) ``read_pubtator`` (parse, sentence split, tokenise, align entities), (c) read +
write CoNLL, (d) read + write JSONL; each as documents/s and as a ratio to the baseline's time.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from hilgen_graph.corpus.conll import write_conll
from hilgen_graph.corpus.jsonl import write_jsonl
from hilgen_graph.corpus.pubtator import read_pubtator
from hilgen_graph.datasets import dataset_path


def _best(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Best wall-clock and best CPU seconds over ``repeats`` runs (CPU time is steadier when
    other jobs share the cores)."""
    wall = cpu = float("inf")
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall = min(wall, time.perf_counter() - w0)
        cpu = min(cpu, time.process_time() - c0)
    return wall, cpu


def run(quick: bool = False) -> dict[str, object]:
    path = dataset_path("bc5cdr", "train", "pubtator")
    repeats = 1 if quick else 5
    docs = len(read_pubtator(path).corpus.documents)

    def bare() -> int:
        n = 0
        with path.open(encoding="utf-8") as fh:
            for _line in fh:
                n += 1
        return n

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        timings = {
            "bare_line_read": _best(bare, repeats),
            "read_pubtator": _best(lambda: read_pubtator(path), repeats),
            "read_and_write_conll": _best(
                lambda: write_conll(read_pubtator(path).corpus, out / "train.tsv"), repeats
            ),
            "read_and_write_jsonl": _best(
                lambda: write_jsonl(read_pubtator(path).corpus, out / "train.jsonl"), repeats
            ),
        }
    base_wall, base_cpu = timings["bare_line_read"]
    return {
        "file": str(path),
        "documents": docs,
        "repeats": repeats,
        "wall_seconds": {k: round(w, 4) for k, (w, _) in timings.items()},
        "cpu_seconds": {k: round(c, 4) for k, (_, c) in timings.items()},
        "documents_per_second_wall": {k: round(docs / w, 1) for k, (w, _) in timings.items()},
        "documents_per_second_cpu": {
            k: round(docs / max(c, 1e-9), 1) for k, (_, c) in timings.items()
        },
        "wall_ratio_vs_bare_read": {k: round(w / base_wall, 1) for k, (w, _) in timings.items()},
        "cpu_ratio_vs_bare_read": {
            k: round(c / max(base_cpu, 1e-9), 1) for k, (_, c) in timings.items()
        },
    }
