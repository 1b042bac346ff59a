"""The synthetic-sentence JSONL schema shared by both augmentation arms, checks and training.

One ``SyntheticRecord`` per line. ``hilgen augment kg`` and ``hilgen generate llm`` write it;
``hilgen check`` and ``hilgen evaluate`` read it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hilgen_graph.atomic import write_jsonl
from hilgen_graph.errors import CorpusFormatError
from hilgen_graph.textio import iter_lines


class ReplacedEntity(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str
    label: str
    start: int  # character offsets in the seed sentence text
    end: int
    concept_ids: list[str] = Field(default_factory=list)


class CoSubstitution(BaseModel):
    """A further mention of the seed replaced in the same KG sentence (``mentions: all``)."""

    model_config = ConfigDict(frozen=True)

    replaced_entity: ReplacedEntity
    related_concept_id: str
    related_name: str


class InsertedName(BaseModel):
    """Where a KG sentence holds a name the toolkit put in, and the seed text it replaced."""

    model_config = ConfigDict(frozen=True)

    start: int  # character offsets in the synthetic text
    end: int
    replaced: str


class LLMProvenance(BaseModel):
    model_config = ConfigDict(frozen=True)

    model: str
    prompt_name: str
    prompt_hash: str
    temperature: float
    raw_reply_id: str
    mode: str = "grounded"  # grounded | two-step | agent | paper
    prompt_family: str = ""  # related | parents_children | siblings | agent (the template's family)
    seed_text: str = ""  # the seed sentence, for the seed-copy check of `hilgen check`
    seed_mentions: list[str] = Field(default_factory=list)  # the seed's gold mention texts
    intended_concept_ids: list[str] = Field(default_factory=list)  # concepts the prompt asked for
    kind: str = ""  # accepted marked/LLM sentences: rewrite | new_context (sentence_checks)
    flags: list[str] = Field(default_factory=list)  # e.g. invented specifics, when only counted


class Provenance(BaseModel):
    model_config = ConfigDict(frozen=True)

    arm: Literal["kg", "llm"]
    seed_sentence_id: str
    layer: str  # synonyms | semantic_type | parents | children | siblings | related
    replaced_entity: ReplacedEntity | None = None
    source_concept_id: str | None = None
    related_concept_id: str | None = None
    related_name: str | None = None
    relation_path: list[str] = Field(default_factory=list)
    knowledge_source: str = ""
    source_version: str = ""
    llm: LLMProvenance | None = None
    # KG, ``mentions: all``: the other mentions replaced, and every inserted name (the
    # replaced entity's and these) in the synthetic text
    co_substituted: list[CoSubstitution] = Field(default_factory=list)
    inserted: list[InsertedName] = Field(default_factory=list)


class SyntheticRecord(BaseModel):
    """A synthetic training sentence with IOB2 tags and where it came from."""

    model_config = ConfigDict(frozen=True)

    id: str
    text: str
    tokens: list[str]
    tags: list[str]
    provenance: Provenance


def read_synthetic(path: str | Path) -> Iterator[SyntheticRecord]:
    """Stream records from a JSONL file; a bad line raises ``CorpusFormatError`` with its line."""
    p = Path(path)
    for lineno, line in iter_lines(p, CorpusFormatError):
        if not line.strip():
            continue
        try:
            rec = SyntheticRecord.model_validate_json(line)
        except ValidationError as err:
            raise CorpusFormatError(
                f"not a synthetic record: {err.errors()[0]['msg']}",
                path=str(p),
                line=lineno,
                text=line[:200],
                fix="the file must hold one SyntheticRecord JSON object per line",
            ) from err
        if len(rec.tokens) != len(rec.tags):
            raise CorpusFormatError(
                f"{len(rec.tokens)} tokens but {len(rec.tags)} tags",
                path=str(p),
                line=lineno,
                text=rec.text[:200],
                fix="every token needs exactly one IOB2 tag",
            )
        yield rec


def write_synthetic(path: str | Path, records: Iterable[SyntheticRecord]) -> int:
    """Write records atomically (temp file + rename); return how many were written."""
    return write_jsonl(path, records, lambda rec: rec.model_dump(mode="json"))
