"""The LLM arm pipeline: corpus + k-shot sample + graph store + prompts + model -> JSONL.

:func:`generate_llm` samples the k-shot seed sentences, picks for each seed and prompt the first
gold mention that links to a graph concept with related concepts in the prompt family's layers,
retrieves those concepts, and runs one chain (or agent) call per (seed, prompt) through the
runner (bounded concurrency, retry with backoff). Every finished call is committed to a
resumable run log (``OUT.run/``); a killed run continues where it stopped. Replies are cached
on disk (content-addressed), so a rerun costs nothing. At the end the accepted records are
written to ``OUT`` (``SyntheticRecord`` JSONL with LLM provenance), the rejections with their
raw model output to ``OUT.rejected.jsonl`` and the run summary to ``OUT.meta.json``.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import Runnable

from hilgen_graph.agents.agent import build_agent
from hilgen_graph.agents.chains import (
    ChainResult,
    ChainSettings,
    build_chain,
    build_marked_chain,
)
from hilgen_graph.agents.marked import MarkedBudget, MarkedRequest, marked_requests
from hilgen_graph.agents.schemas import GenerationRequest
from hilgen_graph.agents.tools import DEFAULT_LIMIT
from hilgen_graph.atomic import write_json, write_jsonl
from hilgen_graph.corpus.kshot import load_drawn, sample_corpus
from hilgen_graph.corpus.load import read_corpus
from hilgen_graph.corpus.records import Sentence
from hilgen_graph.errors import ConfigError, DataMissingError, GenerationError
from hilgen_graph.graph.store import GraphStore
from hilgen_graph.grounding.grounder import Grounder
from hilgen_graph.grounding.layers import LayerConfig
from hilgen_graph.llm.cache import LangChainDiskCache
from hilgen_graph.llm.ledger import Ledger
from hilgen_graph.llm.runlog import RunLog, RunRecord, record_id
from hilgen_graph.llm.runner import RetryPolicy, TaskResult, run_tasks
from hilgen_graph.prompts.loader import PromptTemplate, load_template, load_templates
from hilgen_graph.redact import redact_url
from hilgen_graph.synthetic import SyntheticRecord, write_synthetic
from hilgen_graph.validation.funnel import Funnel, Rejection
from hilgen_graph.validation.guard import HeldoutIndex
from hilgen_graph.validation.guard import heldout_paths as registry_heldout_paths
from hilgen_graph.validation.guard import load_heldout as guard_load_heldout
from hilgen_graph.validation.report import CheckReport
from hilgen_graph.validation.sentence_checks import SentenceChecks

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
ProgressFn = Callable[[int, int], None]


@dataclass(frozen=True)
class GenerateConfig:
    """Everything a generation run depends on (stored in the run folder; resuming with other
    settings is refused)."""

    corpus: Path
    out: Path
    prompts: tuple[str, ...] = ("marked-rewrite-sys",)
    k: int = 5
    seed: int = 1
    per_seed: int = 3
    model: str = "qwen2.5-coder-0.5b"
    base_url: str | None = None
    agent: bool = False
    max_seeds: int | None = None
    temperature: float = 0.7
    max_tokens: int = 512
    timeout: float = 300.0  # seconds per LLM call (a small local model under load is slow)
    concurrency: int = 1
    max_concepts: int = 5  # concepts listed in a grounded prompt
    layer_limit: int = DEFAULT_LIMIT  # concepts per layer counted as intended for paper prompts
    max_repairs: int = 1
    # marked templates: one request per (seed, linked mention, related concept) within this budget
    layers: tuple[str, ...] = ()  # () = the template's layers
    concepts_per_layer: int = 2  # related concepts per mention and layer that get a request
    max_mentions: int | None = None  # linked gold mentions per seed that get requests (None: all)
    reject_invented: bool = True  # invented numbers/years/people reject (else only counted)
    scheme: str = "hilgen"
    collapse_to: str | None = None
    sample_file: Path | None = (
        None  # the one sample file (`hilgen corpus sample`); wins over k/seed
    )
    lenient: bool = False  # skip malformed corpus records (reported) instead of failing
    heldout: tuple[Path, ...] | None = None  # None: the corpus's dev/test files beside it
    prompts_dirs: tuple[Path, ...] = ()
    cache: bool = True
    store_ref: str = ""  # where the store was opened from (recorded for `hilgen check`)
    # the user's LABEL -> semantic groups (--label-groups; see grounding.label_groups)
    label_groups: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def resolved(self) -> GenerateConfig:
        """The config as the run uses it: a sample file's k, seed, scheme and collapse replace
        the arguments (every stage draws the sample that way), so the labels, the held-out
        check, the layered walk and the model seed follow the sample file."""
        if self.sample_file is None:
            return self
        drawn = load_drawn(self.sample_file, self.collapse_to)
        if not drawn.k:  # a bare id list: nothing to take over but the ids
            return self
        return dataclasses.replace(
            self,
            k=drawn.k,
            seed=drawn.seed,
            scheme=drawn.scheme,
            collapse_to=drawn.collapse_to,
        )

    def run_meta(self, templates: Sequence[PromptTemplate], store_info: str) -> dict[str, Any]:
        d = asdict(self)
        d.pop("out")
        d.pop("concurrency")  # may change between resumes
        d.pop("timeout")
        d.pop("cache")
        d.pop("store_ref")
        d["corpus"] = str(self.corpus)
        d["sample_file"] = str(self.sample_file) if self.sample_file else None
        if self.base_url and urlparse(self.base_url).hostname in LOOPBACK_HOSTS:
            # a local server gets a fresh port each start: the model name identifies it
            d["base_url"] = "local"
        elif self.base_url:
            d["base_url"] = redact_url(self.base_url)  # no user:password@ or ?key= in files
        d["heldout"] = [str(p) for p in self.heldout] if self.heldout is not None else None
        d["prompts_dirs"] = [str(p) for p in self.prompts_dirs]
        d["prompt_versions"] = {t.name: t.version for t in templates}
        d["store"] = store_info
        return d


@dataclass
class GenerateSummary:
    out: Path
    rejected_out: Path
    meta_out: Path
    seeds: int
    requests: int
    skipped: dict[str, int]  # why some (seed, prompt) pairs made no request -> count
    resumed: int  # requests already done by an earlier run
    candidates: int
    accepted: int
    rejected: dict[str, int]  # stage -> count
    elapsed_s: float
    calls: int
    repairs: int
    ledger: dict[str, Any] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)  # requests that raised (retried on rerun)
    kinds: dict[str, int] = field(default_factory=dict)  # accepted: rewrite / new_context / ...
    budget: dict[str, str] = field(default_factory=dict)  # marked template -> request budget
    corpus_skipped: list[str] = field(default_factory=list)  # malformed records (--lenient)

    @property
    def sentences_per_min(self) -> float:
        return self.accepted / (self.elapsed_s / 60.0) if self.elapsed_s > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d.update(
            out=str(self.out),
            rejected_out=str(self.rejected_out),
            meta_out=str(self.meta_out),
            sentences_per_min=round(self.sentences_per_min, 2),
        )
        return d


def sidecar(out: Path, suffix: str) -> Path:
    return out.with_name(out.name.removesuffix(".jsonl") + suffix)


def find_heldout(corpus: Path) -> list[Path]:
    """The dev/test files of a known training split, from the dataset registry (the one way
    held-out files are found; give others with ``--heldout``)."""
    return registry_heldout_paths(corpus)


def load_heldout(paths: Sequence[Path], collapse_to: str | None = None) -> HeldoutIndex:
    """The one held-out index (:mod:`hilgen_graph.validation.guard`) of ``paths``."""
    return guard_load_heldout(paths, collapse_to=collapse_to)


def seed_sentences(config: GenerateConfig) -> list[Sentence]:
    """The k-shot sample (the sample file's, or drawn from k/seed/scheme after collapsing the
    labels, exactly as ``hilgen corpus sample`` and ``hilgen evaluate`` draw it), cut to
    ``max_seeds``."""
    seeds = sample_corpus(
        config.corpus,
        k=config.k,
        seed=config.seed,
        scheme=config.scheme,
        collapse_to=config.collapse_to,
        sample_file=config.sample_file,
        lenient=config.lenient,
    ).seeds
    if config.max_seeds is not None:
        seeds = seeds[: config.max_seeds]
    return seeds


def make_grounder(config: GenerateConfig, store: GraphStore, seeds: Sequence[Sentence]) -> Grounder:
    """The grounding layer for a run: the user's label groups, profiles learnt from the seeds,
    the walk seeded like the run (approximate linking as in the KG arm)."""
    g = Grounder.for_store(
        store,
        label_groups=config.label_groups,
        config=LayerConfig(seed=config.seed, top_k=max(config.layer_limit, 1)),
        approximate=True,
    )
    g.learn(seeds)
    return g


def build_requests(
    seeds: Sequence[Sentence],
    templates: Sequence[PromptTemplate],
    store: GraphStore,
    config: GenerateConfig,
    labels: Sequence[str],
    grounder: Grounder | None = None,
) -> tuple[list[tuple[str, tuple[PromptTemplate, GenerationRequest]]], Counter[str]]:
    """One request per (seed, template); the target is the seed's first mention that links to a
    concept with related concepts in the template's layers (linking, label profiles and the
    layered walk are the grounding layer's, as in the KG arm)."""
    g = grounder or make_grounder(config, store, seeds)
    items: list[tuple[str, tuple[PromptTemplate, GenerationRequest]]] = []
    skipped: Counter[str] = Counter()
    stats = store.stats()
    source = ", ".join(sorted(stats.sources))
    version = ", ".join(f"{k} {v}" for k, v in sorted(stats.sources.items()))
    for seed in seeds:
        for t in templates:
            layers = t.layers or ("parents", "children")
            chosen = None
            for idx, ent in enumerate(seed.entities):
                concept = g.concept_of(ent)
                if concept is None:
                    continue
                limit = (
                    config.max_concepts
                    if t.style == "grounded"
                    else config.layer_limit * len(layers)
                )
                found = g.related(concept, ent.label, ent.text, layers, limit)
                if found:
                    chosen = (idx, ent, concept, tuple(found))
                    break
            if chosen is None:
                skipped["no seed mention with related concepts in the graph"] += 1
                continue
            idx, ent, concept, related = chosen
            rid = record_id(
                seed.id, t.name, t.version, idx, config.per_seed, config.model, config.temperature
            )
            req = GenerationRequest(
                id=rid,
                seed=seed,
                target=ent,
                labels=tuple(labels),
                n=config.per_seed,
                target_concept=concept,
                related=related,
                knowledge_source=source,
                source_version=version,
            )
            items.append((rid, (t, req)))
    return items, skipped


