"""Typed evaluation config, loaded from one YAML file.

A config names datasets × seeds × variants × model families. ``check_config`` validates
everything that can be known before training (datasets present, variant names, encoder, label
sets of train and test) and raises ``ConfigError`` listing what is available.

Variants: ``baseline`` (k-shot only); ``kg:<layer>`` for each KG-arm layer and ``kg:all``;
``llm:<prompt>`` and ``llm:all`` (LLM-arm records, from ``synthetic.llm``); ``kg+llm``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic import ValidationError as PydanticValidationError

from hilgen_graph.errors import ConfigError
from hilgen_graph.evaluation.precision import Precision, resolve_precision
from hilgen_graph.evaluation.train import NnshotSupport, TrainSettings, pick_device

Family = Literal["linear", "nnshot"]
DEFAULT_KG_LAYERS = ("synonyms", "semantic_type", "parents", "children", "siblings")


class TrainingConfig(BaseModel):
    """Training settings (see ``evaluation.train`` for the two budget rules).

    ``steps`` + ``gold_per_batch`` = the fixed budget with gold oversampling (every variant of
    a seed: the same steps, the same gold sentences in every batch, synthetic ones filling the
    rest of ``batch_size``); without ``steps`` the epoch rule (``epochs``, ``min_steps``,
    ``max_steps``) applies. ``eval_every`` scores the dev subset every N steps."""

    model_config = ConfigDict(extra="forbid")

    steps: int | None = Field(default=None, ge=1)
    gold_per_batch: int | None = Field(default=None, ge=1)
    eval_every: int | None = Field(default=None, ge=1)
    # how the synthetic part of a batch is drawn: from the whole synthetic set, or seed
    # sentence by seed sentence so each gold sentence's synthetic data is seen equally often
    synthetic_balance: Literal["none", "seed_sentence"] = "none"
    # the last N steps of the fixed budget train on the gold part of their batches only
    # (synthetic, then gold: the head ends on the gold distribution; gold passes unchanged)
    gold_finish_steps: int = Field(default=0, ge=0)
    # synthetic sentences in each batch of the fixed budget (default: the rest of batch_size
    # after the gold ones); fewer gives the synthetic data a smaller share of every step
    synthetic_per_batch: int | None = Field(default=None, ge=1)

    lr: float = 5e-5
    batch_size: int = Field(default=32, ge=1)
    max_length: int = Field(default=128, ge=8, le=512)
    epochs: int = Field(default=10, ge=1)
    min_steps: int = Field(default=30, ge=1)
    max_steps: int = Field(default=200, ge=1)
    eval_points: int = Field(default=4, ge=1)
    warmup_ratio: float = Field(default=0.1, ge=0, lt=1)
    weight_decay: float = 0.01
    eval_batch_size: int = Field(default=64, ge=1)
    nnshot_viterbi: bool = True
    nnshot_temperature: float = Field(default=0.05, gt=0)
    device: Literal["auto", "cpu", "cuda"] = "auto"
    threads: int | None = None
    # forward passes in float32, or under bfloat16 autocast (about 2x faster on CPUs with
    # AVX512-BF16/AMX and on recent GPUs; slower where bfloat16 is emulated); auto: bf16 where
    # native. The resolved precision is what the fingerprint hashes (see evaluation.precision)
    precision: Precision = "fp32"
    # the nnshot family's support set: every training sentence (gold + synthetic), or the gold
    # k-shot sentences only (the synthetic data then shapes the encoder but labels no test
    # token directly); the linear family and training itself are the same either way
    nnshot_support: NnshotSupport = "train"

    def resolved_precision(self) -> str:
        return resolve_precision(self.precision, pick_device(self.device))

    @model_validator(mode="after")
    def _budget(self) -> TrainingConfig:
        if self.gold_per_batch is not None and self.steps is None:
            raise ValueError(
                "gold_per_batch needs a fixed `steps` budget (the same for every variant)"
            )
        if self.gold_per_batch is not None and self.gold_per_batch > self.batch_size:
            raise ValueError(
                f"gold_per_batch {self.gold_per_batch} exceeds batch_size {self.batch_size}"
            )
        if self.gold_finish_steps and (self.steps is None or self.gold_per_batch is None):
            raise ValueError(
                "gold_finish_steps needs the fixed budget (`steps` and `gold_per_batch`)"
            )
        if self.synthetic_per_batch is not None and self.gold_per_batch is None:
            raise ValueError(
                "synthetic_per_batch needs the fixed budget (`steps` and `gold_per_batch`)"
            )
        if (
            self.synthetic_per_batch is not None
            and self.gold_per_batch is not None
            and self.gold_per_batch + self.synthetic_per_batch > self.batch_size
        ):
            raise ValueError(
                f"gold_per_batch {self.gold_per_batch} + synthetic_per_batch "
                f"{self.synthetic_per_batch} exceeds batch_size {self.batch_size}"
            )
        if self.steps is not None and self.gold_finish_steps >= self.steps:
            raise ValueError(
                f"gold_finish_steps {self.gold_finish_steps} leaves no step of the {self.steps} "
                "with synthetic sentences; use fewer"
            )
        return self

    def settings(self) -> TrainSettings:
        return TrainSettings(**self.model_dump())


class KGConfig(BaseModel):
    """How the KG arm makes synthetic data for each sampled k-shot set."""

    model_config = ConfigDict(extra="allow")

    graph: str = "free"  # graph name or store directory, passed to the KG arm
    layers: list[str] = Field(default_factory=lambda: list(DEFAULT_KG_LAYERS))
    per_layer: int = Field(default=10, ge=1)
    # LABEL -> semantic groups the label may link to and expand into, and "-TUI" types kept
    # out of it (as --label-groups: {"Chemical": ["CHEM", "-T126"]})
    label_groups: dict[str, list[str]] = Field(default_factory=dict)
    # semantic_type layer: "shared" (any type in common) | "exact" (the source's set of types)
    semantic_type_match: Literal["shared", "exact"] = "shared"
    # a substitution replaces the mention and its co-referent mentions in the sentence (the same
    # text, an abbreviation and its long form; "X (ABBR)" loses the parenthesis): "group"; or
    # the one mention, as grids before 2026-12 did: "one"; or the group and every other linked
    # mention of the sentence, each with a name from its own walk: "all" (kg_arm.substitution)
    mentions: Literal["group", "one", "all"] = "group"
    # a substitute name agrees in grammatical number with the mention it replaces (a drug is
    # not replaced by a class name such as "pyridines"; grounding.names.grammatical_number)
    number_agreement: bool = False
    # the entity labels the arm substitutes (as --labels); empty: every label
    labels: list[str] = Field(default_factory=list)
    # the layers whose sentences `kg:all` and `kg+llm` train on: every one of `layers` (None,
    # the default), one list for every dataset, or dataset -> list (a choice made on dev, e.g.
    # the two best single layers of a grid's `kg:<layer>` runs). The single-layer variants
    # read `layers` as before; `kg:all` is the union of the named layers' data.
    all_layers: list[str] | dict[str, list[str]] | None = None

    @model_validator(mode="after")
    def _all_layers(self) -> KGConfig:
        chosen = self.all_layers
        lists = chosen.values() if isinstance(chosen, dict) else [] if chosen is None else [chosen]
        for names in lists:
            unknown = [x for x in names if x not in self.layers]
            if not names or unknown or len(set(names)) != len(names):
                raise ValueError(
                    f"all_layers {names}: expected distinct layers out of kg.layers "
                    f"{self.layers}" + (f" (not there: {unknown})" if unknown else "")
                )
        return self

    def layers_for_all(self, dataset: str) -> list[str] | None:
        """The layers `kg:all` reads for one dataset, or None for every layer."""
        chosen = self.all_layers
        if isinstance(chosen, dict):
            return chosen.get(dataset)
        return chosen

    @field_validator("label_groups")
    @classmethod
    def _label_groups(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        from hilgen_graph.grounding.label_groups import parse_label_groups

        try:
            parse_label_groups(value)
        except ConfigError as err:  # reported with the file and field by load_config
            raise ValueError(str(err)) from err
        return value


class DatasetSpec(BaseModel):
    """A registered corpus (``hilgen data check`` lists them), the form to read and an
    optional type merge."""

    model_config = ConfigDict(extra="forbid")

    name: str
    form: str = "pubtator"  # pubtator (has concept ids, needed by the KG arm) | iob
    collapse_to: str | None = None  # e.g. "Disease" for NCBI-disease's four fine types
    # your own corpus instead of a registered one: the three split files (format detected)
    train: str | None = None
    dev: str | None = None
    test: str | None = None
    # skip malformed records of the split files (each one reported) instead of failing
    lenient: bool = False

    @property
    def custom(self) -> bool:
        return any(x is not None for x in (self.train, self.dev, self.test))


class EvalConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    datasets: list[DatasetSpec] = Field(min_length=1)
    k: int = Field(default=5, ge=1)
    sampling: str = "hilgen"  # k-shot sampling scheme of the corpus sampler: hilgen | greedy
    seeds: list[int] = Field(min_length=1)
    variants: list[str] = Field(default_factory=lambda: ["baseline"])
    # fewer seeds for some variants (e.g. the single-layer ones): variant -> seeds, a subset of
    # `seeds`; the others run every seed
    variant_seeds: dict[str, list[int]] = Field(default_factory=dict)
    model: list[Family] = ["linear"]
    encoder: str = "minilm"
    training: TrainingConfig = TrainingConfig()
    dev_subset: int | None = Field(
        default=200, ge=1
    )  # fixed random subset of dev; None = all of dev
    test_limit: int | None = Field(default=None, ge=1)  # None = the full test split (the default)
    ensembles: bool = True
    bootstrap_samples: int = Field(default=1000, ge=0)
    kg: KGConfig = KGConfig()
    # given synthetic data instead of generating it: arm ("kg" | "llm") -> JSONL path; the path
    # may hold {dataset}, {seed} and {k} placeholders
    synthetic: dict[Literal["kg", "llm"], str] = Field(default_factory=dict)

    @field_validator("datasets", mode="before")
    @classmethod
    def _names_or_specs(cls, v: Any) -> Any:
        if isinstance(v, list):
            return [{"name": x} if isinstance(x, str) else x for x in v]
        return v

    @model_validator(mode="after")
    def _all_layers_datasets(self) -> EvalConfig:
        chosen = self.kg.all_layers
        extra = sorted(set(chosen) - set(self.dataset_names)) if isinstance(chosen, dict) else []
        if extra:
            raise ValueError(
                f"kg.all_layers names dataset(s) {extra} that are not in datasets "
                f"{self.dataset_names}"
            )
        return self

    @model_validator(mode="after")
    def _variant_seeds(self) -> EvalConfig:
        for v, seeds in self.variant_seeds.items():
            if v not in self.variants:
                raise ValueError(f"variant_seeds names {v!r}, which is not in variants")
            extra = sorted(set(seeds) - set(self.seeds))
            if extra:
                raise ValueError(f"variant_seeds[{v!r}] has seeds {extra} that are not in seeds")
        return self

    def seeds_for(self, variant: str) -> list[int]:
        """The seeds a variant runs with (``variant_seeds`` or all of ``seeds``)."""
        only = self.variant_seeds.get(variant)
        return [s for s in self.seeds if only is None or s in only]

    @property
    def dataset_names(self) -> list[str]:
        return [d.name for d in self.datasets]

    @field_validator("model", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    @field_validator("variants")
    @classmethod
    def _no_duplicates(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError(f"duplicate variants in {v}")
        if "baseline" not in v:
            v = ["baseline", *v]  # every comparison needs the baseline
        return v

    def fingerprint(self, dataset: str, variant: str | None = None) -> str:
        """Hash of everything that changes one run's results (not the grid's extent).

        With ``variant``, only the ``synthetic`` files (and synthetic sampling settings) that
        variant reads count, so adding LLM-arm data to a finished grid leaves its baseline and
        KG runs valid."""
        keep = self.model_dump(
            mode="json",
            include={
                "k",
                "sampling",
                "encoder",
                "training",
                "dev_subset",
                "test_limit",
                "kg",
                "synthetic",
                "model",
            },
        )
        # runs resumed on other hardware: "auto" counts as what it resolves to there
        keep["training"]["precision"] = self.training.resolved_precision()
        used = arms_read(variant) if variant is not None else None
        if used is not None:
            keep["synthetic"] = {a: p for a, p in keep["synthetic"].items() if a in used}
        for (section, key), (default, arms) in LATER_SETTINGS.items():
            moot = arms is not None and used is not None and not (used & arms)
            if moot or keep[section][key] == default:
                keep[section].pop(key)  # hashes as before the setting existed
        for (section, key), (default, arms) in ARM_SETTINGS.items():
            if used is not None and not (used & arms):
                keep[section][key] = default
        # kg.all_layers: only this dataset's choice, and only where kg:all's data is read
        chosen = self.kg.layers_for_all(dataset)
        keep["kg"].pop("all_layers", None)
        if chosen is not None and (variant is None or variant in ALL_LAYER_VARIANTS):
            keep["kg"]["all_layers"] = chosen
        keep["dataset"] = next(d.model_dump() for d in self.datasets if d.name == dataset)
        return hashlib.sha256(json.dumps(keep, sort_keys=True).encode()).hexdigest()[:16]

    def synthetic_path(self, arm: str, dataset: str, seed: int) -> Path | None:
        raw = self.synthetic.get(arm)  # type: ignore[call-overload]
        if raw is None:
            return None
        return Path(raw.format(dataset=dataset, seed=seed, k=self.k)).expanduser()


def _merged(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` on top of ``base``: mappings merge key by key, anything else is replaced, and a
    key set to null (``variant_seeds: null``) drops the base's value (the default applies)."""
    out = dict(base)
    for key, value in over.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merged(out[key], value)
        else:
            out[key] = value
    return out


