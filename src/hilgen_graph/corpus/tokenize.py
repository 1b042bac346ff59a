"""Tokenisation and sentence splitting with character offsets.

The tokeniser is the one the published BC5CDR and NCBI-disease IOB files use: a token is a run of
word characters (letters, digits, underscore) or a single other non-space character, so
``Parkinson's`` becomes ``Parkinson ' s`` and ``[3H]-naloxone`` becomes ``[ 3H ] - naloxone``.
Other parts (knowledge-graph substitution, LLM alignment) call :func:`tokenize` so synthetic
sentences are tokenised exactly like the corpus.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable

from hilgen_graph.corpus.records import Token

TOKEN_PATTERN = re.compile(r"\w+|[^\w\s]")

# A sentence may end after one of these, followed by optional closing quotes or brackets.
_SENTENCE_END = re.compile(r"[.!?]+[\"')\]]*(?=\s)")
# Words that end in a full stop without ending the sentence (compared lower-cased, no dot).
ABBREVIATIONS = frozenset(
    {
        "al",
        "approx",
        "ca",
        "cf",
        "dr",
        "e.g",
        "eg",
        "etc",
        "fig",
        "figs",
        "i.e",
        "ie",
        "inc",
        "mr",
        "mrs",
        "ms",
        "no",
        "nos",
        "prof",
        "ref",
        "resp",
        "sp",
        "spp",
        "st",
        "viz",
        "vs",
    }
)
_WORD_BEFORE = re.compile(r"(\S+)$")
_NEXT_CHAR = re.compile(r"\s*(\S)")
_NUMBER = re.compile(r"[\d.]+")


def tokenize(text: str, offset: int = 0) -> list[Token]:
    """Split ``text`` into tokens with 0-based, end-exclusive offsets (plus ``offset``)."""
    return [
        Token(m.group(), m.start() + offset, m.end() + offset) for m in TOKEN_PATTERN.finditer(text)
    ]


def _is_break(text: str, end: int, stop: int) -> bool:
    """Whether a sentence may end at ``end`` (just after the terminal punctuation)."""
    nm = _NEXT_CHAR.match(text, end, stop)
    if nm is None:
        return True
    nxt = nm.group(1)
    if not (nxt.isupper() or nxt.isdigit() or nxt in "([\"'"):
        return False
    m = _WORD_BEFORE.search(text, max(0, end - 40), end)
    word = m.group(1) if m else ""
    if not word.endswith("."):
        return True  # '!' or '?' or a closing bracket after the stop
    stem = word.rstrip(".").lstrip("(['\"").lower()
    if nxt.isdigit() and _NUMBER.fullmatch(stem):
        return False  # "EC 1. 1. 1. 49", "p. 5. 3"
    if stem in ABBREVIATIONS:
        return False
    # An initial ("J. Smith") or a lone letter ("type I. The" is rare; "A. fumigatus" common).
    return not (len(stem) == 1 and stem.isalpha())


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` inside ``text[start:end]``, trimmed of whitespace.

    Rule based: a sentence ends at ``.``, ``!`` or ``?`` (with optional closing quotes/brackets)
    followed by whitespace and an upper-case letter, digit or opening bracket, unless the word
    before is a known abbreviation or a single-letter initial.
    """
    stop = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    cur = start
    for m in _SENTENCE_END.finditer(text, start, stop):
        if _is_break(text, m.end(), stop):
            spans.append((cur, m.end()))
            cur = m.end()
    spans.append((cur, stop))
    return [s for s in (_trim(text, a, b) for a, b in spans) if s is not None]


def _trim(text: str, a: int, b: int) -> tuple[int, int] | None:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return (a, b) if a < b else None


def split_tokens_at(tokens: Iterable[Token], cuts: Iterable[int]) -> list[Token]:
    """Split tokens at the given character offsets (entity boundaries) that fall inside them."""
    cut_set = sorted(set(cuts))
    out: list[Token] = []
    for tok in tokens:
        lo = bisect.bisect_right(cut_set, tok.start)
        hi = bisect.bisect_left(cut_set, tok.end)
        inner = cut_set[lo:hi]
        if not inner:
            out.append(tok)
            continue
        bounds = [tok.start, *inner, tok.end]
        for a, b in zip(bounds, bounds[1:], strict=False):
            out.append(Token(tok.text[a - tok.start : b - tok.start], a, b))
    return out