def marked_budget(template: PromptTemplate, config: GenerateConfig) -> MarkedBudget:
    """The request budget of a marked template under ``config``."""
    return MarkedBudget(
        tuple(config.layers) or template.layers, config.concepts_per_layer, config.max_mentions
    )


def build_marked_requests(
    seeds: Sequence[Sentence],
    template: PromptTemplate,
    store: GraphStore,
    config: GenerateConfig,
    labels: Sequence[str],
    grounder: Grounder | None = None,
) -> tuple[list[tuple[str, tuple[PromptTemplate, MarkedRequest]]], Counter[str]]:
    """One request per (seed, linked gold mention, related concept) of a marked template."""
    stats = store.stats()
    reqs, skipped = marked_requests(
        seeds,
        template,
        store,
        marked_budget(template, config),
        labels=labels,
        n=config.per_seed,
        id_parts=(config.model, config.temperature),
        sampling_seed=config.seed,
        knowledge_source=", ".join(sorted(stats.sources)),
        source_version=", ".join(f"{k} {v}" for k, v in sorted(stats.sources.items())),
        grounder=grounder,
    )
    return [(r.id, (template, r)) for r in reqs], skipped


def make_model(config: GenerateConfig, callbacks: Sequence[Any]) -> BaseChatModel:
    from hilgen_graph.llm.models import LLMSettings, make_chat_model

    settings = LLMSettings.load(
        model=config.model,
        base_url=config.base_url,
        temperature=config.temperature,
        max_tokens=config.max_tokens,
        timeout=config.timeout,
        seed=config.seed,
    )
    return make_chat_model(
        settings, cache=LangChainDiskCache() if config.cache else None, callbacks=callbacks
    )


