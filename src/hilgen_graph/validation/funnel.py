"""The validation funnel: every generated sentence passes these stages in order, or is rejected
with the stage and a reason, keeping the model's raw output.

Stages (``STAGES``):

1. ``parse``: the reply fits the schema (a sentence of at least ``MIN_WORDS`` words that does
   not echo the prompt's instructions, labels allowed);
2. ``iob``: the tags are well-formed IOB2 (seqeval's strict IOB2 scheme);
3. ``span``: every mention text was found in the sentence and the tokens match the text;
4. ``grounding``: gold mentions kept from the seed sentence are trusted; every name the toolkit
   inserted (the KG arm's substituted name, at the replaced mention's offset; the LLM arm's
   mentions that are not seed gold mentions) must name a concept of its label's profile
   (:class:`~hilgen_graph.grounding.linker.Linker`: an intended concept by one of its names or
   display names, else any concept by exact/normalised name, else by its longest such suffix,
   "hereditary hemochromatosis");
5. ``intended``: the intended related concept is mentioned (by an entity linking to it or
   written as one of its names);
6. ``missing_label``: no known concept name of a labelled type is left unlabelled;
7. ``seed_copy``: the sentence is not (nearly) a copy of the seed sentence;
8. ``duplicate``: not a duplicate of an earlier accepted sentence;
9. ``leakage``: not a sentence of the held-out (dev/test) data.

Stages that need the graph (4-6) are skipped, and reported as skipped, when no store is given;
``seed_copy`` is skipped for records that carry no seed text, ``leakage`` when no held-out
sentences are given. The funnel is thread-safe (the duplicate check holds a lock).
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import threading
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field
from seqeval.scheme import IOB2, Tokens

from hilgen_graph.corpus.alignment import AlignedSpan, AlignmentIssue, spans_from_tags
from hilgen_graph.corpus.records import Token
from hilgen_graph.corpus.tokenize import tokenize
from hilgen_graph.graph.normalize import normalize
from hilgen_graph.graph.records import Concept
from hilgen_graph.graph.store import GraphStore
from hilgen_graph.grounding.linker import Grounded, Linker
from hilgen_graph.grounding.records import LabelProfile, ProfileSource
from hilgen_graph.synthetic import Provenance, SyntheticRecord
from hilgen_graph.validation import sentence_checks as sc
from hilgen_graph.validation.guard import HeldoutIndex
from hilgen_graph.validation.sentence_checks import SentenceChecks

STAGES: tuple[str, ...] = (
    "parse",
    "sentence",  # LLM arm: exactly one sentence with terminal punctuation (sentence_checks)
    "echo",  # LLM arm: task wording anywhere in the sentence (sentence_checks)
    "iob",
    "span",
    "boundary",  # LLM arm: mentions on word boundaries (sentence_checks)
    "grounding",
    "intended",
    "missing_label",
    "invented",  # LLM arm: numbers/years/people not in the seed (sentence_checks; may only flag)
    "seed_copy",
    "substitution",  # LLM arm: not the KG arm's pure substitution (sentence_checks)
    "duplicate",
    "leakage",
)
LLM_STAGES = frozenset({"sentence", "echo", "boundary", "invented", "substitution"})
GRAPH_STAGES = frozenset({"grounding", "intended", "missing_label"})


#: Words too generic to count as an unlabelled concept name on their own.
GENERIC_WORDS = frozenset(
    {
        "disease",
        "diseases",
        "disorder",
        "disorders",
        "syndrome",
        "syndromes",
        "condition",
        "conditions",
        "illness",
        "lesion",
        "lesions",
        "defect",
        "defects",
        "deficiency",
        "abnormality",
        "abnormalities",
        "symptom",
        "symptoms",
        "sign",
        "signs",
        "drug",
        "drugs",
        "agent",
        "agents",
        "compound",
        "compounds",
        "patient",
        "patients",
        "case",
        "cases",
        "risk",
        "death",
        "pain",
        "injury",
        "infection",
        "tumor",
        "tumors",
        "tumour",
        "tumours",
        "cancer",
        "cancers",
        "carrier",
        "carriers",
        "mutation",
        "mutations",
    }
)
MAX_NGRAM = 6
MIN_WORDS = 5  # fewer words than this is not a sentence ("Gardner Syndrome (Disease)")
ECHO_NGRAM = 5  # a sentence sharing this many words in a row with the instructions echoes them
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "that",
        "the",
        "this",
        "to",
        "was",
        "were",
        "with",
    ]
)
SEED_COPY_RATIO = 0.9
_TAG_RE = re.compile(r"^[BI]-\S+$")


class Rejection(BaseModel):
    """A rejected sentence, kept with the model's raw output (one line of ``*.rejected.jsonl``)."""

    model_config = ConfigDict(frozen=True)

    id: str
    stage: str
    reason: str
    text: str = ""
    tokens: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    raw_output: str = ""
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class Candidate:
    """One generated sentence (or one failed reply) on its way through the funnel."""

    id: str
    provenance: Provenance
    text: str = ""
    tokens: tuple[Token, ...] = ()
    tags: tuple[str, ...] = ()
    spans: tuple[AlignedSpan, ...] = ()
    issues: tuple[AlignmentIssue, ...] = ()
    raw_output: str = ""
    parse_error: str = ""
    allowed_labels: tuple[str, ...] = ()

    def to_record(self, provenance: Provenance | None = None) -> SyntheticRecord:
        return SyntheticRecord(
            id=self.id,
            text=self.text,
            tokens=[t.text for t in self.tokens],
            tags=list(self.tags),
            provenance=provenance or self.provenance,
        )


