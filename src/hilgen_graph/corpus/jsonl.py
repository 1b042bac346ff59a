"""JSONL writer and reader: one sentence per line with tokens, offsets, IOB2 tags and entities.

Each line: ``{"id", "doc_id", "text", "tokens": [str], "offsets": [[start, end]], "tags": [str],
"entities": [{"start", "end", "text", "label", "concept_ids", "token_start", "token_end"}]}``.
Offsets are relative to ``text``. Reading groups consecutive lines by ``doc_id`` into documents.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from hilgen_graph.atomic import atomic_writer
from hilgen_graph.corpus.conll import corpus_name, document_of
from hilgen_graph.corpus.io import empty_corpus, iter_lines
from hilgen_graph.corpus.records import Corpus, Document, Entity, Sentence, Token
from hilgen_graph.corpus.report import IssueKind, LoadReport, LoadResult
from hilgen_graph.errors import CorpusFormatError
from hilgen_graph.textio import control_characters


def sentence_to_json(sent: Sentence) -> dict[str, Any]:
    return {
        "id": sent.id,
        "doc_id": sent.doc_id,
        "text": sent.text,
        "tokens": sent.words,
        "offsets": [[t.start, t.end] for t in sent.tokens],
        "tags": sent.tags,
        "entities": [
            {
                "start": e.start,
                "end": e.end,
                "text": e.text,
                "label": e.label,
                "concept_ids": list(e.concept_ids),
                "token_start": e.token_start,
                "token_end": e.token_end,
            }
            for e in sent.entities
        ],
    }


def sentence_from_json(obj: Any) -> Sentence:
    """Rebuild a sentence; raises ``ValueError``/``KeyError``/``TypeError`` on a bad record."""
    if not isinstance(obj, dict):
        raise TypeError("a JSON object is expected")
    text = str(obj["text"])
    words = [str(w) for w in obj["tokens"]]
    offsets = obj["offsets"]
    if len(offsets) != len(words):
        raise ValueError(f"{len(words)} tokens but {len(offsets)} offsets")
    tokens = []
    for w, (a, b) in zip(words, offsets, strict=True):
        if not w or control_characters(w) or any(c.isspace() for c in w):
            raise ValueError(f"token {w!r} is empty or holds whitespace or control characters")
        if text[int(a) : int(b)] != w:
            raise ValueError(f"token {w!r} does not match the text at [{a}:{b}]")
        tokens.append(Token(w, int(a), int(b)))
    entities = []
    for e in obj.get("entities", []):
        ent = Entity(
            start=int(e["start"]),
            end=int(e["end"]),
            text=str(e["text"]),
            label=str(e["label"]),
            concept_ids=tuple(str(c) for c in e.get("concept_ids", [])),
            token_start=int(e["token_start"]),
            token_end=int(e["token_end"]),
        )
        if text[ent.start : ent.end] != ent.text:
            raise ValueError(f"entity {ent.text!r} does not match the text at its offsets")
        if not ent.label or control_characters(ent.label) or any(c.isspace() for c in ent.label):
            raise ValueError(f"entity label {ent.label!r} is empty or holds whitespace")
        if not 0 <= ent.token_start < ent.token_end <= len(tokens):
            raise ValueError(f"entity {ent.text!r} has token span outside the sentence")
        entities.append(ent)
    return Sentence(str(obj["id"]), str(obj["doc_id"]), text, tuple(tokens), tuple(entities))


def write_jsonl(sentences: Iterable[Sentence] | Corpus, path: str | Path) -> int:
    """Write one JSON object per sentence, atomically; return how many were written."""
    items = sentences.sentences if isinstance(sentences, Corpus) else sentences
    n = 0
    with atomic_writer(path) as fh:
        for sent in items:
            fh.write(json.dumps(sentence_to_json(sent), ensure_ascii=False) + "\n")
            n += 1
    return n


def read_jsonl(
    path: str | Path, *, collapse_to: str | None = None, lenient: bool = False
) -> LoadResult:
    """Read sentences written by :func:`write_jsonl` back into a corpus, with a report."""
    p = Path(path)
    report = LoadReport(path=str(p), format="jsonl")
    docs: list[Document] = []
    current: list[Sentence] = []
    for lineno, line in iter_lines(p):
        if not line.strip():
            continue
        try:
            sent = sentence_from_json(json.loads(line))
        except (ValueError, KeyError, TypeError) as err:
            if not lenient:
                raise CorpusFormatError(
                    f"not a sentence record: {err}",
                    path=str(p),
                    line=lineno,
                    text=line[:120],
                    fix="each line must be a JSON object as written by `hilgen corpus convert "
                    "--to jsonl` (id, doc_id, text, tokens, offsets, tags, entities)",
                ) from err
            report.add(
                IssueKind.SKIPPED_RECORD,
                line=lineno,
                record=line[:40],
                text=line[:120],
                reason=f"not a sentence record: {err}",
            )
            continue
        if collapse_to:
            sent = Sentence(
                sent.id,
                sent.doc_id,
                sent.text,
                sent.tokens,
                tuple(
                    Entity(
                        e.start,
                        e.end,
                        e.text,
                        collapse_to,
                        e.concept_ids,
                        e.token_start,
                        e.token_end,
                    )
                    for e in sent.entities
                ),
            )
        if current and current[-1].doc_id != sent.doc_id:
            docs.append(document_of(current[-1].doc_id, current))
            current = []
        current.append(sent)
        report.entities_read += len(sent.entities)
        report.entities_in_sentences += len(sent.entities)
    if current:
        docs.append(document_of(current[-1].doc_id, current))
    if not docs and not report.skipped:
        raise empty_corpus(p, "no sentence records")
    return LoadResult(Corpus(name=corpus_name(p), documents=tuple(docs)), report)