def generate_llm(
    config: GenerateConfig,
    store: GraphStore,
    *,
    model: BaseChatModel | None = None,
    progress: ProgressFn | None = None,
) -> GenerateSummary:
    """Run the LLM arm (see the module docstring); returns counts and where the files went."""
    config = config.resolved()
    if config.per_seed < 1:
        raise ConfigError(f"--per-seed must be at least 1, got {config.per_seed}")
    if not config.corpus.is_file():
        raise DataMissingError(f"corpus file not found: {config.corpus}")
    names = config.prompts or (("agent",) if config.agent else ())
    templates = load_templates(list(names), config.prompts_dirs)
    if config.agent:
        bad = [t.name for t in templates if t.style != "agent"]
        if bad:
            raise ConfigError(
                f"--agent needs agent templates, but {bad} are not; use --prompt agent "
                "(or an agent-style template of your own)"
            )
    else:
        bad = [t.name for t in templates if t.style in ("agent", "annotate")]
        if bad:
            raise ConfigError(
                f"prompts {bad} cannot generate as a chain (agent or annotate templates); "
                "use --agent for agent templates"
            )
    seeds = seed_sentences(config)
    read = read_corpus(config.corpus, lenient=config.lenient)  # labels, and what was skipped
    corpus_skipped = [i.describe() for i in read.report.skipped]
    if config.collapse_to:
        labels = [config.collapse_to]
    else:
        labels = sorted({e.label for s in read.corpus.sentences for e in s.entities})
    heldout_paths = (
        list(config.heldout) if config.heldout is not None else find_heldout(config.corpus)
    )
    heldout = load_heldout(heldout_paths, config.collapse_to) if heldout_paths else None
    stats = store.stats()
    store_info = f"{stats.concepts} concepts, sources {sorted(stats.sources)}"
    run_dir = sidecar(config.out, ".run")
    runlog = RunLog(run_dir, meta=config.run_meta(templates, store_info))
    ledger = Ledger.load(runlog.ledger_path, local=config.base_url is not None)
    chat = model if model is not None else make_model(config, [ledger.callback()])
    model_name = config.model
    settings = ChainSettings(model_name, config.temperature, config.max_repairs)
    grounder = make_grounder(config, store, seeds)
    funnel = Funnel(
        store,
        heldout=heldout,
        sentence_checks=SentenceChecks(config.reject_invented),
        label_groups=config.label_groups,
        profiles=grounder.linker.profiles.values(),
    )
    for rec in runlog.records():  # resumed: earlier accepted sentences count for duplicates
        for acc in rec.payload.get("accepted", []):
            funnel.remember(acc["text"], acc["id"])
    runnables: dict[str, Runnable[Any, ChainResult]] = {}
    for t in templates:
        if t.marked and not config.agent:
            runnables[t.name] = build_marked_chain(chat, t, funnel, settings)
        elif config.agent:
            runnables[t.name] = build_agent(chat, t, store, funnel, settings, labels=labels)
        else:
            ann = load_template(t.annotate_with, config.prompts_dirs) if t.annotate_with else None
            runnables[t.name] = build_chain(
                chat, t, funnel, settings, annotate_template=ann, labels=labels
            )
    plain, skipped = build_requests(
        seeds,
        [t for t in templates if not t.marked or config.agent],
        store,
        config,
        labels,
        grounder,
    )
    items: list[tuple[str, tuple[PromptTemplate, GenerationRequest | MarkedRequest]]] = [*plain]
    for t in templates:
        if t.marked and not config.agent:
            marked_items, marked_skipped = build_marked_requests(
                seeds, t, store, config, labels, grounder
            )
            items += marked_items
            skipped.update(marked_skipped)
    done_before = runlog.done_ids()
    resumed = sum(1 for rid, _ in items if rid in done_before)
    total = len(items)
    finished = resumed
    if progress is not None:
        progress(finished, total)

    def call(item: tuple[PromptTemplate, Any]) -> ChainResult:
        t, req = item
        return runnables[t.name].invoke(req)

    failures: Counter[str] = Counter()

    def on_result(res: TaskResult[ChainResult]) -> None:
        nonlocal finished
        finished += 1
        if res.value is not None:
            runlog.append(_run_record(res.value, res.seconds, res.attempts))
        elif res.error is not None:  # not committed: a rerun tries this request again
            failures[f"{type(res.error).__name__}: {str(res.error)[:200]}"] += 1
        if progress is not None:
            progress(finished, total)

    previous = _previous_elapsed(sidecar(config.out, ".meta.json")) if resumed else 0.0
    t0 = time.perf_counter()
    error: GenerationError | None = None
    try:
        run_tasks(
            call,
            items,
            concurrency=config.concurrency,
            policy=RetryPolicy(max_retries=3),
            on_result=on_result,
            skip_ids=done_before,
            raise_on_stop=True,
        )
    except GenerationError as err:
        error = err
    elapsed = previous + (time.perf_counter() - t0)
    ledger.save(runlog.ledger_path)
    summary = _write_outputs(
        config,
        runlog,
        items,
        skipped,
        resumed,
        elapsed,
        ledger,
        len(seeds),
        {
            "heldout_paths": [str(p) for p in heldout_paths],
            "labels": labels,
            "label_groups": {k: list(v) for k, v in config.label_groups.items()},
            "label_profiles": [p.as_dict() for p in grounder.linker.profiles.values()],
            "budget": {t.name: marked_budget(t, config).describe() for t in templates if t.marked},
        },
    )
    summary.failed = dict(failures)
    summary.corpus_skipped = corpus_skipped
    if failures:
        write_json(
            summary.meta_out,
            {**_read_meta(summary.meta_out), "failed": summary.failed},
        )
    if error is not None:
        raise GenerationError(
            f"{error}; {summary.accepted} accepted sentences so far are in {config.out}; "
            "rerun the same command to continue where it stopped",
            retryable=error.retryable,
        ) from error
    return summary