@dataclass(frozen=True, slots=True)
class EntityLink:
    """What the grounding stage learned about one entity."""

    text: str
    label: str
    concept_ids: tuple[str, ...]
    groups: tuple[str, ...]
    fits: bool
    intended_id: str = ""  # the intended concept this entity names, if any
    from_seed: bool = False  # a gold mention of the seed sentence, carried over (trusted)

    @property
    def intended(self) -> bool:
        return bool(self.intended_id)


@dataclass(frozen=True, slots=True)
class FunnelResult:
    candidate: Candidate
    stage: str | None  # the stage that rejected it; None when accepted
    reason: str = ""
    passed: tuple[str, ...] = ()  # stages passed, in order
    skipped: tuple[str, ...] = ()  # stages not run (no store, no seed text, no held-out data)
    links: tuple[EntityLink, ...] = ()
    record: SyntheticRecord | None = None  # the accepted record (provenance completed)

    @property
    def accepted(self) -> bool:
        return self.stage is None

    def rejection(self) -> Rejection:
        c = self.candidate
        return Rejection(
            id=c.id,
            stage=self.stage or "",
            reason=self.reason,
            text=c.text,
            tokens=[t.text for t in c.tokens],
            tags=list(c.tags),
            raw_output=c.raw_output,
            provenance=c.provenance,
        )


def candidate_from_record(record: SyntheticRecord, raw_output: str = "") -> Candidate:
    """A candidate for re-checking a record read from a JSONL file (``hilgen check``)."""
    toks = tokenize(record.text)
    words = [t.text for t in toks]
    issues: list[AlignmentIssue] = []
    if words != record.tokens:
        issues.append(
            AlignmentIssue(
                "missing",
                " ".join(record.tokens)[:80],
                "",
                "the record's tokens do not match its text tokenised again",
            )
        )
        toks = _tokens_for(record.text, record.tokens)
    spans: tuple[AlignedSpan, ...] = ()
    if len(toks) == len(record.tags) and not issues:
        try:
            spans = tuple(spans_from_tags(record.text, toks, record.tags))
        except IndexError:
            spans = ()
    return Candidate(
        id=record.id,
        provenance=record.provenance,
        text=record.text,
        tokens=tuple(toks),
        tags=tuple(record.tags),
        spans=spans,
        issues=tuple(issues),
        raw_output=raw_output,
    )


def _tokens_for(text: str, words: Sequence[str]) -> list[Token]:
    """Find ``words`` in order in ``text``; a word not found gets an empty span."""
    out: list[Token] = []
    pos = 0
    for w in words:
        i = text.find(w, pos)
        if i < 0:
            out.append(Token(w, pos, pos))
        else:
            out.append(Token(w, i, i + len(w)))
            pos = i + len(w)
    return out


