"""Turn a document (text + entity spans) into sentences of tokens whose entities are exact.

Tokens are split at entity boundaries, so no entity is lost or shifted; sentences that an entity
crosses are merged; overlapping entities (which IOB cannot hold) keep the first, longest one and
the report names every one not kept.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence

from hilgen_graph.corpus.records import Entity, Sentence
from hilgen_graph.corpus.report import IssueKind, LoadReport
from hilgen_graph.corpus.tokenize import split_sentences, split_tokens_at, tokenize


def sentence_spans(text: str, title_end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans of a document; the title (``text[:title_end]``) is always its own."""
    if title_end is None or title_end <= 0 or title_end >= len(text):
        return split_sentences(text)
    return split_sentences(text, 0, title_end) + split_sentences(text, title_end, len(text))


def merge_crossed(
    spans: Sequence[tuple[int, int]], entities: Sequence[Entity]
) -> tuple[list[tuple[int, int]], list[Entity]]:
    """Merge consecutive spans that an entity crosses; return the spans and the crossing ones."""
    starts = [a for a, _ in spans]
    # joined_to_next[k]: spans k and k + 1 end up in one sentence
    joined_to_next = [False] * len(spans)
    crossing: list[Entity] = []
    for ent in entities:
        i = max(bisect.bisect_right(starts, ent.start) - 1, 0)
        j = max(bisect.bisect_right(starts, ent.end - 1) - 1, 0)
        if j > i:
            crossing.append(ent)
            for k in range(i, j):
                joined_to_next[k] = True
    merged: list[tuple[int, int]] = []
    cur: tuple[int, int] | None = None
    for k, (a, b) in enumerate(spans):
        cur = (a, b) if cur is None else (cur[0], b)
        if not joined_to_next[k]:
            merged.append(cur)
            cur = None
    if cur is not None:
        merged.append(cur)
    return merged, crossing


def _resolve_overlaps(
    entities: Sequence[Entity],
    report: LoadReport | None,
    record: str,
    line: int | None,
    entity_lines: Mapping[Entity, int],
) -> list[Entity]:
    kept: list[Entity] = []
    last: Entity | None = None
    for ent in sorted(entities, key=lambda e: (e.start, -(e.end - e.start))):
        if last is not None and ent.start < last.end:
            if report is not None:
                same = (ent.start, ent.end, ent.label) == (last.start, last.end, last.label)
                why = "duplicate of" if same else "overlaps"
                report.add(
                    IssueKind.DROPPED_ENTITY,
                    line=entity_lines.get(ent, line),
                    record=record,
                    text=ent.text,
                    reason=(
                        f"{ent.label} [{ent.start}:{ent.end}] {why} {last.label} "
                        f"[{last.start}:{last.end}] {last.text!r}; IOB tags cannot hold "
                        "overlapping spans, the first (longest) one is kept"
                    ),
                )
            continue
        kept.append(ent)
        if last is None or ent.end > last.end:
            last = ent
    return kept


def document_sentences(
    doc_id: str,
    text: str,
    entities: Sequence[Entity],
    *,
    title_end: int | None = None,
    report: LoadReport | None = None,
    line: int | None = None,
    entity_lines: Mapping[Entity, int] | None = None,
) -> tuple[Sentence, ...]:
    """Split a document into sentences (ids ``doc_id:index``) with exact token-level entities.

    ``entities`` carry document offsets; the sentences' token and entity offsets are relative to
    each ``Sentence.text``. Report entries name the entity's line from ``entity_lines`` (for
    example its annotation line) or else ``line`` (the document's first line).
    """
    lines = entity_lines or {}
    spans, crossing = merge_crossed(sentence_spans(text, title_end), entities)
    if report is not None:
        for ent in crossing:
            report.add(
                IssueKind.MERGED_SENTENCES,
                line=lines.get(ent, line),
                record=doc_id,
                text=ent.text,
                reason=(
                    f"{ent.label} [{ent.start}:{ent.end}] crosses a sentence boundary; "
                    "the sentences were merged so the entity is kept whole"
                ),
            )
    kept = _resolve_overlaps(entities, report, doc_id, line, lines)
    starts = [a for a, _ in spans]
    per_span: list[list[Entity]] = [[] for _ in spans]
    for ent in kept:
        per_span[max(bisect.bisect_right(starts, ent.start) - 1, 0)].append(ent)

    sentences: list[Sentence] = []
    for idx, ((a, b), ents) in enumerate(zip(spans, per_span, strict=True)):
        stext = text[a:b]
        tokens = tokenize(stext)
        if ents:
            cuts = [e.start - a for e in ents] + [e.end - a for e in ents]
            tokens = split_tokens_at(tokens, cuts)
        by_start = {t.start: i for i, t in enumerate(tokens)}
        by_end = {t.end: i for i, t in enumerate(tokens)}
        sid = f"{doc_id}:{idx}"
        sent_entities: list[Entity] = []
        for ent in ents:
            rs, re_ = ent.start - a, ent.end - a
            ts, te = by_start.get(rs), by_end.get(re_)
            if ts is None or te is None or te < ts:
                if report is not None:
                    report.add(
                        IssueKind.DROPPED_ENTITY,
                        line=lines.get(ent, line),
                        record=sid,
                        text=ent.text,
                        reason=(
                            f"{ent.label} [{ent.start}:{ent.end}] does not start and end on "
                            "token boundaries (it begins or ends on whitespace)"
                        ),
                    )
                continue
            sent_entities.append(
                Entity(
                    start=rs,
                    end=re_,
                    text=ent.text,
                    label=ent.label,
                    concept_ids=ent.concept_ids,
                    token_start=ts,
                    token_end=te + 1,
                )
            )
        if report is not None:
            report.entities_in_sentences += len(sent_entities)
        sentences.append(
            Sentence(
                id=sid,
                doc_id=doc_id,
                text=stext,
                tokens=tuple(tokens),
                entities=tuple(sent_entities),
            )
        )
    return tuple(sentences)