def _read_raw(p: Path, chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    """A config file's mapping, with the file named by its ``extends:`` key (a path relative
    to this file) underneath: this file's settings win, mappings merge key by key."""
    if not p.is_file():
        where = f" (extended by {chain[-1]})" if chain else ""
        raise ConfigError(f"config file not found: {p}{where}; shipped configs are in configs/")
    if p.resolve() in {c.resolve() for c in chain}:
        raise ConfigError(
            f"{chain[-1]}: `extends: {p.name}` makes a cycle "
            f"({' -> '.join(c.name for c in (*chain, p))}); remove one of the extends keys"
        )
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise ConfigError(f"{p}: not valid YAML: {err}") from err
    if not isinstance(raw, dict):
        raise ConfigError(f"{p}: the config must be a mapping of settings")
    parent = raw.pop("extends", None)
    if parent is None:
        return raw
    if not isinstance(parent, str) or not parent.strip():
        raise ConfigError(f"{p}: field `extends`: expected the path of another config file")
    base = _read_raw(p.parent / parent, (*chain, p))
    base.pop("name", None)  # a config's name is its own (else its file name)
    return _merged(base, raw)


def load_config(path: str | Path) -> EvalConfig:
    """Read and type-check a YAML config (and the one its ``extends:`` key names); errors
    name the file and the offending field."""
    p = Path(path)
    raw = _read_raw(p)
    raw.setdefault("name", p.stem)
    try:
        return EvalConfig.model_validate(raw)
    except PydanticValidationError as err:
        first = err.errors()[0]
        loc = ".".join(str(x) for x in first["loc"])
        # a whole-config check (variants against variant_seeds, ...) has no field of its own
        where = f"field `{loc}`: " if loc else ""
        raise ConfigError(
            f"{p}: {where}{first['msg']}; allowed fields: {', '.join(EvalConfig.model_fields)}"
        ) from err


# Settings added after grids had run: (section, key) -> (default, the arms whose data it
# changes, None: every variant). At its default, or for a variant that reads none of those
# arms, a setting is left out of the fingerprint, so finished runs keep their hashes.
LATER_SETTINGS: dict[tuple[str, str], tuple[Any, set[str] | None]] = {
    ("training", "synthetic_balance"): ("none", {"kg", "llm"}),
    ("kg", "semantic_type_match"): ("shared", {"kg"}),
    ("training", "precision"): ("fp32", None),
    ("training", "nnshot_support"): ("train", {"kg", "llm"}),  # the baseline trains on gold only
    # the default changed to "group": a grid without the key remakes its KG runs
    ("kg", "mentions"): ("one", {"kg"}),
    ("training", "gold_finish_steps"): (0, {"kg", "llm"}),  # the baseline's batches are gold
    ("kg", "number_agreement"): (False, {"kg"}),
    ("kg", "labels"): ([], {"kg"}),
    ("training", "synthetic_per_batch"): (None, {"kg", "llm"}),  # the baseline's are gold
}
# Settings hashed from the start that only some arms read: (section, key) -> (default, arms).
# A variant that reads none of those arms hashes the default, so changing the setting keeps
# its baseline and LLM runs (the KG arm's label profile does not touch them).
ARM_SETTINGS: dict[tuple[str, str], tuple[Any, set[str]]] = {
    ("kg", "label_groups"): ({}, {"kg"}),
    ("kg", "layers"): (list(DEFAULT_KG_LAYERS), {"kg"}),
    ("kg", "per_layer"): (10, {"kg"}),
}


# the variants that train on `kg:all`'s data (the layers of kg.all_layers)
ALL_LAYER_VARIANTS = ("kg:all", "kg+llm")


def arms_read(variant: str) -> set[str]:
    """The synthetic arms a variant trains on: {} for the baseline, {'kg'}, {'llm'} or both."""
    if variant == "kg+llm":
        return {"kg", "llm"}
    arm, _, _ = variant.partition(":")
    return {arm} if arm in ("kg", "llm") else set()


def parse_variant(variant: str, kg_layers: list[str]) -> tuple[str, str]:
    """``(arm, selector)``: ('none','') | ('kg', layer|'all') | ('llm', prompt|'all') |
    ('kg+llm', 'all'); unknown names raise ``ConfigError`` listing the allowed ones."""
    if variant == "baseline":
        return ("none", "")
    if variant == "kg+llm":
        return ("kg+llm", "all")
    arm, _, sel = variant.partition(":")
    if arm == "kg" and (sel == "all" or sel in kg_layers):
        return ("kg", sel)
    if arm == "llm" and sel:
        return ("llm", sel)
    allowed = [
        "baseline",
        *(f"kg:{x}" for x in kg_layers),
        "kg:all",
        "llm:<prompt>",
        "llm:all",
        "kg+llm",
    ]
    raise ConfigError(f"unknown variant {variant!r}; available: {', '.join(allowed)}")
