"""PubTator reader: BC5CDR (with relation lines), NCBI-disease (4 fine types), MedMentions, and
the dialects of other NCBI corpora (BioRED, tmVar).

Format: ``PMID|t|title``, ``PMID|a|abstract``, then one line per mention
``PMID<TAB>start<TAB>end<TAB>mention<TAB>type[<TAB>id(s)[<TAB>mentions]]``; a blank line ends a
document. Offsets are 0-based into ``title + " " + abstract``. Relation lines come in two
shapes: ``PMID<TAB>CID<TAB>id1<TAB>id2`` (BC5CDR) and ``PMID<TAB>Association<TAB>id1<TAB>id2
<TAB>Novel|No`` (BioRED); they are told from mention lines by their second column (a word, not an
offset). A seventh mention column (BC5CDR) lists the parts of a composite mention, one per id.

Concept ids are read by their shape (:func:`parse_concept_ids`): a column is split into several
ids on ``|``, ``+`` or ``,`` only when every part is an id of a known shape (MeSH ``D000075222``
or ``D006973``, UMLS ``C0010674``, ``OMIM:106210``, ``PREFIX:code``, a number); anything else
(``c|INDEL|-4825``, a tmVar variant) is one id, kept verbatim. ``-1`` means no concept, stray
spaces are dropped. MedMentions ids look like ``UMLS:C0010674`` and its type column holds
semantic types (``T038``). Plain or gzip files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from hilgen_graph.corpus.io import empty_corpus, iter_lines
from hilgen_graph.corpus.records import Corpus, Document, Entity
from hilgen_graph.corpus.report import IssueKind, LoadReport, LoadResult
from hilgen_graph.corpus.segment import document_sentences
from hilgen_graph.errors import CorpusFormatError
from hilgen_graph.textio import control_characters

TEXT_LINE = re.compile(r"^([^|\t]+)\|([ta])\|(.*)$")
NO_CONCEPT = "-1"
COMPOSITE_SEPARATORS = "|+,"
_ID_SPLIT = re.compile(r"[|+,]")
# The id shapes a composite column is made of; a column whose parts are not all of these shapes
# is one id (e.g. the tmVar variant "c|INDEL|-4825").
KNOWN_ID_SHAPES: tuple[re.Pattern[str], ...] = (
    re.compile(r"(?:MESH:|MeSH:)?[DC]\d{6}(?:\d{3})?"),  # MeSH descriptor / supplementary
    re.compile(r"(?:UMLS:)?C\d{7}"),  # UMLS CUI
    re.compile(r"[A-Za-z][A-Za-z0-9_]*:[A-Za-z0-9_.]+"),  # OMIM:106210, NCBIGene:7157, ...
    re.compile(r"\d+"),  # NCBI Gene / Taxonomy numbers
)
# A relation line's second column: a relation type such as CID or Association.
_RELATION_TYPE = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_OFFSET = re.compile(r"[0-9]+")


def _known_id(part: str) -> bool:
    return part == NO_CONCEPT or any(shape.fullmatch(part) for shape in KNOWN_ID_SHAPES)


def composite_parts(raw: str) -> list[str] | None:
    """The parts of a composite id column (``-1`` parts included), or None when it is one id."""
    parts = [p.strip() for p in _ID_SPLIT.split(raw.strip())]
    if len(parts) > 1 and all(p and _known_id(p) for p in parts):
        return parts
    return None


def parse_concept_ids(raw: str) -> tuple[str, ...]:
    """The concept ids of a PubTator id column, by shape.

    ``-1`` and blanks mean none. A composite (``D014786|D006311``, ``D015862+D058499``,
    ``D003920,D003924``) is split only when every part has a known id shape; any other value is
    one id, kept verbatim (stripped): ``c|INDEL|-4825`` stays one id.
    """
    value = raw.strip()
    if not value or value == NO_CONCEPT:
        return ()
    parts = composite_parts(value)
    if parts is not None:
        return tuple(p for p in parts if p != NO_CONCEPT)
    return (value,)


def _is_relation(fields: list[str]) -> bool:
    """A relation line: ``PMID, type, id1, id2`` or ``PMID, type, id1, id2, novelty``."""
    if len(fields) not in (4, 5) or not _RELATION_TYPE.fullmatch(fields[1].strip()):
        return False
    return len(fields) == 4 or (len(fields) == 5 and bool(_RELATION_TYPE.fullmatch(fields[4])))


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
            relation = _is_relation(fields)
            if not relation and not 5 <= len(fields) <= 7:
                self.problem(
                    f"annotation line has {len(fields)} tab-separated fields, expected 5 to 7"
                    " (PMID, start, end, mention, type[, ids[, composite parts]]) or 4/5 for a "
                    "relation (PMID, type, id1, id2[, novelty])",
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
            if relation:
                draft.relations.append(tuple(f.strip() for f in fields[1:]))
                continue
            draft.mentions.append((lineno, fields))
        if draft is not None:
            self.finish(draft)
        if not self.documents and not self.report.skipped:
            raise empty_corpus(self.path)
        name = self.path.name
        for suffix in (".gz", ".txt", ".PubTator"):
            name = name.removesuffix(suffix)
        return LoadResult(Corpus(name=name, documents=tuple(self.documents)), self.report)

    def entity(self, draft: _Draft, text: str, lineno: int, fields: list[str]) -> Entity | None:
        raw = "\t".join(fields)[:160]
        if not (_OFFSET.fullmatch(fields[1]) and _OFFSET.fullmatch(fields[2])):
            self.problem(
                f"start/end offsets are not integers: {fields[1]!r}, {fields[2]!r}",
                line=lineno,
                text=raw,
                fix="columns 2 and 3 must be 0-based character offsets",
                record=draft.pmid,
            )
            return None
        start, end = int(fields[1]), int(fields[2])
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
        if not label or control_characters(label) or any(c.isspace() for c in label):
            self.problem(
                f"entity type {label!r} is empty or holds whitespace or control characters "
                "(an IOB tag cannot hold it)",
                line=lineno,
                text=raw,
                fix="column 5 must hold the entity type, one word (e.g. Disease)",
                record=draft.pmid,
            )
            return None
        ids = parse_concept_ids(fields[5]) if len(fields) > 5 else ()
        parts = fields[6].strip() if len(fields) > 6 else ""
        composite = composite_parts(fields[5]) if parts else None
        if parts and (composite is None or len(parts.split("|")) != len(composite)):
            self.problem(
                f"a 7th column ({parts[:60]!r}) is only for the parts of a composite mention, "
                f"one per id, but the id column {fields[5]!r} is not a composite of as many "
                "ids; a tab inside a column splits it in two",
                line=lineno,
                text=raw,
                fix="remove the stray tab; columns are PMID, start, end, mention, type, ids"
                "[, composite parts separated by '|']",
                record=draft.pmid,
            )
            return None
        if any(control_characters(i) for i in ids):
            self.problem(
                "a concept id holds control characters",
                line=lineno,
                text=raw,
                fix="column 6 must hold the concept id(s)",
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
