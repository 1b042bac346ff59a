"""Bad configs stop before any training, with a message listing what is available."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from hilgen_graph.errors import ConfigError
from hilgen_graph.evaluation.config import EvalConfig, load_config, parse_variant
from hilgen_graph.evaluation.runner import check_config
from hilgen_graph.settings import checkout_root

LAYERS = ["synonyms", "semantic_type", "parents", "children", "siblings"]


def _cfg(tmp_path: Path, body: str) -> EvalConfig:
    p = tmp_path / "c.yaml"
    p.write_text(body, encoding="utf-8")
    return load_config(p)


def test_shipped_configs_load() -> None:
    for name in (
        "ncbi_disease_5shot",
        "bc5cdr_5shot",
        "paper_5shot",
        "grid_5shot",
        "grid_5shot_arms",
    ):
        cfg = load_config(checkout_root() / "configs" / f"{name}.yaml")
        assert cfg.variants[0] == "baseline"
        for v in cfg.variants:
            parse_variant(v, LAYERS)


def test_whole_grid_config_is_the_two_corpus_configs_plus_the_committed_llm_data() -> None:
    root = checkout_root() / "configs"
    grid = load_config(root / "grid_5shot.yaml")
    for name in ("bc5cdr_5shot", "ncbi_disease_5shot"):
        one = load_config(root / f"{name}.yaml")
        (ds,) = one.datasets
        assert ds in grid.datasets
        assert one.training == grid.training
        assert (one.k, one.seeds) == (grid.k, grid.seeds)
        # the grid names each corpus's kg:all layers; the corpus config the same ones
        assert one.kg.model_dump(exclude={"all_layers"}) == grid.kg.model_dump(
            exclude={"all_layers"}
        )
        assert one.kg.layers_for_all(ds.name) == grid.kg.layers_for_all(ds.name) is not None
        assert one.dev_subset == grid.dev_subset
        # the same runs as the corpus config (so their cells hash alike), plus the LLM variants
        assert grid.fingerprint(ds.name, "kg:all") == one.fingerprint(ds.name, "kg:all")
        assert set(one.variants) | {"llm:all", "kg+llm"} == set(grid.variants)
        for seed in grid.seeds:
            path = grid.synthetic_path("llm", ds.name, seed)
            assert path is not None and (checkout_root() / path).is_file()


def test_extends_reads_the_base_config_underneath(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text(
        "name: base\ndatasets: [ncbi_disease]\nseeds: [1]\nvariants: [baseline, 'kg:all']\n"
        "training: {steps: 300, lr: 5.0e-5, batch_size: 16}\nkg: {per_layer: 10}\n"
        "variant_seeds: {'kg:all': [1]}\n",
        encoding="utf-8",
    )
    (tmp_path / "sub").mkdir()
    child = tmp_path / "sub" / "child.yaml"
    child.write_text(
        "extends: ../base.yaml\nvariants: [baseline]\ntraining: {steps: 50}\nvariant_seeds: null\n",
        encoding="utf-8",
    )
    cfg = load_config(child)
    assert cfg.name == "child"  # a config's own name (its file name), not the base's
    assert cfg.variants == ["baseline"]  # lists are replaced
    assert cfg.variant_seeds == {}  # null drops the base's value
    assert (cfg.training.steps, cfg.training.lr, cfg.training.batch_size) == (50, 5e-5, 16)
    assert cfg.kg.per_layer == 10 and cfg.dataset_names == ["ncbi_disease"]
    child.write_text("extends: nowhere.yaml\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"nowhere.yaml \(extended by .*child.yaml\)"):
        load_config(child)
    (tmp_path / "base.yaml").write_text("extends: sub/child.yaml\n", encoding="utf-8")
    child.write_text("extends: ../base.yaml\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="makes a cycle .child.yaml -> base.yaml -> child.yaml"):
        load_config(child)


@pytest.mark.parametrize(
    ("variant", "expected"),
    [
        ("baseline", ("none", "")),
        ("kg:parents", ("kg", "parents")),
        ("kg:all", ("kg", "all")),
        ("llm:related", ("llm", "related")),
        ("kg+llm", ("kg+llm", "all")),
    ],
)
def test_parse_variant(variant: str, expected: tuple[str, str]) -> None:
    assert parse_variant(variant, LAYERS) == expected


def test_unknown_variant_lists_the_allowed_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown variant 'kg:cousins'.*kg:siblings.*kg\+llm"):
        parse_variant("kg:cousins", LAYERS)


def test_unknown_field_names_the_field(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="epoch"):
        _cfg(tmp_path, "datasets: [ncbi_disease]\nseeds: [1]\nepoch: 3\n")


def test_whole_config_error_names_no_empty_field(tmp_path: Path) -> None:
    body = "datasets: [ncbi_disease]\nseeds: [1]\nvariant_seeds:\n  'kg:parents': [1]\n"
    with pytest.raises(ConfigError, match="variant_seeds names 'kg:parents'") as err:
        _cfg(tmp_path, body)
    assert "field ``" not in str(err.value)


def test_label_groups_exclusions_are_checked_when_loading(tmp_path: Path) -> None:
    head = "datasets: [bc5cdr]\nseeds: [1]\nkg:\n  label_groups:\n"
    cfg = _cfg(tmp_path, head + "    Chemical: [CHEM, '-T126']\n")
    assert cfg.kg.label_groups == {"Chemical": ["CHEM", "-T126"]}
    with pytest.raises(ConfigError, match=r"kg\.label_groups.*'-enzyme' is not an excluded"):
        _cfg(tmp_path, head + "    Chemical: [CHEM, '-enzyme']\n")
    with pytest.raises(ConfigError, match="only excluded types"):
        _cfg(tmp_path, head + "    Chemical: ['-T126']\n")


def test_missing_dataset_lists_available(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path, "datasets: [ncbi_disease, no_such_corpus]\nseeds: [1]\n")
    with pytest.raises(ConfigError, match=r"no_such_corpus.*available: .*bc5cdr.*ncbi_disease"):
        check_config(cfg)


def test_unknown_encoder(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path, "datasets: [ncbi_disease]\nseeds: [1]\nencoder: bert-huge-9000\n")
    with pytest.raises(ConfigError, match="unknown encoder 'bert-huge-9000'; available: minilm"):
        check_config(cfg)


def test_llm_variant_without_data(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path, "datasets: [ncbi_disease]\nseeds: [1]\nvariants: [baseline, llm:all]\n")
    with pytest.raises(ConfigError, match="needs LLM-arm data"):
        check_config(cfg)


def test_label_set_mismatch(tmp_path: Path, tiny_ncbi: dict[str, Path]) -> None:
    test = tmp_path / "test.tsv"
    test.write_text("Aspirin\tB-Chemical\ncauses\tO\nulcers\tB-Disease\n\n", encoding="utf-8")
    body = (
        "datasets:\n  - name: mine\n"
        f"    train: {tiny_ncbi['train']}\n    dev: {tiny_ncbi['dev']}\n    test: {test}\n"
        "seeds: [1]\n"
    )
    with pytest.raises(ConfigError, match=r"test labels \['Chemical', 'Disease'\] differ"):
        check_config(_cfg(tmp_path, body))


def test_fingerprint_ignores_grid_extent(tmp_path: Path) -> None:
    a = _cfg(tmp_path, "datasets: [ncbi_disease]\nseeds: [1]\n")
    b = _cfg(tmp_path, "datasets: [ncbi_disease, bc5cdr]\nseeds: [1, 2]\nvariants: [kg:all]\n")
    c = _cfg(tmp_path, "datasets: [ncbi_disease]\nseeds: [1]\ntraining: {lr: 0.001}\n")
    assert a.fingerprint("ncbi_disease") == b.fingerprint("ncbi_disease")
    assert a.fingerprint("ncbi_disease") != c.fingerprint("ncbi_disease")
    assert b.variants == ["baseline", "kg:all"]  # the baseline is always run


def test_fingerprint_counts_only_the_synthetic_data_a_variant_reads(tmp_path: Path) -> None:
    """Adding LLM-arm data to a finished grid must not make its baseline and KG runs stale."""
    a = _cfg(tmp_path, "datasets: [ncbi_disease]\nseeds: [1]\n")
    b = _cfg(tmp_path, "datasets: [ncbi_disease]\nseeds: [1]\nsynthetic: {llm: x.jsonl}\n")
    c = _cfg(tmp_path, "datasets: [ncbi_disease]\nseeds: [1]\nsynthetic: {llm: y.jsonl}\n")
    for v in ("baseline", "kg:all", "kg:parents"):
        assert a.fingerprint("ncbi_disease", v) == b.fingerprint("ncbi_disease", v)
    for v in ("llm:all", "kg+llm", "llm:marked-new-context"):
        assert b.fingerprint("ncbi_disease", v) != c.fingerprint("ncbi_disease", v)
        assert a.fingerprint("ncbi_disease", v) != b.fingerprint("ncbi_disease", v)
    # without a variant, every configured file counts (the grid as a whole)
    assert a.fingerprint("ncbi_disease") != b.fingerprint("ncbi_disease")
    # how synthetic sentences are drawn matters to the arms, not to the baseline
    d = _cfg(
        tmp_path,
        "datasets: [ncbi_disease]\nseeds: [1]\ntraining: {synthetic_balance: seed_sentence}\n",
    )
    assert a.fingerprint("ncbi_disease", "baseline") == d.fingerprint("ncbi_disease", "baseline")
    assert a.fingerprint("ncbi_disease", "kg:all") != d.fingerprint("ncbi_disease", "kg:all")
    # the semantic_type match: its default hashes as before it existed; "exact" changes what
    # the KG arm makes, so only the variants that read KG data
    shared = _cfg(
        tmp_path, "datasets: [ncbi_disease]\nseeds: [1]\nkg: {semantic_type_match: shared}\n"
    )
    exact = _cfg(
        tmp_path, "datasets: [ncbi_disease]\nseeds: [1]\nkg: {semantic_type_match: exact}\n"
    )
    for v in ("baseline", "kg:all", "llm:all", "kg+llm"):
        assert a.fingerprint("ncbi_disease", v) == shared.fingerprint("ncbi_disease", v)
    for v in ("baseline", "llm:all"):
        assert a.fingerprint("ncbi_disease", v) == exact.fingerprint("ncbi_disease", v)
    for v in ("kg:all", "kg:semantic_type", "kg+llm"):
        assert a.fingerprint("ncbi_disease", v) != exact.fingerprint("ncbi_disease", v)
    # a narrower label profile (hashed from the start) changes the KG data only
    narrow = _cfg(
        tmp_path,
        "datasets: [ncbi_disease]\nseeds: [1]\nkg: {label_groups: {Disease: [DISO, '-T184']}}\n",
    )
    for v in ("baseline", "llm:all"):
        assert a.fingerprint("ncbi_disease", v) == narrow.fingerprint("ncbi_disease", v)
    for v in ("kg:all", "kg:synonyms", "kg+llm"):
        assert a.fingerprint("ncbi_disease", v) != narrow.fingerprint("ncbi_disease", v)
    # so do the KG arm's layers and names per layer (the baseline reads no KG data)
    for kg in ("{per_layer: 2}", "{layers: [parents, siblings]}"):
        other = _cfg(tmp_path, f"datasets: [ncbi_disease]\nseeds: [1]\nkg: {kg}\n")
        for v in ("baseline", "llm:all"):
            assert a.fingerprint("ncbi_disease", v) == other.fingerprint("ncbi_disease", v)
        for v in ("kg:all", "kg+llm"):
            assert a.fingerprint("ncbi_disease", v) != other.fingerprint("ncbi_disease", v)
    # the numeric precision: fp32 (the default) hashes as before it existed, bf16 changes
    # every variant, the baseline included
    fp32 = _cfg(tmp_path, "datasets: [ncbi_disease]\nseeds: [1]\ntraining: {precision: fp32}\n")
    bf16 = _cfg(tmp_path, "datasets: [ncbi_disease]\nseeds: [1]\ntraining: {precision: bf16}\n")
    for v in ("baseline", "kg:all", "llm:all", "kg+llm"):
        assert a.fingerprint("ncbi_disease", v) == fp32.fingerprint("ncbi_disease", v)
        assert a.fingerprint("ncbi_disease", v) != bf16.fingerprint("ncbi_disease", v)
    with pytest.raises(ConfigError, match="precision"):
        _cfg(tmp_path, "datasets: [ncbi_disease]\nseeds: [1]\ntraining: {precision: fp16}\n")


def test_gold_nnshot_support_rehashes_only_the_synthetic_variants(tmp_path: Path) -> None:
    """nnshot_support train (the default) hashes as before it existed; gold changes the runs
    that train on synthetic data, not the baseline (whose training set is the gold sample)."""
    base = "datasets: [ncbi_disease]\nseeds: [1]\n"
    old = _cfg(tmp_path, base)
    train = _cfg(tmp_path, base + "training: {nnshot_support: train}\n")
    gold = _cfg(tmp_path, base + "training: {nnshot_support: gold}\n")

    def hashes(cfg: EvalConfig) -> list[str]:
        return [
            cfg.fingerprint("ncbi_disease", v) for v in ("baseline", "kg:all", "llm:all", "kg+llm")
        ]

    assert hashes(train) == hashes(old)
    assert hashes(gold)[0] == hashes(old)[0]
    assert all(g != o for g, o in zip(hashes(gold)[1:], hashes(old)[1:], strict=True))
    with pytest.raises(ConfigError, match="nnshot_support"):
        _cfg(tmp_path, base + "training: {nnshot_support: synthetic}\n")


def test_coreferent_mentions_rehash_only_the_kg_variants(tmp_path: Path) -> None:
    """kg.mentions group (the default since 2026-12) changes the KG data, so the KG runs; the
    baseline and the LLM-only runs keep their hashes."""
    base = "datasets: [ncbi_disease]\nseeds: [1]\n"
    default = _cfg(tmp_path, base)
    group = _cfg(tmp_path, base + "kg: {mentions: group}\n")
    one = _cfg(tmp_path, base + "kg: {mentions: one}\n")
    assert default.kg.mentions == "group"
    variants = ("baseline", "llm:all", "kg:all", "kg+llm")

    def hashes(cfg: EvalConfig) -> list[str]:
        return [cfg.fingerprint("ncbi_disease", v) for v in variants]

    every = _cfg(tmp_path, base + "kg: {mentions: all}\n")
    assert hashes(default) == hashes(group)
    for other in (one, every):
        assert hashes(other)[:2] == hashes(group)[:2]
        assert all(a != b for a, b in zip(hashes(other)[2:], hashes(group)[2:], strict=True))
    assert hashes(one)[2:] != hashes(every)[2:]
    with pytest.raises(ConfigError, match="mentions"):
        _cfg(tmp_path, base + "kg: {mentions: every}\n")


def test_auto_precision_hashes_what_it_resolves_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A grid resumed on hardware without native bfloat16 must not reuse bf16 runs."""
    from hilgen_graph.evaluation import precision

    cfg = {
        p: _cfg(tmp_path, f"datasets: [ncbi_disease]\nseeds: [1]\ntraining: {{precision: {p}}}\n")
        for p in ("fp32", "bf16", "auto")
    }
    for native, same in ((True, "bf16"), (False, "fp32")):
        monkeypatch.setattr(precision, "cpu_has_native_bf16", lambda native=native: native)
        monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
        assert cfg["auto"].training.resolved_precision() == same
        for v in ("baseline", "kg:all"):
            assert cfg["auto"].fingerprint("ncbi_disease", v) == cfg[same].fingerprint(
                "ncbi_disease", v
            )


