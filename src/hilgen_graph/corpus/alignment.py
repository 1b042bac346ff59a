"""Align LLM entity mentions (exact text + label) to character spans, tokens and IOB2 tags.

A pure function: ``align(text, mentions)`` finds every mention in the sentence, maps it to the
corpus tokenizer's tokens and writes IOB2 tags (first token ``B-``, the rest ``I-``). Problems are
reported, never silently dropped:

- ``missing``: the mention text does not occur in the sentence (fatal);
- ``ambiguous``: the same text is listed with two different labels (fatal);
- ``overlap``: a mention overlaps a longer one and was dropped (flat NER keeps the longer);
- ``partial_token``: a mention starts or ends inside a token; the span grows to the whole token;
- ``case``: found only when ignoring case; the span takes the sentence's own spelling.

A mention text listed once but occurring several times labels every occurrence (NER corpora
annotate every mention), preferring occurrences that fall on token boundaries.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from hilgen_graph.corpus.records import Token


class Mention(Protocol):
    """What alignment needs of a mention: its exact text and its label (an LLM reply's
    ``agents.schemas.Mention`` is one)."""

    @property
    def text(self) -> str: ...

    @property
    def label(self) -> str: ...


FATAL_ISSUES = frozenset({"missing", "ambiguous"})

Tokenizer = Callable[[str], Sequence[Token]]


@dataclass(frozen=True, slots=True)
class AlignedSpan:
    start: int
    end: int
    text: str
    label: str
    token_start: int
    token_end: int  # exclusive


@dataclass(frozen=True, slots=True)
class AlignmentIssue:
    kind: str
    mention: str
    label: str
    detail: str = ""

    @property
    def fatal(self) -> bool:
        return self.kind in FATAL_ISSUES


@dataclass(frozen=True, slots=True)
class Alignment:
    text: str
    tokens: tuple[Token, ...]
    tags: tuple[str, ...]
    spans: tuple[AlignedSpan, ...]
    issues: tuple[AlignmentIssue, ...] = ()

    @property
    def ok(self) -> bool:
        """True when every mention was placed (no missing or ambiguous mention)."""
        return not any(i.fatal for i in self.issues)

    @property
    def words(self) -> list[str]:
        return [t.text for t in self.tokens]


def default_tokenize(text: str) -> Sequence[Token]:
    """The corpus tokenizer (the one gold sentences were tokenized with)."""
    from hilgen_graph.corpus.tokenize import tokenize

    return tokenize(text)


def _occurrences(text: str, needle: str) -> tuple[list[tuple[int, int]], bool]:
    """Every (start, end) of ``needle`` in ``text``; exact first, else ignoring case."""
    found = [(m.start(), m.start() + len(needle)) for m in re.finditer(re.escape(needle), text)]
    if found:
        return found, False
    found = [
        (m.start(), m.end()) for m in re.finditer(re.escape(needle), text, flags=re.IGNORECASE)
    ]
    return found, bool(found)


def align(
    text: str,
    mentions: Sequence[Mention],
    tokenize: Tokenizer | None = None,
) -> Alignment:
    """Place ``mentions`` in ``text``; return tokens, IOB2 tags, spans and any issues."""
    tokens = tuple((tokenize or default_tokenize)(text))
    issues: list[AlignmentIssue] = []
    starts = {t.start for t in tokens}
    ends = {t.end for t in tokens}

    labels_of: dict[str, list[str]] = {}
    for m in mentions:
        mt = m.text.strip()
        if not mt:
            issues.append(AlignmentIssue("missing", m.text, m.label, "empty mention text"))
            continue
        labels_of.setdefault(mt, [])
        if m.label not in labels_of[mt]:
            labels_of[mt].append(m.label)

    candidates: list[tuple[int, int, str]] = []
    for mt, labels in labels_of.items():
        if len(labels) > 1:
            issues.append(
                AlignmentIssue("ambiguous", mt, labels[0], f"listed with labels {labels}")
            )
            continue
        label = labels[0]
        occ, by_case = _occurrences(text, mt)
        if not occ:
            issues.append(AlignmentIssue("missing", mt, label, "text not found in the sentence"))
            continue
        if by_case:
            issues.append(AlignmentIssue("case", mt, label, "found only when ignoring case"))
        clean = [(s, e) for s, e in occ if s in starts and e in ends]
        for s, e in clean or occ:
            candidates.append((s, e, label))

    # Flat NER: keep longer spans, drop those overlapping a kept one.
    kept: list[tuple[int, int, str]] = []
    for s, e, label in sorted(candidates, key=lambda c: (-(c[1] - c[0]), c[0])):
        clash = next((k for k in kept if s < k[1] and k[0] < e), None)
        if clash is None:
            kept.append((s, e, label))
        elif not (clash[0] <= s and e <= clash[1] and clash[2] == label):
            issues.append(
                AlignmentIssue(
                    "overlap", text[s:e], label, f"overlaps {text[clash[0] : clash[1]]!r}"
                )
            )
    kept.sort()

    tags = ["O"] * len(tokens)
    spans: list[AlignedSpan] = []
    for s, e, label in kept:
        idx = [i for i, t in enumerate(tokens) if t.end > s and t.start < e]
        if not idx:  # only whitespace under the span
            issues.append(AlignmentIssue("missing", text[s:e], label, "no token under the span"))
            continue
        ts, te = idx[0], idx[-1] + 1
        if any(tags[i] != "O" for i in range(ts, te)):
            issues.append(
                AlignmentIssue("overlap", text[s:e], label, "shares a token with another mention")
            )
            continue
        if tokens[ts].start != s or tokens[te - 1].end != e:
            issues.append(
                AlignmentIssue(
                    "partial_token",
                    text[s:e],
                    label,
                    f"grown to token boundaries: {text[tokens[ts].start : tokens[te - 1].end]!r}",
                )
            )
        s2, e2 = tokens[ts].start, tokens[te - 1].end
        tags[ts] = f"B-{label}"
        for i in range(ts + 1, te):
            tags[i] = f"I-{label}"
        spans.append(AlignedSpan(s2, e2, text[s2:e2], label, ts, te))
    return Alignment(
        text=text, tokens=tokens, tags=tuple(tags), spans=tuple(spans), issues=tuple(issues)
    )


def spans_from_tags(text: str, tokens: Sequence[Token], tags: Sequence[str]) -> list[AlignedSpan]:
    """Decode IOB2 tags back to spans (the inverse of :func:`align` for well-formed tags)."""
    spans: list[AlignedSpan] = []
    i = 0
    while i < len(tags):
        tag = tags[i]
        if tag.startswith(("B-", "I-")):
            label = tag[2:]
            j = i + 1
            while j < len(tags) and tags[j] == f"I-{label}":
                j += 1
            s, e = tokens[i].start, tokens[j - 1].end
            spans.append(AlignedSpan(s, e, text[s:e], label, i, j))
            i = j
        else:
            i += 1
    return spans
