"""The records the grounding layer hands to both arms, the funnel and the explorer.

* :class:`LinkCandidate` - one concept a mention could link to, with its score (the winner and
  the runner-ups of :class:`~hilgen_graph.grounding.linker.Link`);
* :class:`LabelProfile` - which concepts an entity label may use, and the evidence for it;
* :class:`RelatedConcept` - one related concept of a linked concept, with provenance (layer,
  source concept, relation path, knowledge source, filter decisions);
* :class:`Excluded` - a candidate a layer's filters excluded, and the filter that did;
* :class:`LayerWalk` - one layer around one source concept: what was picked, what was excluded.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

#: How each layer is said to a reader (prompts, reports, the explorer).
LAYER_WORDS: dict[str, str] = {
    "parents": "broader concept (parent)",
    "children": "narrower concept (child)",
    "siblings": "sibling concept (same parent)",
    "semantic_type": "concept of the same semantic type",
    "synonyms": "synonym",
    "related": "related concept",
}


@dataclass(frozen=True, slots=True)
class LinkCandidate:
    """A concept a mention may link to: how it was found and how well it matched."""

    concept_id: str
    name: str
    method: str  # a LinkMethod value
    score: float
    matched: str = ""  # the id or term text that matched
    fits_profile: bool = True  # False: outside the label's profile (not used)

    def as_dict(self) -> dict[str, Any]:
        return {
            "concept_id": self.concept_id,
            "name": self.name,
            "method": self.method,
            "score": round(self.score, 4),
            "matched": self.matched,
            "fits_profile": self.fits_profile,
        }


class ProfileSource(StrEnum):
    """Where a label's profile comes from, strongest first."""

    USER = "user"  # --label-groups LABEL=GROUP
    REGISTRY = "registry"  # the toolkit's label -> semantic-group table (or a TUI label)
    EVIDENCE = "evidence"  # semantic types of the label's mentions linked by corpus id or name
    NONE = "none"  # no evidence: linked by id or exact name only, never expanded


@dataclass(frozen=True, slots=True)
class LabelProfile:
    """The concepts a label may use: those of ``groups`` (semantic groups such as ``DISO``)
    or, for a profile from evidence, those sharing one of ``types`` (TUIs); never a concept
    with one of ``excluded_types`` (the user's ``-TUI`` entries: ``Chemical=CHEM,-T126``).

    A profile with neither admits nothing: related concepts of such a label are not used and
    its mentions link only by corpus id or exact name.
    """

    label: str
    source: ProfileSource
    groups: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()
    evidence: tuple[str, ...] = ()  # concept ids whose types made an evidence profile
    excluded_types: frozenset[str] = frozenset()

    @property
    def known(self) -> bool:
        return bool(self.groups or self.types)

    def admits(self, types: tuple[str, ...] | frozenset[str], groups: frozenset[str]) -> bool:
        """Whether a concept with these semantic types and groups is in the profile."""
        if self.excluded_types & set(types):
            return False
        if self.groups:
            return bool(groups & self.groups)
        if self.types:
            return bool(set(types) & self.types)
        return False

    def describe(self) -> str:
        if self.groups:
            without = (
                f" without types {', '.join(sorted(self.excluded_types))}"
                if self.excluded_types
                else ""
            )
            return f"groups {', '.join(sorted(self.groups))}{without} ({self.source.value})"
        if self.types:
            return f"semantic types {', '.join(sorted(self.types))} ({self.source.value})"
        return "no profile (id and exact-name links only, not expanded)"

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "label": self.label,
            "source": self.source.value,
            "groups": sorted(self.groups),
            "types": sorted(self.types),
            "evidence": list(self.evidence),
        }
        if self.excluded_types:  # only when set: profiles written before keep their form
            out["excluded_types"] = sorted(self.excluded_types)
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LabelProfile:
        return cls(
            label=str(d["label"]),
            source=ProfileSource(d.get("source", "none")),
            groups=frozenset(d.get("groups", ())),
            types=frozenset(d.get("types", ())),
            evidence=tuple(d.get("evidence", ())),
            excluded_types=frozenset(d.get("excluded_types", ())),
        )


@dataclass(frozen=True, slots=True)
class RelatedConcept:
    """A related concept of a linked (source) concept, with the name to show for it and how it
    was reached. Both arms use this one record (the KG arm substitutes ``name``; prompts list
    it with ``describe``)."""

    concept_id: str
    name: str  # the display name (grounding.names), never a raw inverted heading
    layer: str  # parents | children | siblings | semantic_type | synonyms
    semantic_types: tuple[str, ...] = ()  # type names, e.g. ("Disease or Syndrome",)
    synonyms: tuple[str, ...] = ()  # other display names of the concept
    source_concept_id: str = ""
    relation_path: tuple[str, ...] = ()
    knowledge_source: str = ""
    decisions: tuple[str, ...] = ()  # filters passed, e.g. ("label profile", "display name")

    @property
    def id(self) -> str:
        return self.concept_id

    def describe(self) -> str:
        """One line for a grounded prompt: name, relation, semantic type, a synonym or two."""
        parts = [f'"{self.name}"', LAYER_WORDS.get(self.layer, self.layer)]
        if self.semantic_types:
            parts.append(", ".join(self.semantic_types))
        if self.synonyms:
            parts.append("also called " + "; ".join(f'"{s}"' for s in self.synonyms))
        return "- " + " | ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "concept_id": self.concept_id,
            "name": self.name,
            "layer": self.layer,
            "semantic_types": list(self.semantic_types),
            "synonyms": list(self.synonyms),
            "source_concept_id": self.source_concept_id,
            "relation_path": list(self.relation_path),
            "knowledge_source": self.knowledge_source,
            "decisions": list(self.decisions),
        }


@dataclass(frozen=True, slots=True)
class Excluded:
    """A candidate of a layer that a filter excluded. ``name`` is the raw graph name (or term
    text) when the candidate never got a display name."""

    concept_id: str
    name: str
    filter: str  # a Filter display name, e.g. "outside the label's profile"


@dataclass(frozen=True, slots=True)
class LayerWalk:
    """One layer around one source concept: the picked related concepts (in order) and every
    excluded candidate with the filter that excluded it."""

    layer: str
    source_concept_id: str
    label: str
    picked: tuple[RelatedConcept, ...] = ()
    excluded: tuple[Excluded, ...] = ()

    @property
    def related(self) -> tuple[RelatedConcept, ...]:
        return self.picked

    @property
    def dropped(self) -> Counter[str]:
        """Excluded candidates counted per filter."""
        return Counter(e.filter for e in self.excluded)

    def as_dict(self) -> dict[str, Any]:
        return {
            "layer": self.layer,
            "source_concept_id": self.source_concept_id,
            "label": self.label,
            "picked": [r.as_dict() for r in self.picked],
            "excluded": [
                {"concept_id": e.concept_id, "name": e.name, "filter": e.filter}
                for e in self.excluded
            ],
        }