def _previous_elapsed(meta: Path) -> float:
    if not meta.is_file():
        return 0.0
    try:
        return float(json.loads(meta.read_text(encoding="utf-8")).get("elapsed_s") or 0.0)
    except (ValueError, AttributeError):
        return 0.0


def _run_record(result: ChainResult, seconds: float, attempts: int) -> RunRecord:
    accepted = [r.record.model_dump(mode="json") for r in result.results if r.record is not None]
    rejected = [r.rejection().model_dump(mode="json") for r in result.results if not r.accepted]
    return RunRecord(
        id=result.request_id,
        status="ok" if accepted else "rejected",
        payload={
            "accepted": accepted,
            "rejected": rejected,
            "calls": result.calls,
            "repairs": result.repairs,
        },
        raw="\n=====\n".join(r.raw for r in result.replies),
        attempts=attempts,
        seconds=round(seconds, 3),
    )


def _write_outputs(
    config: GenerateConfig,
    runlog: RunLog,
    items: Sequence[tuple[str, Any]],
    skipped: Counter[str],
    resumed: int,
    elapsed: float,
    ledger: Ledger,
    n_seeds: int,
    extra: dict[str, Any],
) -> GenerateSummary:
    wanted = [rid for rid, _ in items]
    by_id = {r.id: r for r in runlog.records()}
    accepted: list[SyntheticRecord] = []
    rejected: list[Rejection] = []
    calls = repairs = 0
    for rid in wanted:
        rec = by_id.get(rid)
        if rec is None:
            continue
        accepted += [SyntheticRecord.model_validate(a) for a in rec.payload.get("accepted", [])]
        rejected += [Rejection.model_validate(r) for r in rec.payload.get("rejected", [])]
        calls += int(rec.payload.get("calls", 0))
        repairs += int(rec.payload.get("repairs", 0))
    out = config.out
    write_synthetic(out, accepted)
    rej_path = sidecar(out, ".rejected.jsonl")
    write_jsonl(rej_path, [r.model_dump(mode="json") for r in rejected])
    stages = Counter(r.stage for r in rejected)
    summary = GenerateSummary(
        out=out,
        rejected_out=rej_path,
        meta_out=sidecar(out, ".meta.json"),
        seeds=n_seeds,
        requests=len(wanted),
        skipped=dict(skipped),
        resumed=resumed,
        candidates=len(accepted) + len(rejected),
        accepted=len(accepted),
        rejected=dict(stages),
        elapsed_s=round(elapsed, 2),
        calls=calls,
        repairs=repairs,
        ledger=ledger.summary().totals(),
        kinds=dict(
            Counter((r.provenance.llm.kind if r.provenance.llm else "") or "-" for r in accepted)
        ),
        budget=dict(extra.get("budget", {})),
    )
    write_json(
        summary.meta_out,
        {
            **summary.to_json(),
            "store_ref": redact_url(config.store_ref),
            **extra,
            "config": runlog.meta,
        },
    )
    return summary


