"""Corpus records, readers/writers (CoNLL-IOB, PubTator, JSONL), tokenisation, k-shot sampling."""

from hilgen_graph.corpus.conll import read_conll, write_conll
from hilgen_graph.corpus.jsonl import read_jsonl, write_jsonl
from hilgen_graph.corpus.kshot import (
    KShotSample,
    draw_sample,
    load_sample,
    sample_corpus,
    save_sample,
)
from hilgen_graph.corpus.load import detect_format, load_corpus, read_corpus
from hilgen_graph.corpus.pubtator import parse_concept_ids, read_pubtator
from hilgen_graph.corpus.records import Corpus, Document, Entity, Sentence, Token
from hilgen_graph.corpus.report import Issue, IssueKind, LoadReport, LoadResult
from hilgen_graph.corpus.sampling import sample_kshot, select
from hilgen_graph.corpus.segment import document_sentences
from hilgen_graph.corpus.stats import CorpusStats, corpus_stats
from hilgen_graph.corpus.tokenize import split_sentences, tokenize

__all__ = [
    "Corpus",
    "CorpusStats",
    "Document",
    "Entity",
    "Issue",
    "IssueKind",
    "KShotSample",
    "LoadReport",
    "LoadResult",
    "Sentence",
    "Token",
    "corpus_stats",
    "detect_format",
    "draw_sample",
    "document_sentences",
    "load_corpus",
    "load_sample",
    "parse_concept_ids",
    "read_conll",
    "read_corpus",
    "read_jsonl",
    "read_pubtator",
    "sample_corpus",
    "sample_kshot",
    "save_sample",
    "select",
    "split_sentences",
    "tokenize",
    "write_conll",
    "write_jsonl",
]