def test_variants_select_their_records(tmp_path: Path) -> None:
    from hilgen_graph.evaluation.runner import _select
    from hilgen_graph.synthetic import LLMProvenance, Provenance, SyntheticRecord

    def rec(i: int, arm: str, layer: str, prompt: str | None = None) -> SyntheticRecord:
        llm = None
        if prompt is not None:
            llm = LLMProvenance(
                model="m", prompt_name=prompt, prompt_hash="h", temperature=0.0, raw_reply_id="r"
            )
        return SyntheticRecord(
            id=str(i),
            text="x",
            tokens=["x"],
            tags=["O"],
            provenance=Provenance(arm=arm, seed_sentence_id="s", layer=layer, llm=llm),
        )  # type: ignore[arg-type]

    synth = {
        "kg": [rec(1, "kg", "synonyms"), rec(2, "kg", "parents"), rec(3, "kg", "parents")],
        "llm": [rec(4, "llm", "related", "related"), rec(5, "llm", "related", "siblings")],
    }
    cfg = _cfg(tmp_path, "datasets: [ncbi_disease]\nseeds: [1]\n")
    ids = {
        v: [r.id for r in _select(v, cfg, synth, "ncbi_disease")]
        for v in ("baseline", "kg:parents", "kg:all", "llm:siblings", "llm:all", "kg+llm")
    }
    assert ids == {
        "baseline": [],
        "kg:parents": ["2", "3"],
        "kg:all": ["1", "2", "3"],
        "llm:siblings": ["5"],
        "llm:all": ["4", "5"],
        "kg+llm": ["1", "2", "3", "4", "5"],
    }


