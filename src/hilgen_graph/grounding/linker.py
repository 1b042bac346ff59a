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
    of the graph's terms, at or above a threshold.

String candidates must belong to one of the semantic groups allowed for the entity's label
(:data:`DEFAULT_LABEL_GROUPS`, configurable; concepts without semantic types are accepted).
Every mention gets a :class:`Link`; an unlinked one says why. Nothing is skipped silently.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from hilgen_graph.corpus.records import Entity, Sentence
from hilgen_graph.graph.normalize import normalize
from hilgen_graph.graph.records import Concept
from hilgen_graph.graph.store import GraphStore
from hilgen_graph.grounding.term_index import TermIndex

# Entity label -> allowed UMLS semantic groups. Labels that are TUIs (MedMentions) map to the
# group of that type; other labels not listed here are not constrained.
DEFAULT_LABEL_GROUPS: dict[str, tuple[str, ...]] = {
    "Disease": ("DISO",),
    "Chemical": ("CHEM",),
    # NCBI-disease fine types
    "SpecificDisease": ("DISO",),
    "DiseaseClass": ("DISO",),
    "Modifier": ("DISO",),
    "CompositeMention": ("DISO",),
}
DEFAULT_APPROX_THRESHOLD = 0.5
_TUI = re.compile(r"^T\d{3}$")
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
    """The outcome of linking one mention. ``concepts`` is empty when unlinked."""

    sentence_id: str
    entity: Entity
    method: LinkMethod
    concepts: tuple[Concept, ...] = ()
    score: float = 0.0
    matched: str = ""  # the id or term text that matched
    unresolved_ids: tuple[str, ...] = ()  # corpus ids the store does not know
    reason: str = ""  # why unlinked

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
        }


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
                }
                for link in self.unlinked
            ],
        }


@dataclass
class Linker:
    """Links mentions to concepts of ``store`` (see the module docstring)."""

    store: GraphStore
    index: TermIndex | None = None  # None: no approximate stage
    label_groups: Mapping[str, Sequence[str]] = field(
        default_factory=lambda: dict(DEFAULT_LABEL_GROUPS)
    )
    approx_threshold: float = DEFAULT_APPROX_THRESHOLD
    use_corpus_ids: bool = True
    approximate_note: str = ""
    _group_cache: dict[str, str] = field(default_factory=dict, repr=False)
    _concept_cache: dict[str, Concept | None] = field(default_factory=dict, repr=False)
    _string_cache: dict[tuple[str, str], tuple[LinkMethod, tuple[Concept, ...], float, str]] = (
        field(default_factory=dict, repr=False)
    )

    # --- semantic groups -----------------------------------------------------------------------
    def group_of_type(self, tui: str) -> str:
        if tui not in self._group_cache:
            st = self.store.semantic_type(tui)
            self._group_cache[tui] = st.group if st is not None else ""
        return self._group_cache[tui]

    def groups_of(self, concept: Concept) -> set[str]:
        return {g for g in (self.group_of_type(t) for t in concept.semantic_types) if g}

    def allowed_groups(self, label: str) -> set[str] | None:
        """The groups a concept must belong to for ``label``; None: unconstrained."""
        if label in self.label_groups:
            return set(self.label_groups[label])
        if _TUI.match(label):
            g = self.group_of_type(label)
            return {g} if g else None
        return None

    def fits(self, concept: Concept, allowed: set[str] | None) -> bool:
        if allowed is None or not concept.semantic_types:
            return True
        return bool(self.groups_of(concept) & allowed)

    # --- stages --------------------------------------------------------------------------------
    def concept(self, cid: str) -> Concept | None:
        """The store's concept ``cid`` (cached)."""
        if cid not in self._concept_cache:
            self._concept_cache[cid] = self.store.concept(cid)
        return self._concept_cache[cid]

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
        by_xref: Callable[[str, str], list[Concept]] | None = getattr(self.store, "by_xref", None)
        if by_xref is not None:
            for alias in XREF_ALIASES.get(db, (db,) if db else ()):
                hits = by_xref(alias, code)
                if hits:
                    return list(hits)
        return []

    def _by_string(
        self, text: str, label: str
    ) -> tuple[LinkMethod, tuple[Concept, ...], float, str]:
        key = (text, label)
        if key in self._string_cache:
            return self._string_cache[key]
        allowed = self.allowed_groups(label)
        result: tuple[LinkMethod, tuple[Concept, ...], float, str] = (
            LinkMethod.UNLINKED,
            (),
            0.0,
            "",
        )
        hits = [c for c in self.store.lookup(text) if self.fits(c, allowed)]
        if hits:
            best = self._rank_lookup(text, hits)
            method = self._exact_or_normalized(text, best)
            result = (method, (best,), 1.0, text)
        elif self.index is not None:
            for m in self.index.search(text, threshold=self.approx_threshold, limit=25):
                concept = self.concept(m.concept_id)
                if concept is not None and self.fits(concept, allowed):
                    result = (LinkMethod.APPROXIMATE, (concept,), float(m.score), m.text)
                    break
        self._string_cache[key] = result
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
                return Link(
                    sentence_id,
                    entity,
                    LinkMethod.CORPUS_ID,
                    tuple(found.values()),
                    1.0,
                    "|".join(entity.concept_ids),
                    tuple(unresolved),
                )
        method, concepts, score, matched = self._by_string(entity.text, entity.label)
        if concepts:
            return Link(sentence_id, entity, method, concepts, score, matched, tuple(unresolved))
        why = []
        if unresolved:
            why.append(f"corpus ids {', '.join(unresolved)} not in the graph")
        elif not entity.concept_ids:
            why.append("no corpus id")
        allowed = self.allowed_groups(entity.label)
        scope = f" in groups {', '.join(sorted(allowed))}" if allowed else ""
        why.append(f"no term equal to or normalising like {entity.text!r}{scope}")
        if self.index is None:
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
        )

    def link_sentences(self, sentences: Iterable[Sentence]) -> LinkingReport:
        links = [self.link(ent, s.id) for s in sentences for ent in s.entities]
        return LinkingReport(
            tuple(links),
            approximate_available=self.index is not None,
            approximate_note=self.approximate_note,
        )