def compare_prompts(
    config: GenerateConfig,
    names: Sequence[str],
    store: GraphStore,
    out_dir: Path,
    *,
    model: BaseChatModel | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, CheckReport]:
    """Run each template on the same seed sentences (one output file per template under
    ``out_dir``) and return each one's check report, in the order given."""
    from hilgen_graph.validation.report import check_file

    config = config.resolved()
    flat = [n.strip() for item in names for n in item.split(",") if n.strip()]
    if len(flat) < 1:
        raise ConfigError("name at least one prompt template to compare")
    load_templates(flat, config.prompts_dirs)  # fail early on an unknown name
    reports: dict[str, CheckReport] = {}
    for name in flat:
        cfg = dataclasses.replace(config, prompts=(name,), out=out_dir / f"{name}.jsonl")

        def step(done: int, total: int, _name: str = name) -> None:
            if progress is not None:
                progress(_name, done, total)

        summary = generate_llm(cfg, store, model=model, progress=step)
        heldout = load_heldout(
            [Path(p) for p in _read_meta(summary.meta_out).get("heldout_paths", [])],
            config.collapse_to,
        )
        report = check_file(cfg.out, store, heldout=heldout if len(heldout) else None)
        report.extra["calls"] = summary.calls
        report.extra["requests"] = summary.requests
        report.extra.update(arm_measures(cfg.out, summary))
        reports[name] = report
    return reports


def arm_measures(out: Path, summary: GenerateSummary) -> dict[str, Any]:
    """What `hilgen prompts compare` adds to a check report: accepted sentences per kind
    (rewrite / new_context), invented specifics (rejected or only flagged), tokens, time."""
    from hilgen_graph.synthetic import read_synthetic

    kinds: Counter[str] = Counter()
    flagged = 0
    for rec in read_synthetic(out) if out.is_file() else []:
        llm = rec.provenance.llm
        kinds[(llm.kind if llm is not None else "") or "unknown"] += 1
        flagged += 1 if llm is not None and llm.flags else 0
    invented_rejected = summary.rejected.get("invented", 0)
    led = summary.ledger or {}
    return {
        "kinds": dict(kinds),
        "invented_rejected": invented_rejected,
        "invented_flagged": flagged,
        "input_tokens": int(led.get("input_tokens", 0)),
        "output_tokens": int(led.get("output_tokens", 0)),
        "elapsed_s": summary.elapsed_s,
        "generation_sentences_per_min": round(summary.sentences_per_min, 2),
    }


def _read_meta(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}
