"""PubTator reader: BC5CDR (with relation lines), NCBI-disease (4 fine types), MedMentions.

Format: ``PMID|t|title``, ``PMID|a|abstract``, then one line per mention
``PMID<TAB>start<TAB>end<TAB>mention<TAB>type<TAB>id(s)[<TAB>...]`` and, in BC5CDR, relation lines
``PMID<TAB>CID<TAB>chemical<TAB>disease``; a blank line ends a document. Offsets are 0-based into
``title + " " + abstract``. Concept ids may be composite (``|`` or ``+``), ``-1`` (none) or carry
stray spaces; MedMentions ids look like ``UMLS:C0010674`` and its type column holds semantic
types (``T038``). Plain or gzip files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from hilgen_graph.corpus.io import iter_lines
from hilgen_graph.corpus.records import Corpus, Document, Entity
from hilgen_graph.corpus.report import IssueKind, LoadReport, LoadResult
from hilgen_graph.corpus.segment import document_sentences
from hilgen_graph.errors import CorpusFormatError

TEXT_LINE = re.compile(r"^([^|\t]+)\|([ta])\|(.*)$")
NO_CONCEPT = "-1"
_ID_SPLIT = re.compile(r"[|+]")


def parse_concept_ids(raw: str) -> tuple[str, ...]:
    """Split a PubTator id column: composites on ``|``/``+``, ``-1`` and blanks removed."""
    ids = (part.strip() for part in _ID_SPLIT.split(raw))
    return tuple(i for i in ids if i and i != NO_CONCEPT)


@dataclass
class _Draft:
    pmid: str
    line: int
    title: str
    abstract: str | None = None
    mentions: list[tuple[int, list[str]]] = field(default_factory=list)
    relations: list[tuple[str, ...]] = field(default_factory=list)


class _Reader:
    def __init__(self, path: Path, collapse_to: str | None, lenient: bool) -> None:
        self.path = path
        self.collapse_to = collapse_to
        self.lenient = lenient
        self.report = LoadReport(path=str(path), format="pubtator")
        self.documents: list[Document] = []
        self.seen_ids: dict[str, int] = {}

    def problem(self, message: str, *, line: int, text: str, fix: str, record: str) -> None:
        """Raise, or (lenient) record the skipped record."""
        if not self.lenient:
            raise CorpusFormatError(message, path=str(self.path), line=line, text=text, fix=fix)
        self.report.add(
            IssueKind.SKIPPED_RECORD, line=line, record=record, text=text, reason=message
        )

    def read(self) -> LoadResult:
        draft: _Draft | None = None
        for lineno, line in iter_lines(self.path):
            if not line.strip():
                if draft is not None:
                    self.finish(draft)
                    draft = None
                continue
            m = TEXT_LINE.match(line)
            if m:
                pmid, kind, body = m.group(1).strip(), m.group(2), m.group(3)
                if kind == "t":
                    if draft is not None:
                        self.finish(draft)
                    draft = _Draft(pmid=pmid, line=lineno, title=body)
                    continue
                if draft is None or draft.pmid != pmid or draft.abstract is not None:
                    self.problem(
                        "abstract line without a preceding title line of the same document",
                        line=lineno,
                        text=line[:120],
                        fix=f"put '{pmid}|t|<title>' right before '{pmid}|a|...'",
                        record=pmid,
                    )
                    continue
                if draft.mentions:
                    self.problem(
                        "abstract line after the document's annotation lines",
                        line=lineno,
                        text=line[:120],
                        fix="write title, abstract, then the annotation lines",
                        record=pmid,
                    )
                    continue
                draft.abstract = body
                continue
            fields = line.split("\t")
            if draft is None:
                self.problem(
                    "annotation line outside a document (no title line before it)",
                    line=lineno,
                    text=line[:120],
                    fix="each document starts with 'PMID|t|title' and 'PMID|a|abstract'",
                    record=fields[0],
                )
                continue
            if len(fields) < 5 and not (len(fields) == 4 and not fields[1].strip().isdigit()):
                self.problem(
                    f"annotation line has {len(fields)} tab-separated fields, expected at least 5"
                    " (PMID, start, end, mention, type[, ids]) or 4 for a relation",
                    line=lineno,
                    text=line[:120],
                    fix="separate the fields with tabs, not spaces",
                    record=draft.pmid,
                )
                continue
            if fields[0].strip() != draft.pmid:
                self.problem(
                    f"annotation of document {fields[0].strip()!r} inside document "
                    f"{draft.pmid!r} (started at line {draft.line})",
                    line=lineno,
                    text=line[:120],
                    fix="separate documents with a blank line and keep their PMIDs consistent",
                    record=draft.pmid,
                )
                continue
            if len(fields) == 4 and not fields[1].strip().isdigit():
                draft.relations.append(tuple(f.strip() for f in fields[1:]))
                continue
            draft.mentions.append((lineno, fields))
        if draft is not None:
            self.finish(draft)
        name = self.path.name
        for suffix in (".gz", ".txt", ".PubTator"):
            name = name.removesuffix(suffix)
        return LoadResult(Corpus(name=name, documents=tuple(self.documents)), self.report)

    def entity(self, draft: _Draft, text: str, lineno: int, fields: list[str]) -> Entity | None:
        raw = "\t".join(fields)[:160]
        try:
            start, end = int(fields[1]), int(fields[2])
        except ValueError:
            self.problem(
                f"start/end offsets are not integers: {fields[1]!r}, {fields[2]!r}",
                line=lineno,
                text=raw,
                fix="columns 2 and 3 must be 0-based character offsets",
                record=draft.pmid,
            )
            return None
        mention, label = fields[3], fields[4].strip()
        if not 0 <= start < end <= len(text):
            self.problem(
                f"offsets [{start}:{end}] outside the document text (length {len(text)})",
                line=lineno,
                text=raw,
                fix="offsets are 0-based into title + ' ' + abstract; check the document's text",
                record=draft.pmid,
            )
            return None
        if not label:
            self.problem(
                "empty entity type",
                line=lineno,
                text=raw,
                fix="column 5 must hold the entity type",
                record=draft.pmid,
            )
            return None
        span = text[start:end]
        if span != mention:
            if span.strip() != mention.strip() or not span.strip():
                self.problem(
                    f"mention {mention!r} does not match the text at [{start}:{end}]: {span!r}",
                    line=lineno,
                    text=raw,
                    fix="correct the offsets or the mention text so text[start:end] == mention",
                    record=draft.pmid,
                )
                return None
            self.report.add(
                IssueKind.FIXED_TEXT,
                line=lineno,
                record=draft.pmid,
                text=mention,
                reason=f"stray whitespace around the mention; kept as {span.strip()!r}",
            )
        # Trim whitespace inside the span itself so the entity starts and ends on tokens.
        lead = len(span) - len(span.lstrip())
        trail = len(span) - len(span.rstrip())
        start, end = start + lead, end - trail
        ids = parse_concept_ids(fields[5]) if len(fields) > 5 else ()
        return Entity(
            start=start,
            end=end,
            text=text[start:end],
            label=self.collapse_to or label,
            concept_ids=ids,
        )

    def finish(self, draft: _Draft) -> None:
        text = draft.title if draft.abstract is None else f"{draft.title} {draft.abstract}"
        entities: list[Entity] = []
        entity_lines: dict[Entity, int] = {}
        for lineno, fields in draft.mentions:
            ent = self.entity(draft, text, lineno, fields)
            if ent is not None:
                entities.append(ent)
                entity_lines.setdefault(ent, lineno)
        self.report.entities_read += len(entities)
        doc_id = draft.pmid
        count = self.seen_ids.get(doc_id, 0) + 1
        self.seen_ids[doc_id] = count
        if count > 1:
            doc_id = f"{draft.pmid}#{count}"
            self.report.add(
                IssueKind.RENAMED_DOCUMENT,
                line=draft.line,
                record=draft.pmid,
                text=draft.title[:80],
                reason=f"document id {draft.pmid} repeats; this copy is named {doc_id}",
            )
        sentences = document_sentences(
            doc_id,
            text,
            entities,
            title_end=len(draft.title) if draft.abstract is not None else None,
            report=self.report,
            line=draft.line,
            entity_lines=entity_lines,
        )
        self.documents.append(
            Document(
                id=doc_id,
                text=text,
                entities=tuple(sorted(entities, key=lambda e: (e.start, e.end))),
                sentences=sentences,
                title=draft.title,
                relations=tuple(draft.relations),
            )
        )


def read_pubtator(
    path: str | Path, *, collapse_to: str | None = None, lenient: bool = False
) -> LoadResult:
    """Read a PubTator file (plain or gzip) into documents with sentences, and a report.

    ``collapse_to`` replaces every entity type (e.g. NCBI-disease's four types -> ``Disease``).
    ``lenient`` skips malformed records instead of raising ``CorpusFormatError``; the report
    lists each one with its line and the reason.
    """
    return _Reader(Path(path), collapse_to, lenient).read()
