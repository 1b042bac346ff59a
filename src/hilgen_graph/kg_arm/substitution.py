"""Substitute a related concept's name into a gold sentence in place of one entity mention.

The mention is replaced together with the mentions that name the same thing (:func:`coreferent`):
the same text again, or an abbreviation and its long form (a shared corpus concept id), so a
sentence never reads "midazolam ... ro 21 3981 ... midazolam". An abbreviation written in
parentheses right after its long form ("neuroleptic malignant syndrome (NMS)") is dropped with
its parentheses: the new name has no such abbreviation. ``mentions="one"`` replaces the one
mention only (the behaviour before 2026-12; kept to reproduce earlier grids). ``mentions="all"``
replaces the group and, in the same sentence, every other linked mention's group with a name
from that mention's own walk (``co=``), so no synthetic sentence repeats a gold mention of the
sample in its gold context; :func:`hilgen_graph.kg_arm.augment.augment_kg` picks those names.

The new sentence text is re-tokenised with the corpus tokeniser (:func:`hilgen_graph.corpus.
tokenize.tokenize`), tokens are split at every entity boundary exactly as the corpus readers do,
and every entity of the sentence (the substituted ones and all the others, shifted) is retagged
B-/I- with its own label. The result is deterministic: the same inputs give the same output.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from hilgen_graph.corpus.records import Entity, Sentence, Token
from hilgen_graph.corpus.tokenize import split_tokens_at, tokenize
from hilgen_graph.graph.normalize import normalize

Tokenizer = Callable[[str], list[Token]]


class Mentions(StrEnum):
    """Which mentions one substitution replaces."""

    GROUP = "group"  # the mention and its co-referent mentions (see :func:`coreferent`)
    ONE = "one"  # the one mention (earlier grids)
    ALL = "all"  # the group, and every other linked mention's group with a name of its own


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
    replaced: int = 1  # mentions replaced (the mention and its co-referent ones)
    dropped: int = 0  # parenthesised abbreviations dropped
    # every name inserted in ``text`` (the co-substituted ones too): its character span and
    # the mention text it replaced
    inserted: tuple[tuple[int, int, str], ...] = ()
    co_applied: tuple[int, ...] = ()  # indexes into ``co`` of the replacements made


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


def _same_span(a: Entity, b: Entity) -> bool:
    return (a.start, a.end) == (b.start, b.end)


def coreferent(sentence: Sentence, entity: Entity) -> tuple[Entity, ...]:
    """``entity`` and the other mentions of ``sentence`` with its label that name the same
    thing: the same text (ignoring case and punctuation) or the same corpus concept ids (an
    abbreviation and its long form; a composite mention such as "breast and ovarian cancer"
    shares none with "ovarian cancer"), in text order."""
    key = normalize(entity.text)
    ids = frozenset(entity.concept_ids)
    return tuple(
        sorted(
            (
                e
                for e in sentence.entities
                if _same_span(e, entity)
                or (
                    e.label == entity.label
                    and (
                        normalize(e.text) == key or (bool(ids) and frozenset(e.concept_ids) == ids)
                    )
                )
            ),
            key=lambda e: (e.start, e.end),
        )
    )


_OPEN = re.compile(r"\s*\(\s*")
_CLOSE = re.compile(r"\s*\)")


def _parenthesised(text: str, group: Sequence[Entity]) -> dict[int, int]:
    """Members written in parentheses right after the member before them ("X (Y)"): the
    index of each such member -> the end of the character span to cut (from X's end)."""
    cuts: dict[int, int] = {}
    for i in range(1, len(group)):
        before, member = group[i - 1], group[i]
        if i - 1 in cuts or not _OPEN.fullmatch(text[before.end : member.start]):
            continue
        close = _CLOSE.match(text, member.end)
        if close is not None:
            cuts[i] = close.end()
    return cuts


def substitute(
    sentence: Sentence,
    entity: Entity,
    name: str,
    *,
    tokenizer: Tokenizer = tokenize,
    match_case: bool = True,
    mentions: Mentions | str = Mentions.GROUP,
    group: Sequence[Entity] | None = None,
    co: Sequence[tuple[Sequence[Entity], str]] = (),
) -> SubstitutionResult:
    """Replace ``entity`` (one of ``sentence.entities``) and, with ``mentions="group"`` or
    ``"all"``, its co-referent mentions with ``name`` and retag the sentence.

    Other entities keep their labels and shift with the text; the new name is tagged with
    ``entity.label``. A name with no tokens or equal to the mention yields no sentence and says
    why; so does an entity that overlaps a replaced mention (it cannot be kept consistently).
    ``group`` is :func:`coreferent`'s answer when the caller has it already. ``co`` (with
    ``mentions="all"``) are further ``(group, name)`` replacements, each group another mention's
    co-referent group, disjoint from ``group`` and from each other; a co-name with no tokens or
    equal to its mention leaves that mention as it is.
    """
    name = name.strip()
    shown = _match_case(name, sentence, entity) if match_case else name
    if not tokenizer(shown):
        return SubstitutionResult(None, SubstitutionSkip.EMPTY_NAME)
    if shown == entity.text:
        return SubstitutionResult(None, SubstitutionSkip.SAME_AS_MENTION)
    text = sentence.text
    mode = Mentions(mentions)
    if mode is Mentions.ONE:
        group = (entity,)
    elif group is None:
        group = coreferent(sentence, entity)
    replacements: list[tuple[Sequence[Entity], str]] = [(group, name)]
    co_applied: list[int] = []
    if mode is Mentions.ALL:
        for n, (co_group, co_name) in enumerate(co):
            co_name = co_name.strip()
            first = co_group[0]
            shown_co = _match_case(co_name, sentence, first) if match_case else co_name
            if tokenizer(shown_co) and shown_co != first.text:
                replacements.append((co_group, co_name))
                co_applied.append(n)
    # edits in text order: (start, end, replacement, label of a new name or None for a cut,
    # whether it belongs to the mention's own group, the text replaced)
    edits: list[tuple[int, int, str, str | None, bool, str]] = []
    replaced: list[Entity] = []
    cut_count = 0
    for n, (members, new_name) in enumerate(replacements):
        cuts = _parenthesised(text, members)
        cut_count += len(cuts)
        replaced.extend(members)
        for i, member in enumerate(members):
            if i in cuts:
                cut = (members[i - 1].end, cuts[i])
                edits.append((*cut, "", None, n == 0, text[cut[0] : cut[1]]))
            else:
                new = _match_case(new_name, sentence, member) if match_case else new_name
                edits.append((member.start, member.end, new, member.label, n == 0, member.text))
    edits.sort(key=lambda e: (e[0], e[1]))
    if len(replacements) > 1 and any(
        a < b for (_, b, *_), (a, *_) in zip(edits, edits[1:], strict=False)
    ):
        return SubstitutionResult(None, SubstitutionSkip.ENTITY_LOST)
    others = [e for e in sentence.entities if not any(_same_span(e, m) for m in replaced)]
    for e in others:
        if any(e.start < b and a < e.end for a, b, *_ in edits):
            return SubstitutionResult(None, SubstitutionSkip.ENTITY_LOST)
    parts: list[str] = []
    # where each new name sits in the new text, with its label and the text it replaced
    named: list[tuple[int, int, str, str]] = []
    shifts: list[tuple[int, int]] = []  # (old end of an edit, cumulative shift after it)
    pos = shift = 0
    target_span = (-1, -1)
    for a, b, new, label, own, old in edits:
        parts.append(text[pos:a])
        start = a + shift
        parts.append(new)
        if label is not None:
            named.append((start, start + len(new), label, old))
            if own and (target_span == (-1, -1) or a == entity.start):
                target_span = (start, start + len(new))
        shift += len(new) - (b - a)
        shifts.append((b, shift))
        pos = b
    parts.append(text[pos:])
    new_text = "".join(parts)

    def moved(offset: int) -> int:
        return offset + next((s for end, s in reversed(shifts) if end <= offset), 0)

    spans = [(a, b, label, True) for a, b, label, _ in named]
    spans += [(moved(e.start), moved(e.start) + (e.end - e.start), e.label, False) for e in others]
    cut_points = [c for a, b, _, _ in spans for c in (a, b)]
    toks = split_tokens_at(tokenizer(new_text), cut_points)
    tags = ["O"] * len(toks)
    token_span = (-1, -1)
    for a, b, label, is_name in sorted(spans):
        # entity boundaries may sit on whitespace after trimming: snap to the tokens inside
        inside = [i for i, t in enumerate(toks) if t.start >= a and t.end <= b]
        if not inside:
            return SubstitutionResult(None, SubstitutionSkip.ENTITY_LOST)
        i0, i1 = inside[0], inside[-1] + 1
        tags[i0] = f"B-{label}"
        for i in range(i0 + 1, i1):
            tags[i] = f"I-{label}"
        if is_name and (a, b) == target_span:
            token_span = (i0, i1)
    return SubstitutionResult(
        Substituted(
            text=new_text,
            tokens=tuple(t.text for t in toks),
            tags=tuple(tags),
            start=target_span[0],
            end=target_span[1],
            token_start=token_span[0],
            token_end=token_span[1],
            replaced=len(named),
            dropped=cut_count,
            inserted=tuple((a, b, old) for a, b, _, old in named),
            co_applied=tuple(co_applied),
        )
    )
