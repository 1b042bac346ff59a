"""Check-report data: counts per funnel stage, rejection examples, acceptance per prompt family
and per layer, grounding to the intended concept, and diversity (distinct-n, self-BLEU).

:func:`build_report` summarises funnel results; :func:`check_file` re-runs the funnel over a
synthetic JSONL file (plus its ``*.rejected.jsonl`` sidecar, written by ``hilgen generate llm``,
so that generation-time rejections with their raw output are counted too).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hilgen_graph.errors import CorpusFormatError
from hilgen_graph.graph.store import GraphStore
from hilgen_graph.grounding.label_groups import parse_label_groups
from hilgen_graph.grounding.records import LabelProfile
from hilgen_graph.synthetic import SyntheticRecord, read_synthetic
from hilgen_graph.validation.funnel import (
    STAGES,
    Candidate,
    EntityLink,
    Funnel,
    FunnelResult,
    Rejection,
    candidate_from_record,
)
from hilgen_graph.validation.guard import HeldoutIndex

MAX_EXAMPLES = 3
SELF_BLEU_SAMPLE = 200


@dataclass(frozen=True, slots=True)
class StageCount:
    stage: str
    entered: int
    passed: int
    rejected: int
    skipped: int


@dataclass(frozen=True, slots=True)
class Example:
    id: str
    reason: str
    text: str
    raw_output: str


@dataclass(frozen=True, slots=True)
class Acceptance:
    total: int
    accepted: int

    @property
    def rate(self) -> float:
        return self.accepted / self.total if self.total else 0.0


@dataclass(frozen=True, slots=True)
class Diversity:
    sentences: int
    distinct_1: float
    distinct_2: float
    self_bleu: float


@dataclass(frozen=True, slots=True)
class Grounding:
    """How many new entities (not gold mentions carried over from the seed) of the sentences
    that reached the grounding stage name the intended concept, and how many sentences do."""

    entities: int
    entities_intended: int
    sentences: int
    sentences_intended: int

    @property
    def entity_share(self) -> float:
        return self.entities_intended / self.entities if self.entities else 0.0

    @property
    def sentence_share(self) -> float:
        return self.sentences_intended / self.sentences if self.sentences else 0.0


@dataclass
class CheckReport:
    total: int
    accepted: int
    rejected: dict[str, int]
    stages: list[StageCount]
    examples: dict[str, list[Example]]
    per_family: dict[str, Acceptance]
    per_layer: dict[str, Acceptance]
    per_prompt: dict[str, Acceptance]
    grounding: Grounding
    diversity: Diversity
    elapsed_s: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def acceptance(self) -> float:
        return self.accepted / self.total if self.total else 0.0

    @property
    def sentences_per_min(self) -> float | None:
        """Accepted sentences per minute of generation, when the generation time is known."""
        if not self.elapsed_s:
            return None
        return self.accepted / (self.elapsed_s / 60.0)

    def to_json(self) -> dict[str, Any]:
        def acc(d: dict[str, Acceptance]) -> dict[str, Any]:
            return {
                k: {"total": v.total, "accepted": v.accepted, "rate": round(v.rate, 4)}
                for k, v in d.items()
            }

        return {
            "total": self.total,
            "accepted": self.accepted,
            "rejected": dict(self.rejected),
            "acceptance": round(self.acceptance, 4),
            "stages": [asdict(s) for s in self.stages],
            "examples": {k: [asdict(e) for e in v] for k, v in self.examples.items()},
            "per_family": acc(self.per_family),
            "per_layer": acc(self.per_layer),
            "per_prompt": acc(self.per_prompt),
            "grounding": {
                **asdict(self.grounding),
                "entity_share": round(self.grounding.entity_share, 4),
                "sentence_share": round(self.grounding.sentence_share, 4),
            },
            "diversity": asdict(self.diversity),
            "elapsed_s": self.elapsed_s,
            "sentences_per_min": (
                round(self.sentences_per_min, 2) if self.sentences_per_min is not None else None
            ),
            **self.extra,
        }


# --- diversity -----------------------------------------------------------------------------------
def _ngrams(tokens: Sequence[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def distinct_n(sentences: Sequence[Sequence[str]], n: int) -> float:
    """Distinct n-grams over all n-grams (Li et al. 2016), lower-cased; 0 for no n-grams."""
    grams = [g for s in sentences for g in _ngrams([t.lower() for t in s], n)]
    return len(set(grams)) / len(grams) if grams else 0.0


def sentence_bleu(
    hypothesis: Sequence[str], references: Sequence[Sequence[str]], max_n: int = 4
) -> float:
    """BLEU of one hypothesis against references: clipped n-gram precisions (add-one smoothing
    for n > 1), geometric mean, brevity penalty against the closest reference length."""
    if not hypothesis or not references:
        return 0.0
    log_sum = 0.0
    for n in range(1, max_n + 1):
        hyp = Counter(_ngrams(hypothesis, n))
        total = sum(hyp.values())
        max_ref: Counter[tuple[str, ...]] = Counter()
        for ref in references:
            for g, c in Counter(_ngrams(ref, n)).items():
                if c > max_ref[g]:
                    max_ref[g] = c
        clipped = sum(min(c, max_ref[g]) for g, c in hyp.items())
        if n == 1:
            if clipped == 0:
                return 0.0
            p = clipped / total
        else:
            p = (clipped + 1) / (total + 1)
        log_sum += math.log(p) / max_n
    hl = len(hypothesis)
    closest = min((abs(len(r) - hl), len(r)) for r in references)[1]
    bp = 1.0 if hl > closest else math.exp(1 - closest / hl)
    return bp * math.exp(log_sum)


def self_bleu(sentences: Sequence[Sequence[str]], sample: int = SELF_BLEU_SAMPLE) -> float:
    """Mean BLEU of each sentence against all the others (higher = less diverse)."""
    sents = [[t.lower() for t in s] for s in sentences[:sample] if s]
    if len(sents) < 2:
        return 0.0
    scores = [sentence_bleu(s, sents[:i] + sents[i + 1 :]) for i, s in enumerate(sents)]
    return sum(scores) / len(scores)


def diversity(sentences: Sequence[Sequence[str]]) -> Diversity:
    return Diversity(
        sentences=len(sentences),
        distinct_1=round(distinct_n(sentences, 1), 4),
        distinct_2=round(distinct_n(sentences, 2), 4),
        self_bleu=round(self_bleu(sentences), 4),
    )


# --- the report ----------------------------------------------------------------------------------
def _family(c: Candidate) -> str:
    llm = c.provenance.llm
    if llm is None:
        return c.provenance.arm
    return llm.prompt_family or llm.prompt_name


def build_report(results: Iterable[FunnelResult], elapsed_s: float | None = None) -> CheckReport:
    """Summarise funnel results."""
    rs = list(results)
    entered = Counter[str]()
    passed = Counter[str]()
    skipped = Counter[str]()
    rejected = Counter[str]()
    examples: dict[str, list[Example]] = {}
    fam: dict[str, list[int]] = {}
    lay: dict[str, list[int]] = {}
    pro: dict[str, list[int]] = {}
    ents = ents_int = sents = sents_int = 0
    accepted_tokens: list[list[str]] = []
    for r in rs:
        for s in r.passed:
            entered[s] += 1
            passed[s] += 1
        for s in r.skipped:
            skipped[s] += 1
        c = r.candidate
        if r.stage is not None:
            entered[r.stage] += 1
            rejected[r.stage] += 1
            ex = examples.setdefault(r.stage, [])
            if len(ex) < MAX_EXAMPLES:
                ex.append(Example(c.id, r.reason, c.text, c.raw_output[:600]))
        else:
            accepted_tokens.append([t.text for t in c.tokens])
        ok = 1 if r.accepted else 0
        for table, key in (
            (fam, _family(c)),
            (lay, (r.record.provenance if r.record else c.provenance).layer),
            (pro, c.provenance.llm.prompt_name if c.provenance.llm else c.provenance.arm),
        ):
            slot = table.setdefault(key, [0, 0])
            slot[0] += 1
            slot[1] += ok
        reached = "grounding" in r.passed or r.stage == "grounding"
        if reached and (r.links or not c.spans):  # (no store: no links; not counted)
            new = [e for e in r.links if not e.from_seed]
            sents += 1
            ents += len(new)
            hits = sum(1 for e in new if e.intended)
            ents_int += hits
            sents_int += 1 if hits else 0
    stages = [StageCount(s, entered[s], passed[s], rejected[s], skipped[s]) for s in STAGES]

    def acc(d: dict[str, list[int]]) -> dict[str, Acceptance]:
        return {k: Acceptance(v[0], v[1]) for k, v in sorted(d.items())}

    return CheckReport(
        total=len(rs),
        accepted=sum(1 for r in rs if r.accepted),
        rejected={s: rejected[s] for s in STAGES if rejected[s]},
        stages=stages,
        examples=examples,
        per_family=acc(fam),
        per_layer=acc(lay),
        per_prompt=acc(pro),
        grounding=Grounding(ents, ents_int, sents, sents_int),
        diversity=diversity(accepted_tokens),
        elapsed_s=elapsed_s,
    )


def rejected_path(path: str | Path) -> Path:
    """The sidecar of generation-time rejections beside a synthetic JSONL file."""
    p = Path(path)
    return p.with_name(p.name.removesuffix(".jsonl") + ".rejected.jsonl")


def read_rejections(path: str | Path) -> list[Rejection]:
    p = Path(path)
    out: list[Rejection] = []
    with p.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                out.append(Rejection.model_validate_json(line))
            except ValueError as err:
                raise CorpusFormatError(
                    f"not a rejection record: {err}",
                    path=str(p),
                    line=lineno,
                    text=line[:200],
                    fix="the sidecar holds one Rejection JSON object per line; delete it to "
                    "check the accepted records only",
                ) from err
    return out


def result_from_rejection(rej: Rejection, funnel: Funnel | None = None) -> FunnelResult:
    """A funnel result for a sentence rejected at generation time (from the sidecar), with its
    recorded stage and reason; when it had reached the grounding stage and ``funnel`` has a
    graph, its entity links are computed again (for the grounding share of the report)."""
    idx = STAGES.index(rej.stage) if rej.stage in STAGES else 0
    cand = Candidate(id=rej.id, provenance=rej.provenance, text=rej.text, raw_output=rej.raw_output)
    links: tuple[EntityLink, ...] = ()
    if rej.text and rej.tokens and len(rej.tokens) == len(rej.tags):
        record = SyntheticRecord(
            id=rej.id, text=rej.text, tokens=rej.tokens, tags=rej.tags, provenance=rej.provenance
        )
        full = candidate_from_record(record, raw_output=rej.raw_output)
        if not full.issues:
            cand = full
            reached = idx >= STAGES.index("grounding")
            if reached and funnel is not None and funnel.store is not None:
                links = funnel.links_for(cand, funnel.intended_ids(cand))
    return FunnelResult(cand, rej.stage, rej.reason, STAGES[:idx], (), links)


def check_file(
    path: str | Path,
    store: GraphStore | None = None,
    *,
    heldout: HeldoutIndex | None = None,
    include_rejected: bool = True,
    label_groups: Mapping[str, Sequence[str]] | None = None,
) -> CheckReport:
    """Re-run the funnel over every record of ``path`` and summarise.

    Records rejected now count at their stage; with ``include_rejected`` the generation-time
    rejections of the ``*.rejected.jsonl`` sidecar are added. The ``*.meta.json`` sidecar, when
    present, gives the generation time (sentences/min), the user's label groups and the label
    profiles learnt from evidence by the run (``label_groups`` given here wins).
    """
    p = Path(path)
    meta = read_meta(p)
    groups = (
        label_groups if label_groups is not None else parse_label_groups(meta.get("label_groups"))
    )
    profiles = [LabelProfile.from_dict(d) for d in meta.get("label_profiles") or []]
    funnel = Funnel(store, heldout=heldout, label_groups=groups, profiles=profiles)
    results = [funnel.check(candidate_from_record(rec)) for rec in read_synthetic(p)]
    side = rejected_path(p)
    if include_rejected and side.is_file():
        results += [result_from_rejection(r, funnel) for r in read_rejections(side)]
    try:
        elapsed = float(meta.get("elapsed_s") or 0) or None
    except (TypeError, ValueError):
        elapsed = None
    report = build_report(results, elapsed_s=elapsed)
    report.extra["file"] = str(p)
    report.extra["store"] = store is not None
    report.extra["heldout_sentences"] = len(heldout) if heldout is not None else 0
    return report


def meta_path(path: str | Path) -> Path:
    p = Path(path)
    return p.with_name(p.name.removesuffix(".jsonl") + ".meta.json")


def read_meta(path: str | Path) -> dict[str, Any]:
    """The ``*.meta.json`` sidecar of a synthetic file (``{}`` when absent or unreadable)."""
    mp = meta_path(path)
    if not mp.is_file():
        return {}
    try:
        data = json.loads(mp.read_text(encoding="utf-8"))
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