def iob2_problem(tags: Sequence[str]) -> str | None:
    """Why ``tags`` are not well-formed strict IOB2, or None when they are."""
    for i, t in enumerate(tags):
        if t != "O" and not _TAG_RE.match(t):
            return f"tag {i} {t!r} is not O, B-<label> or I-<label>"
    if not tags:
        return None
    entities = Tokens(list(tags), IOB2).entities
    covered = {i for e in entities for i in range(e.start, e.end)}
    for i, t in enumerate(tags):
        if t != "O" and i not in covered:
            prev = tags[i - 1] if i else "(start)"
            return f"tag {i} {t!r} after {prev!r} does not continue an entity (strict IOB2)"
    return None


class Funnel:
    """Runs candidates through the stages; keeps the duplicate set across calls."""

    def __init__(
        self,
        store: GraphStore | None = None,
        *,
        heldout: HeldoutIndex | None = None,
        label_groups: Mapping[str, Collection[str]] | None = None,
        profiles: Iterable[LabelProfile] = (),
        linker: Linker | None = None,
        check_missing_labels: bool = True,
        sentence_checks: SentenceChecks | None = None,
    ) -> None:
        self.store = store
        self.sentence_checks = sentence_checks or SentenceChecks()
        self._example_cache: dict[str, tuple[str, ...]] = {}
        self.heldout = heldout
        # the one grounding layer: profiles (user > registry > evidence), linking, names
        self.linker: Linker | None = linker or (
            Linker(store, label_groups={k: tuple(v) for k, v in (label_groups or {}).items()})
            if store is not None
            else None
        )
        if self.linker is not None:
            for prof in profiles:
                if prof.source in (ProfileSource.EVIDENCE, ProfileSource.NONE):
                    self.linker.profiles.setdefault(prof.label, prof)
        self.check_missing_labels = check_missing_labels
        self._seen: dict[str, str] = {}
        self._lock = threading.Lock()
        self._echo_cache: dict[str, tuple[frozenset[tuple[str, ...]], tuple[str, ...]]] = {}

    def remember(self, text: str, record_id: str) -> None:
        """Count an already accepted sentence (of a resumed run) for the duplicate check."""
        with self._lock:
            self._seen.setdefault(normalize(text), record_id)

    # --- graph helpers (all through grounding.Linker) ------------------------------------------
    def link(self, text: str) -> tuple[Concept, ...]:
        """Concepts with a term equal to ``text`` or normalising like it."""
        return self.linker.lookup(text) if self.linker is not None else ()

    def ground_entity(
        self, text: str, label: str, intended: Sequence[str], *, by_suffix: bool = True
    ) -> Grounded:
        """What a written mention names: as a whole, else (``by_suffix``: a model's wording)
        by its longest suffix that names a concept of the label's profile (biomedical noun
        phrases are head-final: "hereditary hemochromatosis"). A name the KG arm inserted is a
        graph name and must ground as a whole."""
        if self.linker is None:
            return Grounded(text, label, "unlinked")
        found = self.linker.ground(text, label, intended)
        if found.fits or not by_suffix:
            return found
        for variant in sorted(sc.number_variants(text) - {text}):  # "melanomas" -> "melanoma"
            alt = self.linker.ground(variant, label, intended)
            if alt.fits:
                return dataclasses.replace(alt, text=text, method=f"number:{alt.method}")
        toks = tokenize(text)
        for i in range(1, len(toks)):
            rest = text[toks[i].start :]
            if len(rest) < 4 or normalize(rest) in GENERIC_WORDS:
                continue
            part = self.linker.ground(rest, label, intended)
            if part.fits:
                return dataclasses.replace(part, text=text, method=f"suffix:{part.method}")
        return found

    def groups(self, concept: Concept) -> frozenset[str]:
        return frozenset(self.linker.groups_of(concept)) if self.linker is not None else frozenset()

    def names(self, concept_id: str) -> frozenset[str]:
        """Normalised names, synonyms and display names of a concept."""
        return self.linker.names_of(concept_id) if self.linker is not None else frozenset()

    def inserted_spans(self, c: Candidate) -> tuple[set[int], bool]:
        """Which spans of ``c`` the toolkit inserted (indexes into ``c.spans``), and whether
        the candidate says so itself. A KG record inserted exactly one name, at the replaced
        mention's offset (the text before it is the seed's); every other span is a gold mention
        of the seed. For the LLM arm a span is a seed gold mention when its text is one."""
        prov = c.provenance
        rep = prov.replaced_entity
        if prov.arm == "kg" and prov.inserted:  # several names inserted (mentions: all)
            at = [(x.start, x.end) for x in prov.inserted]
            return {
                i for i, s in enumerate(c.spans) if any(s.start < b and a < s.end for a, b in at)
            }, True
        if prov.arm == "kg" and rep is not None:
            return {i for i, s in enumerate(c.spans) if s.start == rep.start}, True
        llm = prov.llm
        seed_gold = {normalize(m) for m in llm.seed_mentions} if llm is not None else set()
        return {i for i, s in enumerate(c.spans) if normalize(s.text) not in seed_gold}, False

    def links_for(self, c: Candidate, intended_ids: Sequence[str]) -> tuple[EntityLink, ...]:
        """What each entity of ``c`` links to, whether it fits its label's profile, and which
        intended concept it names. Gold mentions kept from the seed sentence are trusted; every
        name the toolkit inserted must be grounded in the label's profile."""
        inserted, by_toolkit = self.inserted_spans(c)
        built: list[EntityLink] = []
        for i, s in enumerate(c.spans):
            from_seed = i not in inserted
            g = self.ground_entity(s.text, s.label, intended_ids, by_suffix=not by_toolkit)
            hit_id = g.intended_id or next(
                (x for x in intended_ids if normalize(s.text) in self.names(x)), ""
            )
            built.append(
                EntityLink(
                    s.text,
                    s.label,
                    tuple(k.id for k in g.concepts),
                    g.groups,
                    g.fits or from_seed,
                    hit_id,
                    from_seed,
                )
            )
        return tuple(built)

    def intended_ids(self, c: Candidate) -> list[str]:
        llm = c.provenance.llm
        ids = list(llm.intended_concept_ids) if llm is not None else []
        if not ids and c.provenance.related_concept_id:
            ids = [c.provenance.related_concept_id]
        return ids

    def _fits(self, label: str, concept: Concept) -> bool:
        """Whether ``concept`` (with semantic types) is in the profile of ``label``."""
        if self.linker is None or not concept.semantic_types:
            return False
        return self.linker.in_profile(concept, label)

    @staticmethod
    def seed_text_of(c: Candidate) -> str:
        """The seed sentence's text: the LLM arm records it; for a KG record it is the text
        with the inserted names put back to the replaced mentions (a dropped "(ABBR)" is not)."""
        prov = c.provenance
        if prov.llm is not None:
            return prov.llm.seed_text
        rep = prov.replaced_entity
        if prov.arm == "kg" and prov.inserted:
            text = c.text
            for x in sorted(prov.inserted, key=lambda x: x.start, reverse=True):
                text = text[: x.start] + x.replaced + text[x.end :]
            return text
        if prov.arm == "kg" and rep is not None:
            at = next((s for s in c.spans if s.start == rep.start), None)
            if at is not None:
                return c.text[: at.start] + rep.text + c.text[at.end :]
        return ""

    # --- stages ---------------------------------------------------------------------------------
    def check(self, candidate: Candidate) -> FunnelResult:
        """Run one candidate through every stage; stop at the first rejection."""
        passed: list[str] = []
        skipped: list[str] = []
        links: tuple[EntityLink, ...] = ()
        c = candidate
        prov = c.provenance
        llm = prov.llm
        intended_ids = list(llm.intended_concept_ids) if llm is not None else []
        if not intended_ids and prov.related_concept_id:
            intended_ids = [prov.related_concept_id]
        matched: EntityLink | None = None

        def reject(stage: str, reason: str) -> FunnelResult:
            return FunnelResult(c, stage, reason, tuple(passed), tuple(skipped), links)

        # 1. parse
        if c.parse_error:
            return reject("parse", c.parse_error)
        if not c.text.strip():
            return reject("parse", "the reply has no sentence text")
        words = sum(1 for t in c.tokens if t.text[:1].isalnum()) if c.tokens else MIN_WORDS
        if words < MIN_WORDS:
            return reject("parse", f"{words} words is not a sentence (at least {MIN_WORDS})")
        echo = self._echo(c)
        if echo:
            return reject("parse", f"echoes the prompt instructions ({echo!r}), not a sentence")
        if c.allowed_labels:
            bad = sorted({s.label for s in c.spans} - set(c.allowed_labels))
            bad += sorted(
                {i.label for i in c.issues if i.label and i.label not in c.allowed_labels}
                - set(bad)
            )
            if bad:
                return reject(
                    "parse", f"labels {bad} are not allowed; allowed: {list(c.allowed_labels)}"
                )
        passed.append("parse")
        is_llm = prov.arm == "llm"
        if is_llm:  # sentence checks for a model's output (validation/sentence_checks.py)
            why = sc.sentence_problem(
                c.text, self.sentence_checks.max_chars, llm.seed_text if llm is not None else ""
            )
            if why:
                return reject("sentence", why)
            passed.append("sentence")
            why = sc.leak_problem(c.text) or sc.example_leak(
                c.text,
                llm.seed_text if llm is not None else "",
                self._example_terms(llm.prompt_name if llm is not None else ""),
                [prov.related_name or ""],  # the name asked for may be an example term
            )
            if why:
                return reject("echo", why)
            passed.append("echo")
        else:
            skipped += ["sentence", "echo"]
        # 2. iob
        if len(c.tags) != len(c.tokens):
            return reject("iob", f"{len(c.tokens)} tokens but {len(c.tags)} tags")
        problem = iob2_problem(c.tags)
        if problem:
            return reject("iob", problem)
        passed.append("iob")
        # 3. span
        fatal = [i for i in c.issues if i.fatal]
        if fatal:
            i = fatal[0]
            return reject("span", f"{i.kind} mention {i.mention!r} ({i.label}): {i.detail}")
        for s in c.spans:
            if c.text[s.start : s.end] != s.text:
                return reject("span", f"entity {s.text!r} is not at {s.start}:{s.end}")
        passed.append("span")
        if is_llm:
            repeats = sc.allowed_repeats(llm.seed_mentions, llm.seed_text) if llm is not None else 1
            why = sc.boundary_problem(c.text, c.spans, c.issues, repeats)
            if why:
                return reject("boundary", why)
            passed.append("boundary")
        else:
            skipped.append("boundary")
        # 4-6: graph stages
        if self.linker is None:
            skipped += ["grounding", "intended", "missing_label"]
        else:
            links = self.links_for(c, intended_ids)
            bad_links = [e for e in links if not e.fits]
            if bad_links:
                e = bad_links[0]
                prof = self.linker.profile(e.label)
                if not e.concept_ids:
                    why = "links to no concept of the graph"
                elif not prof.known:
                    why = (
                        f"links to {list(e.concept_ids)[:3]}, none of them an intended concept, "
                        f"and {e.label} has no profile"
                    )
                else:
                    why = (
                        f"links only to concepts of group(s) {list(e.groups) or ['none']}; "
                        f"{e.label} needs {prof.describe()}"
                    )
                return reject("grounding", f"inserted entity {e.text!r} ({e.label}) {why}")
            passed.append("grounding")
            if intended_ids:
                matched = next((e for e in links if e.intended), None)
                if matched is None:
                    mentioned = [s.text for s in c.spans] or ["no entity"]
                    return reject(
                        "intended",
                        f"none of the intended concepts {intended_ids[:5]} is mentioned "
                        f"(entities: {mentioned})",
                    )
                passed.append("intended")
            else:
                skipped.append("intended")
            if self.check_missing_labels:
                unlabelled = self._unlabelled(
                    c, {s.label for s in c.spans} or set(c.allowed_labels)
                )
                if unlabelled:
                    return reject("missing_label", unlabelled)
                passed.append("missing_label")
            else:
                skipped.append("missing_label")
        seed_text = llm.seed_text if llm is not None else ""
        flags: list[str] = []
        if is_llm:
            names = [s.text for s in c.spans]
            flags = sc.invented_specifics(c.text, seed_text, c.spans, names)
            if flags and self.sentence_checks.reject_invented:
                return reject("invented", "invented specifics: " + "; ".join(flags[:5]))
            passed.append("invented")
        else:
            skipped.append("invented")
        # 7. seed copy
        if seed_text:
            copy = self._seed_copy(c, seed_text)
            if copy:
                return reject("seed_copy", copy)
            passed.append("seed_copy")
        else:
            skipped.append("seed_copy")
        kind = ""
        rep_ent = prov.replaced_entity
        if is_llm and seed_text and rep_ent is not None:
            new_names = [e.text for e in links if e.intended] or [prov.related_name or ""]
            subs = [
                sc.substitution_text(seed_text, rep_ent.start, rep_ent.end, name)
                for name in new_names
                if name
            ]
            kind = sc.sentence_kind(
                c.text, seed_text, subs[0] if subs else "", [s.text for s in c.spans]
            )
            if any(normalize(x) == normalize(c.text) for x in subs):
                return reject("substitution", "the KG arm's substitution of the seed, not new text")
            passed.append("substitution")
        else:
            skipped.append("substitution")
        # 8. duplicate (and 9. leakage) - the duplicate set only grows with accepted sentences
        key = normalize(c.text)
        leaked = self.heldout.find(c.text) if self.heldout is not None else None
        with self._lock:
            if key in self._seen:
                return reject("duplicate", f"same text as {self._seen[key]}")
            passed.append("duplicate")
            if self.heldout is None:
                skipped.append("leakage")
            elif leaked is not None:
                return reject("leakage", f"the held-out sentence {leaked} has the same text")
            else:
                passed.append("leakage")
            self._seen[key] = c.id
        provenance = prov
        if matched is not None and prov.arm == "llm":
            provenance = prov.model_copy(
                update={"related_concept_id": matched.intended_id, "related_name": matched.text}
            )
        if is_llm and provenance.llm is not None and (kind or flags):
            provenance = provenance.model_copy(
                update={"llm": provenance.llm.model_copy(update={"kind": kind, "flags": flags})}
            )
        return FunnelResult(
            c, None, "", tuple(passed), tuple(skipped), links, c.to_record(provenance)
        )

    def _example_terms(self, prompt_name: str) -> tuple[str, ...]:
        """The worked example's distinctive terms of a built-in template (``example_terms``)."""
        if not prompt_name:
            return ()
        if prompt_name not in self._example_cache:
            from hilgen_graph.errors import ConfigError
            from hilgen_graph.prompts.loader import load_template

            try:
                terms = load_template(prompt_name).example_terms
            except ConfigError:  # a template of another folder
                terms = ()
            self._example_cache[prompt_name] = terms
        return self._example_cache[prompt_name]

    def _echo(self, c: Candidate) -> str:
        """Words the sentence copies from its prompt's instructions (or ''): a run of
        ``ECHO_NGRAM`` instruction words, a whole short line of the template ("Its entities",
        "The seed mention"), or the plan's wording ("use X instead of Y")."""
        llm = c.provenance.llm
        if llm is None or not llm.prompt_name:
            return ""
        grams, fragments = self._instruction_grams(llm.prompt_name)
        words = [t.text.lower() for t in tokenize(c.text) if t.text[:1].isalnum()]
        for i in range(len(words) - ECHO_NGRAM + 1):
            gram = tuple(words[i : i + ECHO_NGRAM])
            if gram in grams:
                return " ".join(gram)
        padded = f" {' '.join(words)} "
        for frag in fragments:
            if f" {frag} " in padded:
                return frag
        from hilgen_graph.validation.sentence_checks import ECHO_PATTERNS

        for pattern in ECHO_PATTERNS:
            m = re.search(pattern, c.text, flags=re.IGNORECASE)
            if m:
                return m.group(0)[:80]
        return ""

    def _instruction_grams(
        self, prompt_name: str
    ) -> tuple[frozenset[tuple[str, ...]], tuple[str, ...]]:
        if prompt_name not in self._echo_cache:
            from hilgen_graph.errors import ConfigError
            from hilgen_graph.prompts.loader import load_template
            from hilgen_graph.validation.sentence_checks import ECHO_PHRASES

            try:
                t = load_template(prompt_name)
                text = f"{t.system}\n{t.user}"
            except ConfigError:  # a template of another folder: only the known phrases
                text = ""
            literal = re.sub(r"\{[a-z_]+\}", " | ", " | ".join([text, *ECHO_PHRASES]))
            grams: set[tuple[str, ...]] = set()
            fragments: set[str] = set()
            for part in re.split(r"[|\n]", literal):
                words = [t.text.lower() for t in tokenize(part) if t.text[:1].isalnum()]
                grams.update(
                    tuple(words[i : i + ECHO_NGRAM]) for i in range(len(words) - ECHO_NGRAM + 1)
                )
                if 2 <= len(words) < ECHO_NGRAM and any(w not in STOPWORDS for w in words):
                    fragments.add(" ".join(words))
            self._echo_cache[prompt_name] = (frozenset(grams), tuple(sorted(fragments)))
        return self._echo_cache[prompt_name]

    def _unlabelled(self, c: Candidate, labels: set[str]) -> str:
        """A known concept name of a labelled type found outside every entity, or ''.

        A phrase the seed sentence itself leaves unlabelled (its annotators did not mark it) is
        not counted; a gold mention of the seed left unlabelled is.
        """
        llm = c.provenance.llm
        seed_text = self.seed_text_of(c)
        seed_norm = f" {normalize(seed_text)} " if seed_text else ""
        gold = {normalize(m) for m in llm.seed_mentions} if llm is not None else set()
        inside = {i for s in c.spans for i in range(s.token_start, s.token_end)}
        toks = c.tokens
        n = len(toks)
        for size in range(min(MAX_NGRAM, n), 0, -1):
            for i in range(0, n - size + 1):
                if any(j in inside for j in range(i, i + size)):
                    continue
                words = toks[i : i + size]
                if not words[0].text[:1].isalnum() or not words[-1].text[:1].isalnum():
                    continue
                if size == 1 and (len(words[0].text) < 4 or words[0].text.lower() in GENERIC_WORDS):
                    continue
                phrase = c.text[words[0].start : words[-1].end]
                key = normalize(phrase)
                # a phrase the seed's annotators left unlabelled is exempt, but not a part of a
                # gold mention ("breast cancer" of "hereditary breast cancer")
                part_of_gold = any(f" {key} " in f" {g} " for g in gold)
                if key in GENERIC_WORDS or (
                    f" {key} " in seed_norm and key not in gold and not part_of_gold
                ):
                    continue
                for k in self.link(phrase):
                    g = self.groups(k)
                    hit = next((lab for lab in sorted(labels) if g and self._fits(lab, k)), None)
                    if hit:
                        return (
                            f"{phrase!r} names {k.id} ({k.preferred_name}, {sorted(g)}) "
                            f"but is not labelled {hit}"
                        )
        return ""

    @staticmethod
    def _seed_copy(c: Candidate, seed_text: str) -> str:
        if normalize(c.text) == normalize(seed_text):
            return "the same text as the seed sentence"
        seed_norm = normalize(seed_text)
        padded_seed = f" {seed_norm} "  # word-bounded: "cyst" is not in "cysts"
        new_entities = [s.text for s in c.spans if f" {normalize(s.text)} " not in padded_seed]
        if new_entities:
            return ""
        a = [t.text.lower() for t in tokenize(seed_text)]
        b = [t.text.lower() for t in c.tokens]
        ratio = difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()
        if ratio >= SEED_COPY_RATIO:
            return f"a near copy of the seed (token similarity {ratio:.2f}) with no new entity"
        return ""

    def run(self, candidates: Iterable[Candidate]) -> list[FunnelResult]:
        return [self.check(c) for c in candidates]
