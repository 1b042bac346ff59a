"""The numeric precision of forward passes: float32, or bfloat16 autocast where it is native.

``fp32``: plain float32. ``bf16``: every forward pass (training, dev checks, test inference,
nnshot support sets) runs under ``torch.autocast`` in bfloat16: matrix products in bfloat16,
while weights, gradients, the optimiser state and the loss stay float32. ``auto``: ``bf16``
where the hardware computes bfloat16 natively (a CPU with AVX512-BF16 or AMX-BF16, a GPU that
supports it), else ``fp32``; the precision a run used is recorded in its ``result.json``.

Measured on the 2-core development machine (AMD EPYC with AVX512-BF16, MiniLM, one thread):
training steps about 2.4x and inference about 2.5x faster in bf16; the same grid cells' test F1
moved by -0.02 points on average, under one point in every cell (README "Evaluation"). Where
bfloat16 is emulated (CPUs without those instructions) it is slower than float32: ``auto``.
"""

from __future__ import annotations

import functools
import platform
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Literal, get_args

import torch

from hilgen_graph.errors import EvaluationError

Precision = Literal["fp32", "bf16", "auto"]
PRECISIONS: tuple[str, ...] = get_args(Precision)
NATIVE_BF16_FLAGS = ("avx512_bf16", "amx_bf16")


def cpuinfo_has_native_bf16(text: str) -> bool:
    """Whether a ``/proc/cpuinfo`` text lists bfloat16 dot-product instructions."""
    for line in text.splitlines():
        if line.startswith("flags"):
            flags = set(line.partition(":")[2].split())
            return any(f in flags for f in NATIVE_BF16_FLAGS)
    return False


@functools.cache
def cpu_has_native_bf16() -> bool:
    """Whether this CPU has bfloat16 dot-product instructions (Linux: ``/proc/cpuinfo`` flags;
    elsewhere unknown, so False)."""
    if platform.system() != "Linux":
        return False
    try:
        return cpuinfo_has_native_bf16(Path("/proc/cpuinfo").read_text(errors="replace"))
    except OSError:
        return False


def native_bf16(device: torch.device) -> bool:
    if device.type == "cuda":
        return bool(torch.cuda.is_bf16_supported())
    return device.type == "cpu" and cpu_has_native_bf16()


def resolve_precision(precision: str, device: torch.device) -> str:
    """``fp32`` or ``bf16`` for ``precision`` on ``device`` (``auto``: bf16 where native)."""
    if precision not in PRECISIONS:
        raise EvaluationError(
            f"unknown precision {precision!r}; available: {', '.join(PRECISIONS)}"
        )
    if precision == "auto":
        return "bf16" if native_bf16(device) else "fp32"
    return precision


def autocast(device: torch.device, precision: str) -> AbstractContextManager[object]:
    """The autocast context for a resolved ``precision`` (``fp32``: a no-op context)."""
    return torch.autocast(
        device_type=device.type,
        dtype=torch.bfloat16,
        enabled=resolve_precision(precision, device) == "bf16",
    )