def test_kg_all_reads_only_the_chosen_layers_of_its_dataset(tmp_path: Path) -> None:
    """kg.all_layers narrows kg:all and kg+llm to the named layers (per dataset); the
    single-layer variants still see every layer's records."""
    from hilgen_graph.evaluation.runner import _select
    from hilgen_graph.synthetic import Provenance, SyntheticRecord

    def rec(i: int, layer: str) -> SyntheticRecord:
        prov = Provenance(arm="kg", seed_sentence_id="s", layer=layer)  # type: ignore[arg-type]
        return SyntheticRecord(id=str(i), text="x", tokens=["x"], tags=["O"], provenance=prov)

    synth = {"kg": [rec(1, "synonyms"), rec(2, "parents"), rec(3, "siblings")], "llm": []}
    head = "datasets: [bc5cdr, ncbi_disease]\nseeds: [1]\n"
    cfg = _cfg(tmp_path, head + "kg: {all_layers: {bc5cdr: [parents, siblings]}}\n")
    ids = {
        (ds, v): [r.id for r in _select(v, cfg, synth, ds)]
        for ds in ("bc5cdr", "ncbi_disease")
        for v in ("kg:all", "kg+llm", "kg:synonyms")
    }
    assert ids == {
        ("bc5cdr", "kg:all"): ["2", "3"],
        ("bc5cdr", "kg+llm"): ["2", "3"],
        ("bc5cdr", "kg:synonyms"): ["1"],
        ("ncbi_disease", "kg:all"): ["1", "2", "3"],  # no choice for this corpus: every layer
        ("ncbi_disease", "kg+llm"): ["1", "2", "3"],
        ("ncbi_disease", "kg:synonyms"): ["1"],
    }
    one_list = _cfg(tmp_path, head + "kg: {all_layers: [synonyms]}\n")
    assert [r.id for r in _select("kg:all", one_list, synth, "ncbi_disease")] == ["1"]


