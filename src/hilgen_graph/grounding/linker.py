"""Link gold entity mentions to graph concepts, over any :class:`~hilgen_graph.graph.GraphStore`.

Methods, tried in this order for each mention (the first that yields a concept wins):

``corpus_id``
    The corpus's own concept ids (BC5CDR and NCBI-disease carry MeSH ids, MedMentions UMLS
    CUIs; the readers split composite ids and drop ``-1``). Ids are normalised (``MESH:D006973``
    -> ``D006973``, ``UMLS:C0020538`` -> ``C0020538``, ``OMIM:...`` kept) and resolved as a
    concept id, then through the store's cross-references when it has them (``by_xref``). Gold
    ids are trusted: they are not checked against the label's semantic groups.
``exact`` / ``normalized``
    ``store.lookup(text)``: a term equal to the mention, else one with the same normalised form.
``approximate``
    Character-trigram similarity over a :class:`~hilgen_graph.grounding.term_index.TermIndex`
    of the graph's terms, at or above a threshold, where every word of the mention has a spelling
    of it in the term (a term that drops or changes a word - "syndrome" for "Pendred syndrome",
    "AR deficiency" for "C7 deficiency" - names another concept and is not taken).

String candidates must belong to the label's profile (:mod:`hilgen_graph.grounding.
label_groups`: the user's mapping, the registry's table, or the semantic types of the label's
mentions linked by id or name). A label without a profile links by corpus id or exact
(normalised) name only, never approximately. Every mention gets a :class:`Link` with its
runner-up candidates and scores; an unlinked one says why. Nothing is skipped silently.

:meth:`Linker.ground` answers the funnel's question for a name written into a sentence: which
concept of the label's profile does it name (an intended concept by one of its names or display
names, else any concept by exact or normalised name)?
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from hilgen_graph.corpus.records import Entity, Sentence
from hilgen_graph.graph.normalize import normalize
from hilgen_graph.graph.records import Concept
from hilgen_graph.graph.store import GraphStore
from hilgen_graph.grounding.label_groups import (
    DEFAULT_LABEL_GROUPS,
    evidence_profile,
    fixed_profile,
)
from hilgen_graph.grounding.names import render
from hilgen_graph.grounding.records import LabelProfile, LinkCandidate, ProfileSource
from hilgen_graph.grounding.term_index import TermIndex

__all__ = ["DEFAULT_LABEL_GROUPS", "Grounded", "Link", "Linker", "LinkingReport", "LinkMethod"]

DEFAULT_APPROX_THRESHOLD = 0.5
_MESH_ID = re.compile(r"^[DC]\d{6}(\d{3})?$")  # descriptors D..., supplementary records C...
_CUI = re.compile(r"^C\d{7}$")
_PREFIXES = {
    "MESH": "MSH",
    "MSH": "MSH",
    "UMLS": "UMLS",
    "UMLS_CUI": "UMLS",
    "OMIM": "OMIM",
    "MIM": "OMIM",
}
# Database names a store's cross-references may use for each id system.
XREF_ALIASES: dict[str, tuple[str, ...]] = {
    "MSH": ("MSH", "MESH"),
    "UMLS": ("UMLS", "UMLS_CUI"),
    "OMIM": ("OMIM", "MIM"),
}


class LinkMethod(StrEnum):
    CORPUS_ID = "corpus_id"
    EXACT = "exact"
    NORMALIZED = "normalized"
    APPROXIMATE = "approximate"
    UNLINKED = "unlinked"


LINK_METHODS: tuple[str, ...] = tuple(m.value for m in LinkMethod)


def parse_corpus_id(raw: str) -> tuple[str, str] | None:
    """``"MESH:D006973"`` -> ``("MSH", "D006973")``; ``"C0020538"`` -> ``("UMLS", ...)``;
    ``"OMIM:601665"`` -> ``("OMIM", "601665")``; ``"-1"`` or empty -> ``None``.
    Other prefixed ids keep their prefix as the database name."""
    s = raw.strip()
    if not s or s == "-1":
        return None
    prefix, sep, code = s.partition(":")
    if sep:
        code = code.strip()
        return (_PREFIXES.get(prefix.strip().upper(), prefix.strip()), code) if code else None
    if _MESH_ID.match(s):
        return ("MSH", s)
    if _CUI.match(s):
        return ("UMLS", s)
    if s.isdigit():
        return ("OMIM", s)
    return ("", s)


@dataclass(frozen=True, slots=True)
class Link:
    """The outcome of linking one mention. ``concepts`` is empty when unlinked; ``candidates``
    holds the winner(s) and the runner-ups with their scores (best first)."""

    sentence_id: str
    entity: Entity
    method: LinkMethod
    concepts: tuple[Concept, ...] = ()
    score: float = 0.0
    matched: str = ""  # the id or term text that matched
    unresolved_ids: tuple[str, ...] = ()  # corpus ids the store does not know
    reason: str = ""  # why unlinked
    candidates: tuple[LinkCandidate, ...] = ()

    @property
    def linked(self) -> bool:
        return bool(self.concepts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "sentence_id": self.sentence_id,
            "text": self.entity.text,
            "label": self.entity.label,
            "corpus_ids": list(self.entity.concept_ids),
            "method": self.method.value,
            "concepts": [c.id for c in self.concepts],
            "score": round(self.score, 4),
            "matched": self.matched,
            "unresolved_ids": list(self.unresolved_ids),
            "reason": self.reason,
            "candidates": [c.as_dict() for c in self.candidates],
        }


@dataclass(frozen=True, slots=True)
class Grounded:
    """What a name written into a sentence names: ``concepts`` (those in the label's profile
    first) and how they were found (``intended``: a name of an intended concept; ``exact`` /
    ``normalized``: a term of the graph; ``unlinked``)."""

    text: str
    label: str
    method: str
    concepts: tuple[Concept, ...] = ()
    groups: tuple[str, ...] = ()
    fits: bool = False  # names a concept in the label's profile
    intended_id: str = ""


@dataclass(frozen=True, slots=True)
class LinkingReport:
    """Every mention's link, with coverage per method."""

    links: tuple[Link, ...]
    approximate_available: bool = True
    approximate_note: str = ""

    @property
    def by_method(self) -> dict[str, int]:
        counts = Counter(link.method.value for link in self.links)
        return {m: counts.get(m, 0) for m in LINK_METHODS}

    @property
    def linked(self) -> list[Link]:
        return [link for link in self.links if link.linked]

    @property
    def unlinked(self) -> list[Link]:
        return [link for link in self.links if not link.linked]

    @property
    def coverage(self) -> float:
        return len(self.linked) / len(self.links) if self.links else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "mentions": len(self.links),
            "linked": len(self.linked),
            "unlinked": len(self.unlinked),
            "coverage": round(self.coverage, 4),
            "by_method": self.by_method,
            "approximate_available": self.approximate_available,
            "approximate_note": self.approximate_note,
            "unlinked_entities": [
                {
                    "sentence_id": link.sentence_id,
                    "text": link.entity.text,
                    "label": link.entity.label,
                    "corpus_ids": list(link.entity.concept_ids),
                    "reason": link.reason,
                    "candidates": [c.as_dict() for c in link.candidates],
                }
                for link in self.unlinked
            ],
        }


