"""The experiment runner: datasets × seeds × variants × model families, cached and resumable.

A run folder holds::

    config.yaml                      the resolved config
    runs/<dataset>/seed-<s>/sample.json            sampled k-shot sentence ids
    runs/<dataset>/seed-<s>/synthetic/<arm>.jsonl  synthetic data used
    runs/<dataset>/seed-<s>/synthetic/<arm>.origin.json  what it was made from (remade if changed)
    runs/<dataset>/seed-<s>/<variant>/result.json  metrics per family (or failed.json)
    runs/<dataset>/seed-<s>/<variant>/predictions.json  dev + test tags per family
    runs/<dataset>/seed-<s>/<variant>/dev_curve.json    dev strict F1 at every checked step
    runs/<dataset>/seed-<s>/ensembles.json         ensembles per family
    report.md, report.json, plots/*.png

A finished run (``result.json`` with the same config fingerprint, trained on the same synthetic
records) is reused; a run that fails is recorded in ``failed.json`` with its error and the grid
goes on (it is retried next time).
``shard`` runs one deterministic slice of the grid's cells (``records.Shard``) into the same
layout; ``hilgen report`` merges the slices' folders.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import resource
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hilgen_graph.atomic import write_json, write_text
from hilgen_graph.corpus.kshot import KShotSample
from hilgen_graph.errors import ConfigError, HilgenError
from hilgen_graph.evaluation import data as datamod
from hilgen_graph.evaluation.config import EvalConfig, parse_variant
from hilgen_graph.evaluation.encoders import check_encoder_name, resolve_encoder
from hilgen_graph.evaluation.ensemble import choose_best
from hilgen_graph.evaluation.examples import TaggedSentence, entity_types
from hilgen_graph.evaluation.labels import LabelSet
from hilgen_graph.evaluation.metrics import mention_texts, score, seen_unseen
from hilgen_graph.evaluation.records import Budget, Cell, DevCurve, Pairing, Shard
from hilgen_graph.synthetic import SyntheticRecord, read_synthetic, write_synthetic


@dataclass(frozen=True)
class RunEvent:
    """Progress events for the CLI: kind is grid | stage | run_start | step | run_done."""

    kind: str
    message: str = ""
    done: int = 0
    total: int = 0
    status: str = ""


EventSink = Callable[[RunEvent], None]


def _noop(_: RunEvent) -> None:
    return None


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def machine() -> str:
    import platform

    import torch

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return f"{platform.machine()} {os.cpu_count()} CPUs, {gpu}, torch {torch.__version__}"


def variant_slug(variant: str) -> str:
    return variant.replace(":", "-").replace("+", "_plus_")


def grid_cells(config: EvalConfig) -> list[Cell]:
    """Every training run of the grid in its canonical order: dataset, variant, seed (every
    seed's baseline first, then the next variant), so an interrupted grid holds whole rows."""
    return [
        Cell(ds, seed, v)
        for ds in config.dataset_names
        for v in config.variants
        for seed in config.seeds_for(v)
    ]


def digest(items: list[str]) -> str:
    return hashlib.sha256("\n".join(items).encode()).hexdigest()[:16]


def synthetic_digest(records: list[SyntheticRecord]) -> str:
    """One hash of the synthetic records a run trained on (their order included)."""
    return digest([r.model_dump_json() for r in records])


def _finished(res_file: Path, fingerprint: str, records: list[SyntheticRecord] | None) -> bool:
    """A finished run of the same settings that trained on these synthetic records (a run
    from before the digest was kept is judged by its fingerprint alone)."""
    if not res_file.is_file():
        return False
    done = read_json(res_file)
    if done.get("fingerprint") != fingerprint:
        return False
    recorded = done.get("synthetic_digest")
    return recorded is None or records is None or recorded == synthetic_digest(records)


def cpu_seconds() -> float:
    """User + system CPU time of this process and its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


@dataclass
class Prepared:
    """Everything a dataset needs before its runs: splits and label set."""

    name: str
    labels: LabelSet
    train_pool: list[datamod.Sentence]
    dev: list[TaggedSentence]
    test: list[TaggedSentence]
    eval_sentences: list[datamod.Sentence] = field(default_factory=list)  # full dev + test
    collapse_to: str | None = None  # labels of every split collapsed to this one before sampling
    corpus: str = ""  # the training file's name, recorded in each seed's sample file
    skipped: tuple[str, ...] = ()  # malformed records the lenient reader skipped


@dataclass
class GridSummary:
    out_dir: Path
    finished: int = 0
    reused: int = 0
    failed: int = 0
    seconds: float = 0.0
    failures: list[dict[str, str]] = field(default_factory=list)


def check_config(config: EvalConfig) -> dict[str, Prepared]:
    """Validate the whole grid before any training; load every dataset once.

    Raises ``ConfigError`` for a missing dataset, unknown variant or encoder, an unknown model
    family, or a label set that differs between train and test."""
    check_encoder_name(config.encoder)
    resolve_encoder(config.encoder)
    kg_layers = datamod.kg_layers()
    for v in config.variants:
        arm, _ = parse_variant(v, kg_layers)
        if arm in ("llm", "kg+llm"):
            for ds in config.dataset_names:
                for seed in config.seeds_for(v):
                    p = config.synthetic_path("llm", ds, seed)
                    if p is None or not p.is_file():
                        raise ConfigError(
                            f"variant {v!r} needs LLM-arm data, but `synthetic.llm` "
                            f"{'is not set' if p is None else f'file {p} does not exist'} "
                            f"(dataset {ds}, seed {seed}); how to fix: run `hilgen generate llm` "
                            "and set `synthetic.llm` to its JSONL, or drop the LLM variants"
                        )
    available = datamod.available_datasets()
    missing = [d.name for d in config.datasets if not d.custom and d.name not in available]
    if missing:
        raise ConfigError(
            f"unknown or missing dataset(s) {missing}; available: {', '.join(available)}"
        )
    prepared = {}
    for spec in config.datasets:
        ds = spec.name
        splits = datamod.load_splits(spec)
        train_types = {e.label for s in splits.train for e in s.entities}
        test_types = {e.label for s in splits.test for e in s.entities}
        if not test_types <= train_types:
            raise ConfigError(
                f"dataset {ds}: test labels {sorted(test_types)} differ from train labels "
                f"{sorted(train_types)}; how to fix: pick a collapse_to for the dataset so both "
                "splits use one label set"
            )
        labels = LabelSet.from_types(train_types)
        dev = [TaggedSentence.from_sentence(s) for s in splits.dev]
        if config.dev_subset is not None and len(dev) > config.dev_subset:
            dev = random.Random(0).sample(dev, config.dev_subset)  # fixed, seed-independent
        test = [TaggedSentence.from_sentence(s) for s in splits.test]
        if config.test_limit is not None:
            test = test[: config.test_limit]
        prepared[ds] = Prepared(
            ds,
            labels,
            list(splits.train),
            dev,
            test,
            list(splits.dev) + list(splits.test),
            spec.collapse_to,
            splits.train_file,
            splits.skipped,
        )
    return prepared


def _synthetic_for(
    config: EvalConfig,
    prep: Prepared,
    seed: int,
    sample: list[datamod.Sentence],
    drawn: KShotSample,
    seed_dir: Path,
    emit: EventSink,
) -> dict[str, list[SyntheticRecord]]:
    """Synthetic records per arm for this sample: generated by the KG arm or read from the
    configured JSONL, and saved in the seed folder as the data used."""
    arms_needed = set()
    for v in config.variants:
        if seed not in config.seeds_for(v):
            continue
        arm, _ = parse_variant(v, datamod.kg_layers())
        if arm == "kg+llm":
            arms_needed |= {"kg", "llm"}
        elif arm != "none":
            arms_needed.add(arm)
    out: dict[str, list[SyntheticRecord]] = {}
    for arm in sorted(arms_needed):
        saved = seed_dir / "synthetic" / f"{arm}.jsonl"
        given = config.synthetic_path(arm, prep.name, seed)
        origin = _synthetic_origin(config, arm, given)
        origin_file = saved.with_suffix(".origin.json")
        if saved.is_file():
            # made from the same file, or by the same KG-arm code and settings from the same
            # store; data without a record of its origin is made again (cheap next to
            # training: a run is retrained only if the records it selects differ)
            if origin_file.is_file() and read_json(origin_file) == origin:
                out[arm] = list(read_synthetic(saved))
                datamod.check_seed_sentences(out[arm], drawn, saved)
                continue
            why = "settings changed" if origin_file.is_file() else "origin not recorded"
            emit(RunEvent("stage", f"{prep.name} seed {seed}: {arm} data {why}; remaking"))
        if given is not None:
            records = list(read_synthetic(given))
            datamod.check_seed_sentences(records, drawn, given)
        elif arm == "kg":
            emit(RunEvent("stage", f"{prep.name} seed {seed}: KG arm on {len(sample)} sentences"))
            records = datamod.kg_synthetic(sample, config.kg, seed, prep.eval_sentences)
            origin = _synthetic_origin(config, arm, given)  # the store exists now
        else:
            raise ConfigError(f"no data for arm {arm!r}: set `synthetic.{arm}` in the config")
        write_synthetic(saved, records)
        write_json(origin_file, origin)
        out[arm] = records
    return out


def _synthetic_origin(config: EvalConfig, arm: str, given: Path | None) -> dict[str, Any]:
    """What a seed folder's saved synthetic data was made from: the given file (path and
    content hash) or the KG arm's settings, the digest of its code and the store's
    fingerprint; saved data made otherwise is remade."""
    if given is not None:
        digest = hashlib.sha256(given.read_bytes()).hexdigest() if given.is_file() else ""
        return {"arm": arm, "file": str(given), "sha256": digest}
    return {
        "arm": arm,
        # which layers kg:all reads is a selection of this data, not how it is made
        "kg": config.kg.model_dump(mode="json", exclude={"all_layers"}),
        "code": datamod.kg_code_digest(),
        "store": datamod.kg_store_fingerprint(config.kg),
    }


def _select(
    variant: str, config: EvalConfig, synth: dict[str, list[SyntheticRecord]], dataset: str
) -> list[SyntheticRecord]:
    arm, sel = parse_variant(variant, datamod.kg_layers())
    if arm == "none":
        return []
    if arm == "kg+llm" or (arm, sel) == ("kg", "all"):
        # kg:all's data: the layers kg.all_layers names for this dataset (None: every layer)
        chosen = config.kg.layers_for_all(dataset)
        kg = [r for r in synth.get("kg", []) if chosen is None or r.provenance.layer in chosen]
        return kg + synth.get("llm", []) if arm == "kg+llm" else kg
    recs = synth.get(arm, [])
    if sel == "all":
        return recs
    if arm == "kg":
        return [r for r in recs if r.provenance.layer == sel]
    return [
        r
        for r in recs
        if r.provenance.llm is not None
        and sel in (r.provenance.llm.prompt_name, r.provenance.llm.prompt_family)
    ]


def run_one(
    config: EvalConfig,
    prep: Prepared,
    seed: int,
    variant: str,
    sample: list[TaggedSentence],
    synthetic: list[SyntheticRecord],
    run_dir: Path,
    emit: EventSink,
) -> dict[str, Any]:
    """Train one variant for one seed, score every family on the test split, write results."""
    from hilgen_graph.evaluation.train import train_tagger

    started = time.time()
    started_cpu = time.process_time()  # this process runs one training at a time
    synth_sents = [TaggedSentence.from_synthetic(r) for r in synthetic]
    train = sample + synth_sents
    bad = entity_types(train) - set(prep.labels.types)
    if bad:
        raise ConfigError(
            f"{variant}: synthetic data uses labels {sorted(bad)} outside the dataset's label set "
            f"{prep.labels.types}; how to fix: make the arm keep the corpus labels"
        )
    settings = config.training.settings()
    tagger = train_tagger(
        sample,
        prep.dev,
        prep.labels,
        resolve_encoder(config.encoder),
        settings,
        seed=seed,
        families=config.model,
        on_step=lambda d, t: emit(RunEvent("step", done=d, total=t)),
        synthetic=synth_sents,
        synthetic_groups=[r.provenance.seed_sentence_id for r in synthetic],
    )
    words = [s.words for s in prep.test]
    gold = [list(s.tags) for s in prep.test]
    preds, timing = tagger.predict(words)
    known = mention_texts([s.words for s in train], [list(s.tags) for s in train])
    families: dict[str, Any] = {}
    for fam, tags in preds.items():
        sc = score(gold, tags)
        su = seen_unseen(words, gold, tags, known)
        families[fam] = {
            "best_step": tagger.families[fam].best_step,
            "dev_f1": tagger.families[fam].dev_f1,
            "test": sc.to_dict(),
            "seen": vars_prf(su.seen),
            "unseen": vars_prf(su.unseen),
        }
    write_json(
        run_dir / "predictions.json",
        {
            "dev_ids": [s.id for s in prep.dev],
            "test_ids": [s.id for s in prep.test],
            "dev": {f: r.dev_tags for f, r in tagger.families.items()},
            "test": preds,
        },
    )
    curve = DevCurve.from_history(
        tagger.history,
        dataset=prep.name,
        seed=seed,
        variant=variant,
        steps=tagger.steps,
        eval_every=settings.eval_every,
        best_step={f: r.best_step for f, r in tagger.families.items()},
    )
    write_json(run_dir / "dev_curve.json", curve.model_dump(mode="json"))
    pairing = Pairing(
        sample=digest([s.id for s in sample]),
        dev=digest([s.id for s in prep.dev]),
        test=digest([s.id for s in prep.test]),
        initial_head=tagger.initial_head,
    )
    budget = Budget(
        rule="epoch rule" if settings.steps is None else "fixed steps, gold per batch",
        steps=tagger.steps,
        batch_size=settings.batch_size,
        gold_per_batch=settings.gold_per_batch,
        gold_passes=tagger.gold_passes,
        gold_passes_per_sentence=tagger.gold_passes / max(1, len(sample)),
    )
    result = {
        "dataset": prep.name,
        "seed": seed,
        "variant": variant,
        "fingerprint": config.fingerprint(prep.name, variant),
        "n_gold": len(sample),
        "n_synthetic": len(synthetic),
        "synthetic_digest": synthetic_digest(synthetic),
        "steps": tagger.steps,
        "precision": tagger.settings.precision,  # as resolved for this run ("auto")
        "nnshot_support": tagger.settings.nnshot_support,
        "pairing": pairing.model_dump(),
        "budget": budget.model_dump(),
        "history": tagger.history,
        "families": families,
        "missing_support_labels": tagger.missing_support_labels,
        "timing": {
            "seconds": time.time() - started,
            "cpu_seconds": time.process_time() - started_cpu,
            "train_seconds": tagger.train_seconds,
            "train_sentences_per_second": tagger.train_sentences_per_second,
            "dev_eval_seconds": tagger.eval_seconds,
            **timing,
        },
    }
    write_json(run_dir / "result.json", result)
    (run_dir / "failed.json").unlink(missing_ok=True)
    return result


def vars_prf(p: Any) -> dict[str, float]:
    return {
        "precision": p.precision,
        "recall": p.recall,
        "f1": p.f1,
        "support": p.support,
        "predicted": p.predicted,
    }


def _ensembles(
    config: EvalConfig,
    dev_gold: list[list[str]],
    test_gold: list[list[str]],
    seed_dir: Path,
) -> dict[str, Any] | None:
    """Best-on-dev ensemble per family over the finished variants of one seed."""
    runs = {}
    for v in config.variants:
        rd = seed_dir / variant_slug(v)
        if (rd / "result.json").is_file() and (rd / "predictions.json").is_file():
            runs[v] = (read_json(rd / "result.json"), read_json(rd / "predictions.json"))
    if len(runs) < 2:
        return None
    out: dict[str, Any] = {}
    for fam in config.model:
        members = {v: r for v, r in runs.items() if fam in r[0]["families"]}
        if len(members) < 2:
            continue
        choice = choose_best(
            dev_gold,
            {v: r[1]["dev"][fam] for v, r in members.items()},
            test_gold,
            {v: r[1]["test"][fam] for v, r in members.items()},
            {v: r[0]["families"][fam]["dev_f1"] for v, r in members.items()},
        )
        best = choice.best_on_dev
        out[fam] = {
            "best_on_dev": {
                "name": best.name,
                "members": list(best.members),
                "dev_f1": best.dev_f1,
                "test_f1": best.test_f1,
                "test": score(test_gold, best.test_tags).to_dict(),
            },
            "oracle_best_on_test": {
                "name": choice.oracle_best_on_test.name,
                "dev_f1": choice.oracle_best_on_test.dev_f1,
                "test_f1": choice.oracle_best_on_test.test_f1,
            },
            "candidates": [
                {"name": c.name, "dev_f1": c.dev_f1, "test_f1": c.test_f1}
                for c in choice.candidates
            ],
            "best_test_tags": best.test_tags,
        }
    write_json(seed_dir / "ensembles.json", out)
    return out


@dataclass
class SeedData:
    seed_dir: Path
    sample: list[TaggedSentence]
    synthetic: dict[str, list[SyntheticRecord]] | None
    error: HilgenError | None = None


def _prepare_seed(
    config: EvalConfig, prep: Prepared, seed: int, out_dir: Path, emit: EventSink
) -> SeedData:
    """Sample (or reread) the k-shot set of this seed and make (or reread) its synthetic data."""
    seed_dir = out_dir / "runs" / prep.name / f"seed-{seed}"
    sample_file = seed_dir / "sample.json"
    drawn = datamod.seed_sample(
        prep.train_pool,
        config.k,
        seed,
        config.sampling,
        collapse_to=prep.collapse_to,
        sample_file=sample_file,
        corpus=prep.corpus,
    )
    by_id = {s.id: s for s in prep.train_pool}
    sample_sents = [by_id[i] for i in drawn.sentence_ids]
    sample = [TaggedSentence.from_sentence(s) for s in sample_sents]
    try:
        synth = _synthetic_for(config, prep, seed, sample_sents, drawn, seed_dir, emit)
    except HilgenError as err:
        return SeedData(seed_dir, sample, None, err)
    return SeedData(seed_dir, sample, synth)


def rebuild_ensembles(run_dir: Path) -> int:
    """Recompute every seed's ensembles from the predictions stored in a run folder (for a grid
    that was stopped before its end); return how many seeds got ensembles."""
    cfg = EvalConfig.model_validate(yaml.safe_load((run_dir / "config.yaml").read_text()))
    done = 0
    for ds in cfg.dataset_names:
        gold_dir = run_dir / "runs" / ds
        if (
            not (gold_dir / "dev_gold.json").is_file()
            or not (gold_dir / "test_gold.json").is_file()
        ):
            continue
        dev_gold = read_json(gold_dir / "dev_gold.json")["tags"]
        test_gold = read_json(gold_dir / "test_gold.json")["tags"]
        for seed in cfg.seeds:
            seed_dir = gold_dir / f"seed-{seed}"
            if seed_dir.is_dir() and _ensembles(cfg, dev_gold, test_gold, seed_dir) is not None:
                done += 1
    return done


def run_grid(
    config: EvalConfig,
    out_dir: Path,
    *,
    on_event: EventSink | None = None,
    shard: Shard | None = None,
) -> GridSummary:
    """Run (or resume) the whole grid, or one ``shard`` of its cells, into ``out_dir`` and
    write the report (a shard writes no ensembles: they need every variant of a seed, and
    ``hilgen report`` computes them when it merges the shards' folders)."""
    from hilgen_graph.evaluation.report import write_report

    emit = on_event or _noop
    started = time.time()
    cpu_started = cpu_seconds()
    emit(RunEvent("stage", "checking the config and loading datasets"))
    prepared = check_config(config)
    out_dir.mkdir(parents=True, exist_ok=True)
    for prep in prepared.values():
        if prep.skipped:
            shown = "; ".join(prep.skipped[:5])
            note = f"{prep.name}: skipped {len(prep.skipped)} malformed record(s): {shown}"
            emit(RunEvent("stage", note))
    skipped = {p.name: list(p.skipped) for p in prepared.values() if p.skipped}
    if skipped:
        write_json(out_dir / "skipped_records.json", skipped, indent=1)
    write_text(
        out_dir / "config.yaml", yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)
    )
    summary = GridSummary(out_dir)
    cells = grid_cells(config)
    if shard is not None:
        cells = shard.take(cells)
    total = len(cells)
    emit(
        RunEvent(
            "grid",
            f"{total} training runs" + (f" (shard {shard})" if shard else ""),
            total=total,
        )
    )
    done = 0
    # 1. per dataset and seed: the k-shot sample and its synthetic data
    seeds_ready: dict[tuple[str, int], SeedData] = {}
    for ds in config.dataset_names:
        prep = prepared[ds]
        for split, sents in (("dev", prep.dev), ("test", prep.test)):
            write_json(
                out_dir / "runs" / ds / f"{split}_gold.json",
                {"ids": [s.id for s in sents], "tags": [list(s.tags) for s in sents]},
            )
        for seed in config.seeds:
            if any(c.dataset == ds and c.seed == seed for c in cells):
                seeds_ready[(ds, seed)] = _prepare_seed(config, prep, seed, out_dir, emit)
    # 2. training runs in the grid's canonical order (``grid_cells``)
    for cell in cells:
        ds, seed, variant = cell.dataset, cell.seed, cell.variant
        prep = prepared[ds]
        sd = seeds_ready[(ds, seed)]
        run_dir = sd.seed_dir / variant_slug(variant)
        label = cell.label
        res_file = run_dir / "result.json"
        chosen = None if sd.synthetic is None else _select(variant, config, sd.synthetic, ds)
        if _finished(res_file, config.fingerprint(ds, variant), chosen):
            summary.reused += 1
            done += 1
            emit(RunEvent("run_done", label, done, total, "reused"))
            continue
        emit(RunEvent("run_start", label, done, total))
        try:
            if sd.synthetic is None and variant != "baseline":
                raise sd.error or ConfigError(f"{label}: no synthetic data")
            records = chosen or []
            if variant != "baseline" and not records:
                raise ConfigError(
                    f"{label}: the arm produced no synthetic sentence for this variant"
                )
            run_one(config, prep, seed, variant, sd.sample, records, run_dir, emit)
            summary.finished += 1
            status = "ok"
        except (HilgenError, RuntimeError, ValueError, OSError) as err:
            summary.failed += 1
            status = "failed"
            write_json(
                run_dir / "failed.json",
                {
                    "dataset": ds,
                    "seed": seed,
                    "variant": variant,
                    "error": f"{type(err).__name__}: {err}",
                    "traceback": traceback.format_exc(),
                },
            )
            summary.failures.append({"run": label, "error": str(err)})
        done += 1
        emit(RunEvent("run_done", label, done, total, status))
    # 3. ensembles per dataset and seed over the finished variants
    if config.ensembles and shard is None:
        for (ds, _seed), sd in seeds_ready.items():
            prep = prepared[ds]
            _ensembles(
                config,
                [list(s.tags) for s in prep.dev],
                [list(s.tags) for s in prep.test],
                sd.seed_dir,
            )
    summary.seconds = time.time() - started
    cpu = cpu_seconds() - cpu_started
    grid_name = "grid.json" if shard is None else f"grid-shard-{shard.index}-of-{shard.count}.json"
    grid_file = out_dir / grid_name
    previous = read_json(grid_file) if grid_file.is_file() else {}
    write_json(
        grid_file,
        {
            "seconds": summary.seconds,
            "total_seconds": previous.get("total_seconds", 0.0) + summary.seconds,
            "cpu_seconds": cpu,
            "total_cpu_seconds": previous.get("total_cpu_seconds", 0.0) + cpu,
            # every invocation's interval, so a report can tell overlapping shards and idle
            # gaps from compute (report.combine_grids)
            "invocations": [
                *previous.get("invocations", []),
                {
                    "start": started,
                    "end": started + summary.seconds,
                    "seconds": summary.seconds,
                    "cpu_seconds": cpu,
                    "trained": summary.finished,
                    "reused": summary.reused,
                    "failed": summary.failed,
                    "shard": None if shard is None else str(shard),
                },
            ],
            "finished": summary.finished,
            "reused": summary.reused,
            "failed": summary.failed,
            "shard": None if shard is None else str(shard),
            "cells": total,
            "machine": machine(),
        },
    )
    if shard is not None:
        return summary
    emit(RunEvent("stage", "writing the report"))
    write_report(out_dir, config)
    return summary
