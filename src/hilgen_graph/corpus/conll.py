"""CoNLL / IOB reader and writer: one ``token<TAB>tag`` (or space separated) line per token.

A blank line ends a sentence; a ``-DOCSTART-`` line starts a document (without any, the file is
one document). The token is the first column and the tag the last; tags are IOB2 (``B-X``,
``I-X``, ``O``); an ``I-X`` that does not continue an ``X`` entity starts one (IOB1 style) and is
noted in the report. Sentence ids are ``<corpus name>:<index>`` over the whole file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from hilgen_graph.atomic import atomic_writer
from hilgen_graph.corpus.io import empty_corpus, iter_lines
from hilgen_graph.corpus.records import Corpus, Document, Entity, Sentence, Token
from hilgen_graph.corpus.report import IssueKind, LoadReport, LoadResult
from hilgen_graph.errors import CorpusFormatError
from hilgen_graph.textio import control_characters

DOCSTART = "-DOCSTART-"
TAG_PREFIXES = ("B-", "I-")


def corpus_name(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".tsv", ".txt", ".conll", ".iob", ".bio", ".jsonl"):
        name = name.removesuffix(suffix)
    return name


@dataclass
class _Pending:
    first_line: int
    rows: list[tuple[int, str, str]] = field(default_factory=list)  # (line, token, tag)


def sentence_from_tagged(
    sid: str,
    doc_id: str,
    words: list[str],
    tags: list[str],
    *,
    collapse_to: str | None = None,
) -> tuple[Sentence, list[str]]:
    """Build a sentence (text = words joined by spaces) from IOB2 tags; return notes too.

    Tags must already be checked for shape (``O`` or ``B-``/``I-`` + label).
    """
    tokens: list[Token] = []
    pos = 0
    for w in words:
        tokens.append(Token(w, pos, pos + len(w)))
        pos += len(w) + 1
    text = " ".join(words)
    notes: list[str] = []
    spans: list[tuple[int, int, str]] = []  # token start, token end (exclusive), label
    for i, tag in enumerate(tags):
        if tag == "O":
            continue
        prefix, label = tag[:2], tag[2:]
        if prefix == "I-" and spans and spans[-1][1] == i and spans[-1][2] == label:
            spans[-1] = (spans[-1][0], i + 1, label)
            continue
        if prefix == "I-":
            notes.append(f"token {i} {words[i]!r}: {tag} does not continue a {label} entity")
        spans.append((i, i + 1, label))
    entities = tuple(
        Entity(
            start=tokens[a].start,
            end=tokens[b - 1].end,
            text=text[tokens[a].start : tokens[b - 1].end],
            label=collapse_to or label,
            token_start=a,
            token_end=b,
        )
        for a, b, label in spans
    )
    return Sentence(sid, doc_id, text, tuple(tokens), entities), notes


class _Reader:
    def __init__(self, path: Path, collapse_to: str | None, lenient: bool) -> None:
        self.path = path
        self.name = corpus_name(path)
        self.collapse_to = collapse_to
        self.lenient = lenient
        self.report = LoadReport(path=str(path), format="conll")
        self.documents: list[Document] = []
        self.doc_sentences: list[Sentence] = []
        self.n_sentences = 0
        self.doc_index = 0
        self.layout: tuple[str | None, int] | None = None

    def flush_doc(self) -> None:
        if not self.doc_sentences:
            return
        self.documents.append(document_of(f"{self.name}-doc{self.doc_index}", self.doc_sentences))
        self.doc_index += 1
        self.doc_sentences = []

    def bad(self, pending: _Pending, line: int, text: str, message: str, fix: str) -> None:
        if not self.lenient:
            raise CorpusFormatError(message, path=str(self.path), line=line, text=text, fix=fix)
        last = pending.rows[-1][0] if pending.rows else line
        self.report.add(
            IssueKind.SKIPPED_RECORD,
            line=line,
            record=f"sentence at lines {pending.first_line}-{max(last, line)}",
            text=text,
            reason=f"{message}; the whole sentence was skipped",
        )

    def flush_sentence(self, pending: _Pending | None) -> None:
        if pending is None or not pending.rows:
            return
        words = [r[1] for r in pending.rows]
        tags = [r[2] for r in pending.rows]
        sid = f"{self.name}:{self.n_sentences}"
        self.n_sentences += 1
        sent, notes = sentence_from_tagged(
            sid, f"{self.name}-doc{self.doc_index}", words, tags, collapse_to=self.collapse_to
        )
        for note in notes:
            self.report.add(
                IssueKind.NOTE,
                line=pending.first_line,
                record=sid,
                text=" ".join(words)[:120],
                reason=note + "; read as the start of an entity (IOB1 style)",
            )
        self.report.entities_read += len(sent.entities)
        self.report.entities_in_sentences += len(sent.entities)
        self.doc_sentences.append(sent)

    def layout_of(self, line: str) -> tuple[str | None, int]:
        """The file's column separator (tab, or None for runs of spaces) and column count,
        fixed by its first token line."""
        if self.layout is None:
            sep = "\t" if "\t" in line else None
            self.layout = (sep, len(line.split(sep)))
        return self.layout

    def check_row(self, cols: list[str], line: str) -> tuple[str, str] | None:
        """The problem of a token line as (message, fix), or None when it is well formed."""
        sep, width = self.layout_of(line)
        where = "tab" if sep else "space"
        if len(cols) < 2 or not cols[0]:
            return (
                f"expected 'token<TAB>tag', found {len(cols)} column(s)",
                "give every token line a token and an IOB2 tag (O, B-Type, I-Type), "
                "separated by a tab or spaces; end sentences with a blank line",
            )
        if len(cols) != width:
            return (
                f"{len(cols)} {where}-separated columns where the file's first token line has "
                f"{width}; a stray {where} splits a token or tag in two",
                f"give every token line the same {width} columns (token first, tag last)",
            )
        token, tag = cols[0], cols[-1]
        bad = control_characters(token)
        if bad or any(c.isspace() for c in token):
            return (
                f"token {token!r} holds whitespace or control characters",
                "a token is one word without spaces, tabs or control characters",
            )
        if tag != "O" and (tag[:2] not in TAG_PREFIXES or len(tag) < 3):
            return (
                f"tag {tag!r} is not IOB2; allowed tags are 'O' and 'B-<type>'/'I-<type>'",
                "convert the tags to IOB2 (IOBES E-/S- tags become I-/B-)",
            )
        if control_characters(tag) or any(c.isspace() for c in tag):
            return (
                f"tag {tag!r} holds whitespace or control characters; a type is one word",
                "write one tag per token line, e.g. B-Disease, without spaces",
            )
        return None

    def read(self) -> LoadResult:
        pending: _Pending | None = None
        skipping = False
        for lineno, line in iter_lines(self.path):
            if not line.strip():
                if not skipping:
                    self.flush_sentence(pending)
                pending, skipping = None, False
                continue
            if line.split(None, 1)[0] == DOCSTART:
                if not skipping:
                    self.flush_sentence(pending)
                pending, skipping = None, False
                self.flush_doc()
                continue
            if pending is None:
                pending = _Pending(first_line=lineno)
            if skipping:
                continue
            sep = self.layout_of(line)[0]
            cols = line.split(sep)
            if sep is not None:
                cols = [c.strip(" ") for c in cols]
            problem = self.check_row(cols, line)
            if problem is not None:
                self.bad(pending, lineno, line[:120], *problem)
                skipping = True
                continue
            pending.rows.append((lineno, cols[0], cols[-1]))
        if not skipping:
            self.flush_sentence(pending)
        self.flush_doc()
        if not self.documents and not self.report.skipped:
            raise empty_corpus(self.path, "no sentences")
        return LoadResult(Corpus(name=self.name, documents=tuple(self.documents)), self.report)


def document_of(doc_id: str, sentences: list[Sentence]) -> Document:
    """A document whose text is its sentences joined by newlines (entities shifted to match)."""
    offset = 0
    entities: list[Entity] = []
    fixed: list[Sentence] = []
    for sent in sentences:
        s = sent if sent.doc_id == doc_id else _with_doc(sent, doc_id)
        fixed.append(s)
        for e in s.entities:
            entities.append(
                Entity(e.start + offset, e.end + offset, e.text, e.label, e.concept_ids)
            )
        offset += len(s.text) + 1
    text = "\n".join(s.text for s in fixed)
    return Document(id=doc_id, text=text, entities=tuple(entities), sentences=tuple(fixed))


def _with_doc(sent: Sentence, doc_id: str) -> Sentence:
    return Sentence(sent.id, doc_id, sent.text, sent.tokens, sent.entities)


def read_conll(
    path: str | Path, *, collapse_to: str | None = None, lenient: bool = False
) -> LoadResult:
    """Read a CoNLL/IOB file (tab or space separated, plain or gzip) and a report.

    ``lenient`` skips a sentence with a malformed line instead of raising ``CorpusFormatError``;
    the report lists each skipped sentence with its lines and the reason.
    """
    return _Reader(Path(path), collapse_to, lenient).read()


def write_conll(
    sentences: Iterable[Sentence] | Corpus, path: str | Path, *, docstart: bool = False
) -> int:
    """Write ``token<TAB>tag`` lines, a blank line after each sentence; return the count.

    With ``docstart`` a ``-DOCSTART-`` line precedes each document. Written atomically.
    """
    if isinstance(sentences, Corpus):
        items = [(d.id, s) for d in sentences.documents for s in d.sentences]
    else:
        items = [(s.doc_id, s) for s in sentences]
    n = 0
    with atomic_writer(path) as fh:
        last_doc: str | None = None
        for doc_id, sent in items:
            if docstart and doc_id != last_doc:
                fh.write(f"{DOCSTART}\tO\n\n")
                last_doc = doc_id
            for word, tag in zip(sent.words, sent.tags, strict=True):
                fh.write(f"{word}\t{tag}\n")
            fh.write("\n")
            n += 1
    return n