STRING_CANDIDATES = 5  # runner-ups kept per mention


_FUNCTION_WORDS = frozenset({"of", "the", "and", "with", "in", "to", "for", "by", "on", "a", "an"})
WORD_SIMILARITY = 0.5  # trigram Jaccard at which two words count as spellings of one word


def _trigrams(word: str) -> set[str]:
    w = f"  {word} "
    return {w[i : i + 3] for i in range(len(w) - 2)}


def _same_word(a: str, b: str) -> bool:
    if a == b:
        return True
    if len(a) < 4 or len(b) < 4 or a.isdigit() or b.isdigit():
        return False  # codes and short words ("C7", "AR", "4825") must match exactly
    ta, tb = _trigrams(a), _trigrams(b)
    return len(ta & tb) / len(ta | tb) >= WORD_SIMILARITY


def _words_match(mention: str, term: str) -> bool:
    """Whether every word of the mention has a spelling of it in ``term`` (an approximate link
    may differ in spelling, inflection and word order, never drop or change a word:
    "syndrome" is no link for "Pendred syndrome", nor "AR deficiency" for "C7 deficiency")."""
    words = [w for w in normalize(mention).split() if w not in _FUNCTION_WORDS]
    got = [w for w in normalize(term).split() if w not in _FUNCTION_WORDS]
    return bool(words) and all(any(_same_word(w, t) for t in got) for w in words)


