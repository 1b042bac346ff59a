"""Marked mentions: the model writes the new name inline as ``[[name]]``; the toolkit computes the
spans and IOB tags itself.

A small model cannot reliably write a sentence *and* re-type each mention in a separate list (it
lists the prompt's names instead of what it wrote). In marked mode it only writes sentences;
:func:`parse_marked` strips the marks, places every marked mention on the corpus tokenizer's
tokens, and also tags unmarked occurrences of the names the request allowed (the related
concept's display name and synonyms) and of the seed sentence's gold mentions, matched exactly
and on word boundaries ("Cyst" never inside "Cysts").

Problems are reported as :class:`~hilgen_graph.corpus.alignment.AlignmentIssue` (the funnel's
``span`` and ``boundary`` stages read them):

- ``missing`` (fatal): a broken mark (``[[`` without ``]]``, nested or empty marks);
- ``inside_word``: a mark that starts or ends inside a word (``[[Cyst]]s``);
- ``overlap``: an unmarked occurrence that overlaps a marked one (the marked one is kept).

This module also holds the marked-mode requests (one per seed sentence and related concept) and
the structured-output schema of their replies (a list of exactly ``n`` bounded strings).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints, create_model

from hilgen_graph.agents.schemas import GenerationRequest
from hilgen_graph.corpus.alignment import (
    AlignedSpan,
    Alignment,
    AlignmentIssue,
    Tokenizer,
    default_tokenize,
)
from hilgen_graph.corpus.records import Entity, Sentence
from hilgen_graph.graph.normalize import normalize
from hilgen_graph.graph.records import Concept
from hilgen_graph.graph.store import GraphStore
from hilgen_graph.grounding.grounder import Grounder
from hilgen_graph.grounding.layers import LayerConfig
from hilgen_graph.grounding.records import LAYER_WORDS, RelatedConcept
from hilgen_graph.llm.runlog import record_id
from hilgen_graph.prompts.loader import PromptTemplate
from hilgen_graph.validation.sentence_checks import number_variants, seed_char_limit, word_stems

MARK_RE = re.compile(r"\[\[([^\[\]]*)\]\]")
MIN_SENTENCE_CHARS = 20
MAX_SENTENCE_CHARS = 300


# --- the reply schema ----------------------------------------------------------------------------
class MarkedBatch(BaseModel):
    """The answer of a marked-mode call: the sentences, the new name written as [[name]]."""

    sentences: list[str] = Field(description="the sentences")


def marked_schema(n: int, max_chars: int = MAX_SENTENCE_CHARS) -> type[MarkedBatch]:
    """:class:`MarkedBatch` whose list holds exactly ``n`` strings of bounded length (a server
    that turns the forced tool's JSON schema into a grammar can emit nothing else). The marker
    itself is not forced: it is checked afterwards."""
    key = (n, max_chars)
    if key not in _SCHEMAS:
        item: Any = Annotated[
            str, StringConstraints(min_length=MIN_SENTENCE_CHARS, max_length=max_chars)
        ]
        _SCHEMAS[key] = create_model(
            "MarkedBatch",
            __base__=MarkedBatch,
            __doc__=MarkedBatch.__doc__,
            sentences=(
                list[item],
                Field(
                    min_length=n,
                    max_length=n,
                    description=f"exactly {n} sentences, each one sentence ending with a full stop",
                ),
            ),
        )
    return _SCHEMAS[key]


_SCHEMAS: dict[tuple[int, int], type[MarkedBatch]] = {}


def sentence_char_limit(seed_text: str, floor: int = MAX_SENTENCE_CHARS) -> int:
    """The length bound of one reply string for a seed: ``floor``, or room for the seed plus
    half again when the seed is long (a rewrite of a 330-character seed cut at 300 characters
    ends mid-sentence and is lost at the ``sentence`` stage). Rounded up to 50 so that seeds
    of similar length share one grammar."""
    need = seed_char_limit(seed_text, 0)
    return max(floor, -(-need // 50) * 50)


# --- parsing -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Marked:
    """A reply sentence with its marks stripped: the clean text and where each mark was."""

    raw: str
    text: str
    marks: tuple[tuple[int, int], ...]  # character spans in ``text``
    problems: tuple[str, ...] = ()


def strip_marks(raw: str) -> Marked:
    """Remove ``[[...]]`` marks; report broken ones (unbalanced, nested, empty)."""
    src = " ".join(raw.split())  # one line, single spaces
    out: list[str] = []
    marks: list[tuple[int, int]] = []
    problems: list[str] = []
    pos = 0
    for m in MARK_RE.finditer(src):
        out.append(src[pos : m.start()])
        inner = m.group(1)
        core = inner.strip()
        lead = len(inner) - len(inner.lstrip())
        start = sum(len(x) for x in out) + lead
        out.append(inner)
        if not core:
            problems.append("an empty mark [[ ]]")
        else:
            marks.append((start, start + len(core)))
        pos = m.end()
    out.append(src[pos:])
    text = "".join(out)
    if "[[" in text or "]]" in text:
        problems.append("an unbalanced or nested [[ ]] mark")
        text = text.replace("[[", "").replace("]]", "")
        marks = []  # offsets are unreliable once stray brackets are removed
    return Marked(raw, text, tuple(marks), tuple(problems))


def occurrences(text: str, name: str, plural: bool = True) -> list[tuple[int, int]]:
    """Word-bounded exact occurrences of ``name`` (also with its first letter capitalised, as at
    the start of a sentence, and with ``plural`` its last word's singular/plural form)."""
    name = name.strip()
    if not name:
        return []
    forms = number_variants(name) if plural else {name}
    variants = {v for f in forms for v in (f, f[:1].upper() + f[1:])}
    found: set[tuple[int, int]] = set()
    for v in variants:
        for m in re.finditer(r"(?<!\w)" + spaced_pattern(v) + r"(?!\w)", text):
            found.add((m.start(), m.end()))
    return sorted(found)


def spaced_pattern(name: str) -> str:
    """A regular expression for ``name`` that tolerates the corpus tokenizer's spacing around
    punctuation ("Wiskott - Aldrich syndrome" matches "Wiskott-Aldrich syndrome" and back);
    words stay words."""
    toks = default_tokenize(name)
    if not toks:
        return re.escape(name)
    out = [re.escape(toks[0].text)]
    for prev, tok in zip(toks, toks[1:], strict=False):
        word_gap = prev.text[-1:].isalnum() and tok.text[:1].isalnum()
        out.append(r"\s+" if word_gap else r"\s*")
        out.append(re.escape(tok.text))
    return "".join(out)


def parse_marked(
    raw: str,
    label: str,
    allowed: Sequence[str] = (),
    gold: Sequence[tuple[str, str]] = (),
    tokenize: Tokenizer | None = None,
) -> Alignment:
    """Strip the marks of one reply sentence and compute tokens, IOB2 tags and spans.

    ``label`` is the label of marked mentions; ``allowed`` are names (of the requested concept)
    tagged with ``label`` where written unmarked; ``gold`` are the seed's gold mentions
    ``(text, label)``, tagged where they occur unmarked. Marked mentions win over unmarked ones;
    longer unmarked ones over shorter.
    """
    mk = strip_marks(raw)
    text = mk.text
    tokens = tuple((tokenize or default_tokenize)(text))
    issues = [AlignmentIssue("missing", raw[:80], label, p) for p in mk.problems]
    chosen: list[tuple[int, int, str]] = []
    for s, e in mk.marks:
        if (s > 0 and text[s - 1].isalnum()) or (e < len(text) and text[e].isalnum()):
            issues.append(
                AlignmentIssue(
                    "inside_word",
                    text[s:e],
                    label,
                    f"the mark ends inside the word {_word_at(text, s, e)!r}",
                )
            )
        chosen.append((s, e, label))
    unmarked: list[tuple[int, int, str]] = []
    names = [(n, label) for n in allowed] + list(gold)
    for name, lab in names:
        unmarked += [(s, e, lab) for s, e in occurrences(text, name)]
    for s, e, lab in sorted(unmarked, key=lambda x: (-(x[1] - x[0]), x[0])):
        clash = next((c for c in chosen if s < c[1] and c[0] < e), None)
        if clash is None:
            chosen.append((s, e, lab))
        elif not (clash[0] <= s and e <= clash[1]):
            issues.append(
                AlignmentIssue("overlap", text[s:e], lab, f"overlaps {text[clash[0] : clash[1]]!r}")
            )
    chosen.sort()
    tags = ["O"] * len(tokens)
    spans: list[AlignedSpan] = []
    for s, e, lab in chosen:
        idx = [i for i, t in enumerate(tokens) if t.end > s and t.start < e]
        if not idx:
            issues.append(AlignmentIssue("missing", text[s:e], lab, "no token under the mark"))
            continue
        ts, te = idx[0], idx[-1] + 1
        if any(tags[i] != "O" for i in range(ts, te)):
            issues.append(AlignmentIssue("overlap", text[s:e], lab, "shares a token"))
            continue
        if tokens[ts].start != s or tokens[te - 1].end != e:
            issues.append(
                AlignmentIssue("partial_token", text[s:e], lab, "not on token boundaries")
            )
        tags[ts] = f"B-{lab}"
        for i in range(ts + 1, te):
            tags[i] = f"I-{lab}"
        s2, e2 = tokens[ts].start, tokens[te - 1].end
        spans.append(AlignedSpan(s2, e2, text[s2:e2], lab, ts, te))
    return Alignment(text, tokens, tuple(tags), tuple(spans), tuple(issues))


def _word_at(text: str, s: int, e: int) -> str:
    while s > 0 and text[s - 1].isalnum():
        s -= 1
    while e < len(text) and text[e].isalnum():
        e += 1
    return text[s:e]


# --- requests ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class MarkedRequest:
    """One marked-mode call: a seed sentence, the mention to replace, the one related concept
    whose ``name`` the sentences must use, and what grounds a new-context prompt."""

    request: GenerationRequest  # seed, target, labels, n; related = (concept,)
    concept: RelatedConcept
    name: str  # the display name to write as [[name]]
    parent: str = ""  # a broader concept of ``concept`` (new-context grounding)
    names: tuple[str, ...] = field(default=())  # every name of the concept tagged when unmarked

    @property
    def id(self) -> str:
        return self.request.id

    def values(self) -> dict[str, str]:
        """The prompt variables (see ``hilgen_graph.prompts.VARIABLES``)."""
        base = self.request.values()
        c = self.concept
        synonym = next(
            (s for s in (*c.synonyms, c.name) if normalize(s) != normalize(self.name)), ""
        )
        return {
            **base,
            "name": self.name,
            "relation": LAYER_WORDS.get(c.layer, c.layer),
            "semantic_type": ", ".join(c.semantic_types) or "biomedical concept",
            "synonym": synonym or "none",
            "parent": self.parent or "none",
        }

    def allowed_names(self) -> list[str]:
        """Names tagged where the model wrote them unmarked: the concept's names and the parent
        the prompt showed (a new-context sentence often names it: "a form of retinal
        disease")."""
        names = (self.name, *self.names, self.parent)
        return list(dict.fromkeys(n for n in names if n.strip()))


def gold_mentions(request: GenerationRequest) -> list[tuple[str, str]]:
    """The seed's gold mentions as ``(text, label)``."""
    return [(e.text, e.label) for e in request.seed.entities]


@dataclass(frozen=True, slots=True)
class MarkedBudget:
    """How many marked requests a run makes: per seed, up to ``max_mentions`` linked gold
    mentions (None: all), and per mention and layer up to ``per_layer`` related concepts (for the
    synonyms layer: other names of the mention's own concept)."""

    layers: tuple[str, ...]
    per_layer: int = 2
    max_mentions: int | None = None

    def describe(self) -> str:
        mentions = "all" if self.max_mentions is None else str(self.max_mentions)
        return (
            f"{self.per_layer} concept(s) per mention and layer, layers {'+'.join(self.layers)}, "
            f"{mentions} linked mention(s) per seed"
        )


def marked_requests(
    seeds: Sequence[Sentence],
    template: PromptTemplate,
    store: GraphStore,
    budget: MarkedBudget,
    *,
    labels: Sequence[str],
    n: int,
    id_parts: Sequence[object],
    sampling_seed: int = 0,
    knowledge_source: str = "",
    source_version: str = "",
    grounder: Grounder | None = None,
) -> tuple[list[MarkedRequest], Counter[str]]:
    """One request per (seed sentence, linked gold mention, related concept) within ``budget``,
    the related concepts picked by the grounding walk (display names, label profiles);
    ``id_parts`` (model, temperature, ...) go into every request id. Returns the requests and
    why some mentions gave none."""
    g = grounder or Grounder.for_store(store, config=LayerConfig(seed=sampling_seed))
    out: list[MarkedRequest] = []
    skipped: Counter[str] = Counter()
    # a new-context prompt does not show the seed: one request per related concept and name
    per_run = template.family == "new_context"
    done_pairs: set[tuple[str, str, str]] = set()
    for seed in seeds:
        used = 0
        done_texts: set[str] = set()
        done_concepts: set[str] = set()
        for idx, ent in enumerate(seed.entities):
            if budget.max_mentions is not None and used >= budget.max_mentions:
                break
            key = normalize(ent.text)
            if key in done_texts:
                continue
            done_texts.add(key)
            concept = g.concept_of(ent)
            if concept is None:
                skipped["gold mention not linked to the graph"] += 1
                continue
            if concept.id in done_concepts:  # "melanoma" and "melanomas" of one seed
                skipped["another mention of the seed links to the same concept"] += 1
                continue
            done_concepts.add(concept.id)
            found = 0
            for layer in budget.layers:
                for rel in _layer_choices(g, concept, ent, layer, budget.per_layer):
                    pair = ("" if per_run else seed.id, rel.id, normalize(rel.name))
                    if pair in done_pairs:
                        skipped["related concept already requested"] += 1
                        continue
                    done_pairs.add(pair)
                    parent = _parent_name(g, store, rel.id)
                    rid = record_id(
                        seed.id,
                        template.name,
                        template.version,
                        idx,
                        layer,
                        rel.id,
                        rel.name,
                        n,
                        *id_parts,
                    )
                    req = GenerationRequest(
                        id=rid,
                        seed=seed,
                        target=ent,
                        labels=tuple(labels),
                        n=n,
                        target_concept=concept,
                        related=(rel,),
                        knowledge_source=knowledge_source,
                        source_version=source_version,
                    )
                    out.append(MarkedRequest(req, rel, rel.name, parent, rel.synonyms))
                    found += 1
            if found:
                used += 1
            else:
                skipped[f"no related concept in layers {'+'.join(budget.layers)}"] += 1
    return out, skipped


def _parent_name(g: Grounder, store: GraphStore, concept_id: str) -> str:
    for p in store.parents(concept_id):
        name = g.display_name(p)
        if name:
            return name
    return ""


def _layer_choices(
    g: Grounder, concept: Concept, ent: Entity, layer: str, per_layer: int
) -> list[RelatedConcept]:
    """Up to ``per_layer`` related concepts of one layer of one mention, skipping names that are
    only the mention's plural or singular ("foot deformities" for "foot deformity")."""
    stem = word_stems(ent.text)
    picked = g.related(concept, ent.label, ent.text, [layer], per_layer * 3)
    return [r for r in picked if word_stems(r.name) != stem][:per_layer]
