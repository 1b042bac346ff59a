"""Substitute a related concept's name into a gold sentence in place of one entity mention.

The new sentence text is re-tokenised with the corpus tokeniser (:func:`hilgen_graph.corpus.
tokenize.tokenize`), tokens are split at every entity boundary exactly as the corpus readers do,
and every entity of the sentence (the substituted one and all the others, shifted) is retagged
B-/I- with its own label. The result is deterministic: the same inputs give the same output.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from hilgen_graph.corpus.records import Entity, Sentence, Token
from hilgen_graph.corpus.tokenize import split_tokens_at, tokenize

Tokenizer = Callable[[str], list[Token]]


class SubstitutionSkip(StrEnum):
    """Why a substitution produced no sentence (counted per layer by the guard)."""

    EMPTY_NAME = "related name has no tokens"
    SAME_AS_MENTION = "related name equals the mention"
    ENTITY_LOST = "an entity no longer covers any token"


@dataclass(frozen=True, slots=True)
class Substituted:
    """A synthetic sentence: text, tokens, IOB2 tags and where the new name sits."""

    text: str
    tokens: tuple[str, ...]
    tags: tuple[str, ...]
    start: int  # character span of the substituted name in ``text``
    end: int
    token_start: int  # token span of the substituted name (end-exclusive)
    token_end: int


@dataclass(frozen=True, slots=True)
class SubstitutionResult:
    value: Substituted | None
    skip: SubstitutionSkip | None = None


def _match_case(name: str, sentence: Sentence, entity: Entity) -> str:
    """Capitalise the name's first letter when the mention opened the sentence capitalised."""
    at_start = not sentence.text[: entity.start].strip()
    if at_start and entity.text[:1].isupper() and name[:1].islower():
        return name[:1].upper() + name[1:]
    return name


def substitute(
    sentence: Sentence,
    entity: Entity,
    name: str,
    *,
    tokenizer: Tokenizer = tokenize,
    match_case: bool = True,
) -> SubstitutionResult:
    """Replace ``entity`` (one of ``sentence.entities``) with ``name`` and retag the sentence.

    Other entities keep their labels and shift with the text; the new name is tagged with
    ``entity.label``. A name with no tokens or equal to the mention yields no sentence and says why.
    """
    name = name.strip()
    if match_case:
        name = _match_case(name, sentence, entity)
    if not tokenizer(name):
        return SubstitutionResult(None, SubstitutionSkip.EMPTY_NAME)
    if name == entity.text:
        return SubstitutionResult(None, SubstitutionSkip.SAME_AS_MENTION)
    text = sentence.text
    new_text = text[: entity.start] + name + text[entity.end :]
    delta = len(name) - (entity.end - entity.start)
    spans: list[tuple[int, int, str, bool]] = []
    for other in sentence.entities:
        if other is entity or (other.start, other.end) == (entity.start, entity.end):
            spans.append((entity.start, entity.start + len(name), entity.label, True))
        elif other.end <= entity.start:
            spans.append((other.start, other.end, other.label, False))
        elif other.start >= entity.end:
            spans.append((other.start + delta, other.end + delta, other.label, False))
        else:  # overlaps the replaced mention: cannot be kept consistently
            return SubstitutionResult(None, SubstitutionSkip.ENTITY_LOST)
    cuts = [c for a, b, _, _ in spans for c in (a, b)]
    toks = split_tokens_at(tokenizer(new_text), cuts)
    tags = ["O"] * len(toks)
    span_tokens = (-1, -1)
    for a, b, label, is_new in sorted(spans):
        # entity boundaries may sit on whitespace after trimming: snap to the tokens inside
        inside = [i for i, t in enumerate(toks) if t.start >= a and t.end <= b]
        if not inside:
            return SubstitutionResult(None, SubstitutionSkip.ENTITY_LOST)
        i0, i1 = inside[0], inside[-1] + 1
        tags[i0] = f"B-{label}"
        for i in range(i0 + 1, i1):
            tags[i] = f"I-{label}"
        if is_new:
            span_tokens = (i0, i1)
    return SubstitutionResult(
        Substituted(
            text=new_text,
            tokens=tuple(t.text for t in toks),
            tags=tuple(tags),
            start=entity.start,
            end=entity.start + len(name),
            token_start=span_tokens[0],
            token_end=span_tokens[1],
        )
    )
