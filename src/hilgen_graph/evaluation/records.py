"""Typed records that the evaluation writes to (and reads back from) a run folder.

``DevCurve``: a run's dev strict F1 at every checked step (``dev_curve.json``); ``Cell``: one
training run of the grid (dataset × seed × variant); ``Shard``: a deterministic slice of the
grid (``--shard I/N``); ``Pairing``: what every variant of a seed must share for a paired
comparison; ``Coverage``: which cells of a grid are finished, failed or missing.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from hilgen_graph.errors import ConfigError


class DevPoint(BaseModel):
    model_config = ConfigDict(extra="forbid")

    step: int
    loss: float
    dev_f1: dict[str, float]  # family -> dev strict F1 at this step


class DevCurve(BaseModel):
    """The dev curve of one run; ``best_step`` is the checkpoint each family kept."""

    model_config = ConfigDict(extra="forbid")

    dataset: str
    seed: int
    variant: str
    steps: int
    eval_every: int | None = None
    points: list[DevPoint]
    best_step: dict[str, int]

    @classmethod
    def from_history(
        cls,
        history: list[dict[str, float]],
        *,
        dataset: str,
        seed: int,
        variant: str,
        steps: int,
        eval_every: int | None,
        best_step: dict[str, int],
    ) -> DevCurve:
        points = [
            DevPoint(
                step=int(h["step"]),
                loss=float(h["loss"]),
                dev_f1={
                    k[len("dev_f1_") :]: float(v) for k, v in h.items() if k.startswith("dev_f1_")
                },
            )
            for h in history
        ]
        return cls(
            dataset=dataset,
            seed=seed,
            variant=variant,
            steps=steps,
            eval_every=eval_every,
            points=points,
            best_step=best_step,
        )


class Pairing(BaseModel):
    """Digests every variant of one seed must share: the k-shot sample, the dev subset, the
    test sentences and the freshly initialised classification head."""

    model_config = ConfigDict(extra="forbid")

    sample: str
    dev: str
    test: str
    initial_head: str


class Budget(BaseModel):
    """What a run's training budget was, as trained."""

    model_config = ConfigDict(extra="forbid")

    rule: str  # "fixed steps, gold per batch" | "epoch rule"
    steps: int
    batch_size: int
    gold_per_batch: int | None
    gold_passes: int  # gold-sentence passes over the whole run
    gold_passes_per_sentence: float


@dataclass(frozen=True, order=True)
class Cell:
    """One training run of the grid."""

    dataset: str
    seed: int
    variant: str

    @property
    def label(self) -> str:
        return f"{self.dataset} seed {self.seed} {self.variant}"


@dataclass(frozen=True)
class Shard:
    """Slice ``index`` (1-based) of ``count``: cell ``i`` of the grid's canonical order goes to
    slice ``i % count + 1``, so slices are disjoint, cover the grid and need no coordination."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        left, sep, right = text.partition("/")
        try:
            index, count = int(left), int(right)
        except ValueError:
            index = count = 0
        if not sep or count < 1 or not 1 <= index <= count:
            raise ConfigError(f"--shard {text!r}: expected I/N with 1 <= I <= N, e.g. --shard 1/4")
        return cls(index, count)

    def take(self, cells: list[Cell]) -> list[Cell]:
        return [c for i, c in enumerate(cells) if i % self.count == self.index - 1]

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


class CellStatus(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset: str
    seed: int
    variant: str
    error: str | None = None


class Coverage(BaseModel):
    """Which cells of the configured grid a run folder holds."""

    model_config = ConfigDict(extra="forbid")

    expected: int
    finished: int
    failed: list[CellStatus] = Field(default_factory=list)
    missing: list[CellStatus] = Field(default_factory=list)  # neither finished nor failed
    stale: list[CellStatus] = Field(default_factory=list)  # finished under another config

    @property
    def complete(self) -> bool:
        return self.finished == self.expected
