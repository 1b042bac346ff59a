"""Which precision a run uses: ``auto`` resolves to bf16 only where bfloat16 is native."""

from __future__ import annotations

import pytest
import torch

from hilgen_graph.errors import EvaluationError
from hilgen_graph.evaluation import precision
from hilgen_graph.evaluation.precision import autocast, resolve_precision

CPU = torch.device("cpu")


def test_explicit_precisions_are_kept_and_unknown_ones_refused() -> None:
    assert resolve_precision("fp32", CPU) == "fp32"
    assert resolve_precision("bf16", CPU) == "bf16"
    with pytest.raises(EvaluationError, match="unknown precision 'half'; available: fp32"):
        resolve_precision("half", CPU)


@pytest.mark.parametrize(("native", "expected"), [(True, "bf16"), (False, "fp32")])
def test_auto_follows_the_cpu(monkeypatch: pytest.MonkeyPatch, native: bool, expected: str) -> None:
    monkeypatch.setattr(precision, "cpu_has_native_bf16", lambda: native)
    assert resolve_precision("auto", CPU) == expected


def test_cpu_flags_name_native_bfloat16() -> None:
    head = "processor\t: 0\nflags\t\t: "
    assert precision.cpuinfo_has_native_bf16(head + "fpu sse2 avx512f avx512_bf16\n")
    assert precision.cpuinfo_has_native_bf16(head + "fpu avx512f amx_bf16 amx_tile\n")
    assert not precision.cpuinfo_has_native_bf16(head + "fpu sse2 avx2 fma avx512f\n")
    assert not precision.cpuinfo_has_native_bf16("processor\t: 0\n")


def test_bf16_autocast_runs_matrix_products_in_bfloat16() -> None:
    a = torch.randn(4, 8)
    with autocast(CPU, "bf16"):
        assert (a @ a.T).dtype == torch.bfloat16
    with autocast(CPU, "fp32"):
        assert (a @ a.T).dtype == torch.float32
