"""Corpus records, readers/writers (CoNLL-IOB, PubTator), tokenisation and k-shot sampling."""

from hilgen_graph.corpus.records import Corpus, Document, Entity, Sentence, Token

__all__ = ["Corpus", "Document", "Entity", "Sentence", "Token"]