@dataclass
class Linker:
    """Links mentions to concepts of ``store`` (see the module docstring).

    ``label_groups`` is the user's mapping (it overrides the registry); profiles from evidence
    are learnt with :meth:`learn_profiles` (the KG arm and the LLM arm call it on the sample).
    """

    store: GraphStore
    index: TermIndex | None = None  # None: no approximate stage
    label_groups: Mapping[str, Sequence[str]] = field(default_factory=dict)
    approx_threshold: float = DEFAULT_APPROX_THRESHOLD
    use_corpus_ids: bool = True
    approximate_note: str = ""
    profiles: dict[str, LabelProfile] = field(default_factory=dict)
    _group_cache: dict[str, str] = field(default_factory=dict, repr=False)
    _concept_cache: dict[str, Concept | None] = field(default_factory=dict, repr=False)
    _lookup_cache: dict[str, tuple[Concept, ...]] = field(default_factory=dict, repr=False)
    _names_cache: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)
    _string_cache: dict[tuple[str, str], tuple[LinkMethod, tuple[Concept, ...], float, str]] = (
        field(default_factory=dict, repr=False)
    )
    _cands_cache: dict[tuple[str, str], tuple[LinkCandidate, ...]] = field(
        default_factory=dict, repr=False
    )

    # --- semantic groups and profiles ----------------------------------------------------------
    def group_of_type(self, tui: str) -> str:
        if tui not in self._group_cache:
            st = self.store.semantic_type(tui)
            self._group_cache[tui] = st.group if st is not None else ""
        return self._group_cache[tui]

    def groups_of(self, concept: Concept) -> set[str]:
        return {g for g in (self.group_of_type(t) for t in concept.semantic_types) if g}

    def profile(self, label: str) -> LabelProfile:
        """The label's profile: the user's or the registry's, else the one learnt from evidence
        (:meth:`learn_profiles`), else an empty one (``none``)."""
        if label not in self.profiles:
            fixed = fixed_profile(label, self.label_groups, self.group_of_type)
            self.profiles[label] = fixed or LabelProfile(label, ProfileSource.NONE)
        return self.profiles[label]

    def in_profile(self, concept: Concept, label: str) -> bool:
        """Whether ``concept`` may be used for ``label``. Concepts without semantic types are
        accepted by a group profile (nothing to check them against), never by an empty one."""
        prof = self.profile(label)
        if not prof.known:
            return False
        if prof.groups and not concept.semantic_types:
            return True
        return prof.admits(concept.semantic_types, frozenset(self.groups_of(concept)))

    def allowed_groups(self, label: str) -> set[str] | None:
        """The groups of the label's profile; None when it has none."""
        prof = self.profile(label)
        return set(prof.groups) if prof.groups else None

    def learn_profiles(self, sentences: Iterable[Sentence]) -> dict[str, LabelProfile]:
        """Profiles for every label of ``sentences``: labels the user or the registry does not
        know get the semantic types of the concepts their mentions link to by corpus id or by
        exact/normalised name (never by approximate match)."""
        by_label: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        labels: list[str] = []
        for s in sentences:
            for e in s.entities:
                if e.label not in labels:
                    labels.append(e.label)
                if fixed_profile(e.label, self.label_groups, self.group_of_type) is not None:
                    continue
                for c in self._evidence(e):
                    by_label.setdefault(e.label, []).append((c.id, c.semantic_types))
        for label in labels:
            fixed = fixed_profile(label, self.label_groups, self.group_of_type)
            self.profiles[label] = fixed or evidence_profile(label, by_label.get(label, []))
            self._string_cache = {k: v for k, v in self._string_cache.items() if k[1] != label}
        return {label: self.profiles[label] for label in labels}

    def _evidence(self, entity: Entity) -> list[Concept]:
        if self.use_corpus_ids:
            found = [c for raw in entity.concept_ids for c in self.resolve_id(raw)]
            if found:
                return found
        return list(self.lookup(entity.text))

    # --- stages --------------------------------------------------------------------------------
    def concept(self, cid: str) -> Concept | None:
        """The store's concept ``cid`` (cached)."""
        if cid not in self._concept_cache:
            self._concept_cache[cid] = self.store.concept(cid)
        return self._concept_cache[cid]

    def lookup(self, text: str) -> tuple[Concept, ...]:
        """Concepts with a term equal to ``text`` or with its normalised form (cached)."""
        key = normalize(text)
        if not key:
            return ()
        if key not in self._lookup_cache:
            self._lookup_cache[key] = tuple(self.store.lookup(text))
        return self._lookup_cache[key]

    def resolve_id(self, raw: str) -> list[Concept]:
        """Concepts for one corpus id (as the store's id, prefixed id, or cross-reference)."""
        parsed = parse_corpus_id(raw)
        if parsed is None:
            return []
        db, code = parsed
        for cid in dict.fromkeys([code, raw.strip(), f"{db}:{code}" if db else code]):
            found = self.concept(cid)
            if found is not None:
                return [found]
        for alias in XREF_ALIASES.get(db, (db,) if db else ()):
            hits = self.store.by_xref(alias, code)
            if hits:
                return list(hits)
        return []

    def _by_string(
        self, text: str, label: str
    ) -> tuple[LinkMethod, tuple[Concept, ...], float, str]:
        key = (text, label)
        if key in self._string_cache:
            return self._string_cache[key]
        prof = self.profile(label)
        cands: list[LinkCandidate] = []
        result: tuple[LinkMethod, tuple[Concept, ...], float, str] = (
            LinkMethod.UNLINKED,
            (),
            0.0,
            "",
        )
        found = list(self.lookup(text))
        # a label without a profile links by exact name to any concept; others stay inside it
        hits = [c for c in found if not prof.known or self.in_profile(c, label)]
        for c in found:
            cands.append(
                LinkCandidate(
                    c.id, c.preferred_name, "exact", 1.0, text, not prof.known or c in hits
                )
            )
        if hits:
            best = self._rank_lookup(text, hits)
            method = self._exact_or_normalized(text, best)
            result = (method, (best,), 1.0, text)
        elif self.index is not None and prof.known:
            for m in self.index.search(text, threshold=self.approx_threshold, limit=25):
                concept = self.concept(m.concept_id)
                if concept is None:
                    continue
                fits = self.in_profile(concept, label)
                if len(cands) < STRING_CANDIDATES + 1 and all(
                    x.concept_id != concept.id for x in cands
                ):
                    cands.append(
                        LinkCandidate(
                            concept.id,
                            concept.preferred_name,
                            "approximate",
                            float(m.score),
                            m.text,
                            fits,
                        )
                    )
                if fits and not result[1] and _words_match(text, m.text):
                    result = (LinkMethod.APPROXIMATE, (concept,), float(m.score), m.text)
        self._string_cache[key] = result
        self._cands_cache[key] = tuple(
            sorted(cands, key=lambda x: (-x.score, not x.fits_profile, x.concept_id))
        )
        return result

    @staticmethod
    def _rank_lookup(text: str, hits: list[Concept]) -> Concept:
        """Several concepts share the term: prefer the one whose preferred name matches."""
        norm = normalize(text)
        for c in hits:
            if normalize(c.preferred_name) == norm:
                return c
        return hits[0]

    def _exact_or_normalized(self, text: str, concept: Concept) -> LinkMethod:
        if concept.preferred_name == text:
            return LinkMethod.EXACT
        if any(t.text == text for t in self.store.synonyms(concept.id)):
            return LinkMethod.EXACT
        return LinkMethod.NORMALIZED

    # --- names of a concept (for grounding written names) --------------------------------------
    def names_of(self, concept_id: str) -> frozenset[str]:
        """Normalised names of a concept: its terms and their display names."""
        if concept_id not in self._names_cache:
            names: set[str] = set()
            c = self.concept(concept_id)
            if c is not None:
                names.add(normalize(c.preferred_name))
            texts = [t.text for t in self.store.synonyms(concept_id)]
            for t in texts:
                names.add(normalize(t))
                shown = render(t, texts).name
                if shown:
                    names.add(normalize(shown))
            if c is not None:
                shown = render(c.preferred_name, texts).name
                if shown:
                    names.add(normalize(shown))
            self._names_cache[concept_id] = frozenset(n for n in names if n)
        return self._names_cache[concept_id]

    def ground(self, text: str, label: str, intended: Sequence[str] = ()) -> Grounded:
        """Which concept a name written into a sentence as ``label`` names (see
        :class:`Grounded`). With a profile, only concepts inside it make it fit; a label
        without one fits only by naming an intended concept."""
        key = normalize(text)
        prof = self.profile(label)
        for cid in intended:
            if key and key in self.names_of(cid):
                c = self.concept(cid)
                if c is not None:
                    ok = self.in_profile(c, label) if prof.known else True
                    groups = tuple(sorted(self.groups_of(c)))
                    return Grounded(text, label, "intended", (c,), groups, ok, cid)
        found = self.lookup(text)
        if not found:
            return Grounded(text, label, "unlinked")
        fitting = [c for c in found if prof.known and self.in_profile(c, label)]
        ordered = tuple(fitting + [c for c in found if c not in fitting])
        groups = tuple(sorted({g for c in found for g in self.groups_of(c)}))
        method = self._exact_or_normalized(text, ordered[0]).value
        hit = next((i for i in intended if any(c.id == i for c in found)), "")
        return Grounded(text, label, method, ordered, groups, bool(fitting), hit)

    # --- public --------------------------------------------------------------------------------
    def link(self, entity: Entity, sentence_id: str = "") -> Link:
        unresolved: list[str] = []
        if self.use_corpus_ids and entity.concept_ids:
            found: dict[str, Concept] = {}
            for raw in entity.concept_ids:
                hits = self.resolve_id(raw)
                if not hits:
                    unresolved.append(raw)
                for c in hits:
                    found.setdefault(c.id, c)
            if found:
                cands = tuple(
                    LinkCandidate(
                        c.id, c.preferred_name, "corpus_id", 1.0, "|".join(entity.concept_ids)
                    )
                    for c in found.values()
                )
                return Link(
                    sentence_id,
                    entity,
                    LinkMethod.CORPUS_ID,
                    tuple(found.values()),
                    1.0,
                    "|".join(entity.concept_ids),
                    tuple(unresolved),
                    candidates=cands,
                )
        method, concepts, score, matched = self._by_string(entity.text, entity.label)
        cands = self._cands_cache.get((entity.text, entity.label), ())
        if concepts:
            return Link(
                sentence_id,
                entity,
                method,
                concepts,
                score,
                matched,
                tuple(unresolved),
                candidates=cands,
            )
        why = []
        if unresolved:
            why.append(f"corpus ids {', '.join(unresolved)} not in the graph")
        elif not entity.concept_ids:
            why.append("no corpus id")
        prof = self.profile(entity.label)
        scope = f" in {prof.describe()}" if prof.known else ""
        why.append(f"no term equal to or normalising like {entity.text!r}{scope}")
        if not prof.known:
            why.append(
                f"label {entity.label!r} has no profile (not in the registry, no --label-groups, "
                "no mention linked by id or name), so it is not matched approximately"
            )
        elif self.index is None:
            why.append(
                "approximate matching unavailable"
                + (f" ({self.approximate_note})" if self.approximate_note else "")
            )
        else:
            why.append(f"no approximate match at similarity >= {self.approx_threshold}")
        return Link(
            sentence_id,
            entity,
            LinkMethod.UNLINKED,
            unresolved_ids=tuple(unresolved),
            reason="; ".join(why),
            candidates=cands,
        )

    def link_sentences(self, sentences: Iterable[Sentence]) -> LinkingReport:
        links = [self.link(ent, s.id) for s in sentences for ent in s.entities]
        return LinkingReport(
            tuple(links),
            approximate_available=self.index is not None,
            approximate_note=self.approximate_note,
        )
