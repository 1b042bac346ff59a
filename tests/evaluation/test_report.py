"""Report aggregation over seeds against hand-computed figures."""

from __future__ import annotations

import json
import shutil
import statistics
from pathlib import Path

import pytest

from hilgen_graph.errors import EvaluationError
from hilgen_graph.evaluation.report import (
    build_report,
    combine_grids,
    coverage,
    merge_runs,
    render_markdown,
    run_time_line,
    wall_seconds,
    write_report,
)


def test_report_means_gains_and_bootstrap(fake_run: Path) -> None:
    rep = build_report(fake_run)
    rows = rep["datasets"]["toy"]["families"]["linear"]
    base, kg = rows["baseline"], rows["kg:all"]
    assert base["strict_f1"]["mean"] == pytest.approx(1 / 3)
    assert base["strict_f1"]["sd"] == pytest.approx(statistics.stdev([2 / 3, 0.0]))
    assert kg["strict_f1"]["mean"] == pytest.approx(5 / 6)
    assert kg["gain_points"] == pytest.approx(50.0)
    assert kg["gain_relative_percent"] == pytest.approx(150.0)
    assert [b["seed"] for b in kg["bootstrap"]] == [1, 2]
    assert kg["bootstrap"][0]["delta_f1"] == pytest.approx(1 / 3)
    md = render_markdown(rep)
    assert "| kg:all | 10 | 83.33 ± 23.57 | +50.00 | +150.0 % |" in md


def test_write_report_files(fake_run: Path) -> None:
    run = fake_run
    write_report(run)
    assert (run / "report.md").is_file() and (run / "report.json").is_file()
    assert (run / "plots" / "f1_per_variant.png").stat().st_size > 1000
    summary = (run / "summary.md").read_text()
    assert "| kg:all | 2 | 83.33 ± 23.57 | +50.00 (+150.0 %) | 2/2 |" in summary
    assert "| kg:all | +33.33 | +66.67 |" in summary


def test_not_a_run_folder(tmp_path: Path) -> None:
    with pytest.raises(EvaluationError, match="not an evaluation run folder"):
        build_report(tmp_path)


def test_per_seed_gains_and_coverage(fake_run: Path) -> None:
    rep = build_report(fake_run)
    kg = rep["datasets"]["toy"]["families"]["linear"]["kg:all"]
    assert kg["per_seed"]["wins"] == 2 and kg["per_seed"]["paired"] == 2
    assert kg["per_seed"]["seeds"]["2"]["gain_points"] == pytest.approx(100 * 2 / 3)
    assert kg["per_seed"]["min_gain_points"] == pytest.approx(100 / 3)
    assert rep["coverage"]["finished"] == rep["coverage"]["expected"] == 4
    md = render_markdown(rep)
    assert "seeds gaining" in md
    header = next(x for x in md.splitlines() if x.startswith("| variant | synthetic"))
    row = next(x for x in md.splitlines() if x.startswith("| kg:all | "))
    assert header.count("|") == row.count("|")
    dev = header.split(" | ").index("dev F1")
    assert (
        row.split(" | ")[dev]
        == f"{100 * kg['dev_f1']['mean']:.2f} ± {100 * kg['dev_f1']['sd']:.2f}"
    )


def test_missing_cells_are_listed(fake_run: Path) -> None:
    shutil.rmtree(fake_run / "runs" / "toy" / "seed-2" / "kg-all")
    cov = coverage(fake_run)
    assert cov.finished == 3 and not cov.complete
    assert [(c.seed, c.variant) for c in cov.missing] == [(2, "kg:all")]
    assert "missing: toy seed 2 kg:all" in render_markdown(build_report(fake_run))