def test_kg_all_layers_rehash_only_the_runs_that_read_them(tmp_path: Path) -> None:
    head = "datasets: [bc5cdr, ncbi_disease]\nseeds: [1]\n"
    plain = _cfg(tmp_path, head)
    chosen = _cfg(tmp_path, head + "kg: {all_layers: {bc5cdr: [parents, siblings]}}\n")
    other = _cfg(tmp_path, head + "kg: {all_layers: {bc5cdr: [siblings]}}\n")
    for v in ("baseline", "llm:all", "kg:parents", "kg:siblings"):
        assert plain.fingerprint("bc5cdr", v) == chosen.fingerprint("bc5cdr", v)
    for v in ("kg:all", "kg+llm"):
        assert plain.fingerprint("bc5cdr", v) != chosen.fingerprint("bc5cdr", v)
        assert chosen.fingerprint("bc5cdr", v) != other.fingerprint("bc5cdr", v)
        # another corpus's choice is not this corpus's data
        assert plain.fingerprint("ncbi_disease", v) == chosen.fingerprint("ncbi_disease", v)
    every = _cfg(tmp_path, head + "kg: {all_layers: [parents, siblings]}\n")
    assert every.fingerprint("bc5cdr", "kg:all") == chosen.fingerprint("bc5cdr", "kg:all")


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("kg: {all_layers: [parents, cousins]}", "not there: \\['cousins'\\]"),
        ("kg: {all_layers: []}", "expected distinct layers"),
        ("kg: {all_layers: [parents, parents]}", "expected distinct layers"),
        ("kg: {layers: [parents], all_layers: [siblings]}", "not there"),
        ("kg: {all_layers: {bc5cdr: [parents]}}", "names dataset\\(s\\) \\['bc5cdr'\\]"),
    ],
)
def test_kg_all_layers_are_checked_when_loading(tmp_path: Path, setting: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _cfg(tmp_path, f"datasets: [ncbi_disease]\nseeds: [1]\n{setting}\n")


def test_gold_per_batch_needs_a_fixed_budget(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="gold_per_batch needs a fixed `steps`"):
        _cfg(tmp_path, "datasets: [ncbi_disease]\nseeds: [1]\ntraining: {gold_per_batch: 4}\n")
    with pytest.raises(ConfigError, match="exceeds batch_size"):
        _cfg(
            tmp_path,
            "datasets: [ncbi_disease]\nseeds: [1]\n"
            "training: {steps: 10, gold_per_batch: 40, batch_size: 16}\n",
        )
    cfg = _cfg(
        tmp_path,
        "datasets: [ncbi_disease]\nseeds: [1]\ntraining: {steps: 10, gold_per_batch: 4}\n",
    )
    assert cfg.training.settings().steps_for(1000) == 10


def test_gold_finish_needs_the_fixed_budget_and_keeps_the_baseline_hash(tmp_path: Path) -> None:
    head = "datasets: [ncbi_disease]\nseeds: [1]\nvariants: [baseline, 'kg:all']\n"
    budget = "steps: 300, gold_per_batch: 8"
    plain = tmp_path / "plain.yaml"
    plain.write_text(head + f"training: {{{budget}}}\n")
    finish = tmp_path / "finish.yaml"
    finish.write_text(head + f"training: {{{budget}, gold_finish_steps: 100}}\n")
    a, b = load_config(plain), load_config(finish)
    assert a.fingerprint("ncbi_disease", "baseline") == b.fingerprint("ncbi_disease", "baseline")
    assert a.fingerprint("ncbi_disease", "kg:all") != b.fingerprint("ncbi_disease", "kg:all")
    bad = tmp_path / "bad.yaml"
    bad.write_text(head + "training: {gold_finish_steps: 50}\n")
    with pytest.raises(ConfigError, match="gold_finish_steps needs the fixed budget"):
        load_config(bad)
    bad.write_text(head + f"training: {{{budget}, gold_finish_steps: 300}}\n")
    with pytest.raises(ConfigError, match="leaves no step"):
        load_config(bad)


def test_kg_labels_change_the_kg_runs_only(tmp_path: Path) -> None:
    head = "datasets: [bc5cdr]\nseeds: [1]\nvariants: [baseline, 'kg:all']\n"
    plain, only = tmp_path / "plain.yaml", tmp_path / "only.yaml"
    plain.write_text(head)
    only.write_text(head + "kg: {labels: [Disease]}\n")
    a, b = load_config(plain), load_config(only)
    assert b.kg.labels == ["Disease"] and a.kg.labels == []
    assert a.fingerprint("bc5cdr", "baseline") == b.fingerprint("bc5cdr", "baseline")
    assert a.fingerprint("bc5cdr", "kg:all") != b.fingerprint("bc5cdr", "kg:all")


def test_synthetic_per_batch_needs_the_fixed_budget_and_keeps_the_baseline_hash(
    tmp_path: Path,
) -> None:
    head = "datasets: [ncbi_disease]\nseeds: [1]\nvariants: [baseline, 'kg:all']\n"
    budget = "steps: 300, gold_per_batch: 8, batch_size: 16"
    plain, share = tmp_path / "plain.yaml", tmp_path / "share.yaml"
    plain.write_text(head + f"training: {{{budget}}}\n")
    share.write_text(head + f"training: {{{budget}, synthetic_per_batch: 4}}\n")
    a, b = load_config(plain), load_config(share)
    assert a.fingerprint("ncbi_disease", "baseline") == b.fingerprint("ncbi_disease", "baseline")
    assert a.fingerprint("ncbi_disease", "kg:all") != b.fingerprint("ncbi_disease", "kg:all")
    bad = tmp_path / "bad.yaml"
    bad.write_text(head + "training: {synthetic_per_batch: 4}\n")
    with pytest.raises(ConfigError, match="synthetic_per_batch needs the fixed budget"):
        load_config(bad)
    bad.write_text(head + f"training: {{{budget}, synthetic_per_batch: 9}}\n")
    with pytest.raises(ConfigError, match="exceeds batch_size 16"):
        load_config(bad)


def test_arms_grid_is_the_whole_grid_without_its_single_layers() -> None:
    root = checkout_root() / "configs"
    grid, arms = load_config(root / "grid_5shot.yaml"), load_config(root / "grid_5shot_arms.yaml")
    assert arms.variants == ["baseline", "kg:all", "llm:all", "kg+llm"]
    assert arms.variant_seeds == {} and arms.seeds == grid.seeds
    for ds in grid.dataset_names:
        for v in arms.variants:  # its cells are the grid's cells
            assert arms.fingerprint(ds, v) == grid.fingerprint(ds, v)
