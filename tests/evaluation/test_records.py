"""Grid cells, shards and dev curves as typed records."""

from __future__ import annotations

import pytest

from hilgen_graph.errors import ConfigError
from hilgen_graph.evaluation.config import EvalConfig
from hilgen_graph.evaluation.records import DevCurve, Shard
from hilgen_graph.evaluation.runner import grid_cells


def _cfg() -> EvalConfig:
    return EvalConfig.model_validate(
        {
            "name": "t",
            "datasets": ["a", "b"],
            "seeds": [1, 2, 3],
            "variants": ["baseline", "kg:all", "kg:parents"],
            "variant_seeds": {"kg:parents": [1]},
        }
    )


def test_cells_follow_variant_seeds_in_canonical_order() -> None:
    cells = grid_cells(_cfg())
    assert len(cells) == 2 * (3 + 3 + 1)
    assert [(c.seed, c.variant) for c in cells[:7]] == [
        (1, "baseline"),
        (2, "baseline"),
        (3, "baseline"),
        (1, "kg:all"),
        (2, "kg:all"),
        (3, "kg:all"),
        (1, "kg:parents"),
    ]


@pytest.mark.parametrize("n", [1, 2, 3, 5, 20])
def test_shards_are_disjoint_and_cover_the_grid(n: int) -> None:
    cells = grid_cells(_cfg())
    parts = [Shard(i, n).take(cells) for i in range(1, n + 1)]
    flat = [c for p in parts for c in p]
    assert sorted(flat) == sorted(cells) and len(flat) == len(set(flat))
    assert max(map(len, parts)) - min(map(len, parts)) <= 1


@pytest.mark.parametrize("bad", ["0/2", "3/2", "1", "a/b", "1/0", "-1/2"])
def test_bad_shard_is_a_config_error(bad: str) -> None:
    with pytest.raises(ConfigError, match="expected I/N"):
        Shard.parse(bad)
    assert str(Shard.parse("2/4")) == "2/4"


def test_variant_seeds_must_be_known() -> None:
    with pytest.raises(ValueError, match="not in seeds"):
        EvalConfig.model_validate(
            {"name": "t", "datasets": ["a"], "seeds": [1], "variant_seeds": {"baseline": [2]}}
        )
    with pytest.raises(ValueError, match="not in variants"):
        EvalConfig.model_validate(
            {"name": "t", "datasets": ["a"], "seeds": [1], "variant_seeds": {"kg:all": [1]}}
        )


def test_dev_curve_from_history() -> None:
    c = DevCurve.from_history(
        [
            {"step": 25, "loss": 0.5, "dev_f1_linear": 0.1, "dev_f1_nnshot": 0.2},
            {"step": 50, "loss": 0.3, "dev_f1_linear": 0.3, "dev_f1_nnshot": 0.1},
        ],
        dataset="d",
        seed=1,
        variant="baseline",
        steps=50,
        eval_every=25,
        best_step={"linear": 50, "nnshot": 25},
    )
    assert [p.dev_f1 for p in c.points] == [
        {"linear": 0.1, "nnshot": 0.2},
        {"linear": 0.3, "nnshot": 0.1},
    ]
    assert DevCurve.model_validate(c.model_dump(mode="json")) == c