def test_merge_two_shards_gives_the_whole_grid(fake_run: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(fake_run, a)
    shutil.copytree(fake_run, b)
    shutil.rmtree(a / "runs" / "toy" / "seed-2" / "kg-all")
    shutil.rmtree(b / "runs" / "toy" / "seed-1")
    assert coverage(a).finished == 3 and coverage(b).finished == 2
    cov = merge_runs([a, b], tmp_path / "merged")
    assert cov.complete and cov.finished == 4
    whole = build_report(fake_run)["datasets"]["toy"]["families"]
    merged = build_report(tmp_path / "merged")["datasets"]["toy"]["families"]
    assert merged == whole


def test_merge_refuses_different_configs_and_samples(fake_run: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    shutil.copytree(fake_run, other)
    cfg = (other / "config.yaml").read_text().replace("bootstrap_samples: 200", "k: 3")
    (other / "config.yaml").write_text(cfg.replace("k: 1\n", ""))
    with pytest.raises(EvaluationError, match="another config"):
        merge_runs([fake_run, other], tmp_path / "m")
    twin = tmp_path / "twin"
    shutil.copytree(fake_run, twin)
    for root, ids in ((fake_run, ["x"]), (twin, ["y"])):
        (root / "runs" / "toy" / "seed-1" / "sample.json").write_text(json.dumps({"ids": ids}))
    with pytest.raises(EvaluationError, match="different k-shot sets"):
        merge_runs([fake_run, twin], tmp_path / "m2")


def test_pairing_mismatch_is_reported(fake_run: Path) -> None:
    for variant, head in (("baseline", "h1"), ("kg-all", "h2")):
        f = fake_run / "runs" / "toy" / "seed-1" / variant / "result.json"
        r = json.loads(f.read_text())
        r["pairing"] = {"sample": "s", "dev": "d", "test": "t", "initial_head": head}
        f.write_text(json.dumps(r))
    pairing = build_report(fake_run)["datasets"]["toy"]["pairing"]
    assert not pairing["ok"]
    assert pairing["mismatched"] == [
        {"seed": 1, "variant": "kg:all", "differs_in": ["initial_head"]}
    ]


def test_gain_uses_the_baseline_of_the_rows_own_seeds(fake_run: Path) -> None:
    shutil.rmtree(fake_run / "runs" / "toy" / "seed-2" / "kg-all")
    kg = build_report(fake_run)["datasets"]["toy"]["families"]["linear"]["kg:all"]
    assert kg["strict_f1"]["mean"] == pytest.approx(1.0)
    assert kg["gain_points"] == pytest.approx(100 / 3)  # seed 1 only: 1.0 - 2/3


def test_budget_line_names_the_precision() -> None:
    from hilgen_graph.evaluation.report import _budget_lines

    base = {"steps": 300, "batch_size": 16, "gold_per_batch": 8, "eval_every": 25}
    fp32 = _budget_lines({"training": base})[0]
    assert fp32.endswith("best step kept.") and "bfloat16" not in fp32
    bf16 = _budget_lines({"training": {**base, "precision": "bf16"}})[0]
    assert bf16.endswith("best step kept; forward passes under bfloat16 autocast.")
    auto = _budget_lines({"training": {**base, "precision": "auto"}})[0]
    assert auto.endswith("bfloat16 autocast where the hardware has it.")


def _invocation(start: float, end: float, trained: int, shard: str | None) -> dict[str, object]:
    return {
        "start": start,
        "end": end,
        "seconds": end - start,
        "cpu_seconds": 0.9 * (end - start),
        "trained": trained,
        "shard": shard,
    }


def test_wall_time_is_the_union_of_invocations_not_their_sum() -> None:
    # two shards side by side (0-100 s and 10-120 s), an idle gap, a last pass (200-210 s)
    inv = [
        _invocation(0, 100, 30, "1/2"),
        _invocation(10, 120, 39, "2/2"),
        _invocation(200, 210, 0, None),
    ]
    assert wall_seconds(inv) == pytest.approx(130.0)
    assert wall_seconds([*inv, {"start": None, "seconds": 50.0}]) == pytest.approx(180.0)
    grid = combine_grids(
        [
            {"invocations": inv[:1], "shard": "1/2", "machine": "m"},
            {"invocations": inv[1:2], "shard": "2/2"},
            {"invocations": inv[2:]},
        ]
    )
    assert grid["trained"] == 69 and grid["shards"] == ["1/2", "2/2"]
    assert grid["total_cpu_seconds"] == pytest.approx(0.9 * 220)
    line = run_time_line(grid)
    assert line.startswith("Run time: 2.2 min wall over 3 invocations (the union of their")
    assert "69 cells trained" in line and "reused" not in line
    # a folder resumed across the change: its earlier time has no interval, and is kept
    resumed = {"total_seconds": 70.0, "total_cpu_seconds": 60.0, "invocations": inv[2:]}
    assert wall_seconds(combine_grids([resumed])["invocations"]) == pytest.approx(70.0)
    assert "1 without timestamps added as they ran" in run_time_line(combine_grids([resumed]))
    one = run_time_line(combine_grids([{"invocations": inv[2:]}]))
    assert one.startswith("Run time: 0.2 min wall and 0.1 CPU-min; 0 cells trained.")


def test_shards_into_one_folder_report_their_elapsed_time(fake_run: Path, tmp_path: Path) -> None:
    for name, inv in (
        ("grid-shard-1-of-2.json", _invocation(1000, 1600, 2, "1/2")),
        ("grid-shard-2-of-2.json", _invocation(1000, 1660, 2, "2/2")),
        ("grid.json", _invocation(2000, 2060, 0, None)),
    ):
        (fake_run / name).write_text(json.dumps({"invocations": [inv], "machine": "m"}))
    grid = build_report(fake_run)["grid"]
    assert grid["wall_seconds"] == pytest.approx(720.0)
    assert grid["trained"] == 4
    # merging folders keeps every invocation (each counted once)
    merged = tmp_path / "merged"
    merge_runs([fake_run], merged)
    assert json.loads((merged / "grid.json").read_text())["wall_seconds"] == pytest.approx(720.0)
    assert build_report(merged)["grid"]["wall_seconds"] == pytest.approx(720.0)


def test_single_layers_are_ranked_by_dev_f1() -> None:
    from hilgen_graph.evaluation.report import _layer_rank_lines

    def row(dev: float) -> dict[str, object]:
        return {"dev_f1": {"mean": dev, "sd": 0.0, "n": 3}}

    rows = {
        "baseline": row(0.9),  # not a layer
        "kg:all": row(0.8),  # the union, not a layer
        "kg:parents": row(0.48),
        "kg:siblings": row(0.50),
        "kg:synonyms": row(0.47),
    }
    (line,) = [x for x in _layer_rank_lines(rows) if x]
    assert "siblings 50.00, parents 48.00, synonyms 47.00" in line
    assert line.endswith("made on dev only: siblings, parents.")
    assert _layer_rank_lines({"baseline": row(0.9), "kg:parents": row(0.4)}) == []
