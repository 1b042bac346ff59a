"""Structured LLM output: sentences with entity mentions given as exact text plus label.

The model never writes ``token-Label`` strings (ambiguous for ``Prader-Willi``): it returns typed
objects, and :mod:`hilgen_graph.corpus.alignment` finds the mentions in the text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from hilgen_graph.corpus.records import Entity, Sentence
from hilgen_graph.graph.records import Concept
from hilgen_graph.grounding.records import LAYER_WORDS, RelatedConcept


class Mention(BaseModel):
    """One entity mention, copied exactly from the sentence, with its label."""

    model_config = ConfigDict(frozen=True)

    text: str = Field(description="the mention, copied character for character from the sentence")
    label: str = Field(description="the entity label, one of the allowed labels")


class GeneratedSentence(BaseModel):
    """A new sentence and every entity mention in it."""

    model_config = ConfigDict(frozen=True)

    text: str = Field(description="the new sentence")
    entities: list[Mention] = Field(
        default_factory=list, description="every entity mention in the sentence"
    )


class GeneratedBatch(BaseModel):
    """The answer of a generation call: the new sentences with their entity mentions."""

    model_config = ConfigDict(frozen=True)

    sentences: list[GeneratedSentence] = Field(description="the new sentences")


class PlainBatch(BaseModel):
    """The answer of the first call of two-step mode: sentences only."""

    model_config = ConfigDict(frozen=True)

    sentences: list[str] = Field(description="the new sentences")


class Annotation(BaseModel):
    """The answer of the second call of two-step mode: the mentions of one sentence."""

    model_config = ConfigDict(frozen=True)

    entities: list[Mention] = Field(
        default_factory=list, description="every entity mention in the sentence"
    )


# --- what a generation call is about (typed input of chains and agents) --------------------------
# RelatedConcept and LAYER_WORDS are the grounding layer's (hilgen_graph.grounding.records).

# ECHO_PHRASES / ECHO_PATTERNS (instruction wording a small model echoes) are the funnel's:
# hilgen_graph.validation.sentence_checks.


@dataclass(frozen=True, slots=True)
class GenerationRequest:
    """One call's worth of work: a seed sentence, the mention to replace, related concepts."""

    id: str
    seed: Sentence
    target: Entity
    labels: tuple[str, ...]
    n: int
    target_concept: Concept | None = None
    related: tuple[RelatedConcept, ...] = ()
    knowledge_source: str = ""
    source_version: str = ""

    @property
    def intended_ids(self) -> list[str]:
        return [c.id for c in self.related]

    def layer_of(self, concept_id: str | None) -> str | None:
        return next((c.layer for c in self.related if c.id == concept_id), None)

    def values(self) -> dict[str, str]:
        """The prompt variables (see ``hilgen_graph.prompts.VARIABLES``)."""
        ents = "\n".join(f'- "{e.text}" ({e.label})' for e in self.seed.entities) or "- (none)"
        tc = self.target_concept
        layers = sorted({c.layer for c in self.related})
        return {
            "n": str(self.n),
            "seed_sentence": self.seed.text,
            "seed_entities": ents,
            "target_entity": self.target.text,
            "target_label": self.target.label,
            "target_concept": f'"{tc.preferred_name}" ({tc.id})' if tc else "(not in the graph)",
            "labels": ", ".join(self.labels),
            "relation": " or ".join(LAYER_WORDS.get(x, x) for x in layers) or "related concept",
            "concepts": "\n".join(c.describe() for c in self.related) or "- (none found)",
            "plan": self.plan(),
        }

    def plan(self) -> str:
        """One numbered line per sentence, each with the next related concept (cycling)."""
        if not self.related:
            return "\n".join(f"{i + 1}. a new sentence" for i in range(self.n))
        return "\n".join(
            f'{i + 1}. use "{c.name}" instead of "{self.target.text}"'
            for i, c in ((i, self.related[i % len(self.related)]) for i in range(self.n))
        )


def constrained(schema: type[BaseModel], labels: Sequence[str]) -> type[BaseModel]:
    """``schema`` with entity labels restricted to ``labels`` (an enum in the JSON schema, so a
    server that constrains function calls by the schema can only emit allowed labels).

    The returned classes subclass the originals and keep their names (the tool name the model
    calls stays ``GeneratedBatch``/``Annotation``).
    """
    if not labels or schema is PlainBatch:
        return schema
    key = (schema.__name__, tuple(labels))
    if key in _CONSTRAINED:
        return _CONSTRAINED[key]
    label_type: Any = Literal[tuple(labels)]  # type: ignore[valid-type]
    mention = create_model(
        "Mention",
        __base__=Mention,
        __doc__=Mention.__doc__,
        label=(label_type, Field(description="the entity label, one of the allowed labels")),
    )
    entities: Any = (
        list[mention],  # type: ignore[valid-type]
        Field(default_factory=list, description="every entity mention in the sentence"),
    )
    if schema is Annotation:
        out: type[BaseModel] = create_model(
            "Annotation", __base__=Annotation, __doc__=Annotation.__doc__, entities=entities
        )
    elif schema is GeneratedBatch:
        sentence = create_model(
            "GeneratedSentence",
            __base__=GeneratedSentence,
            __doc__=GeneratedSentence.__doc__,
            entities=entities,
        )
        out = create_model(
            "GeneratedBatch",
            __base__=GeneratedBatch,
            __doc__=GeneratedBatch.__doc__,
            sentences=(list[sentence], Field(description="the new sentences")),  # type: ignore[valid-type]
        )
    else:
        return schema
    _CONSTRAINED[key] = out
    return out


_CONSTRAINED: dict[tuple[str, tuple[str, ...]], type[BaseModel]] = {}
