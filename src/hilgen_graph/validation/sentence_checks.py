"""Sentence-level checks a small model's output needs, used by the funnel for LLM-arm candidates.

Pure functions of the text (and the seed), each returning ``""`` when the sentence is fine or a
short reason when it is not:

- :func:`sentence_problem` (stage ``sentence``): exactly one sentence, ending with terminal
  punctuation, no line breaks, no leftover ``[[``/``]]`` markup;
- :func:`leak_problem` (stage ``echo``): wording of the task leaking into the sentence anywhere
  ("rewritten", "instead of 'X'", "the seed sentence", "Sentence 2:", quoted concept names);
- :func:`boundary_problem` (stage ``boundary``): every mention starts and ends on word
  boundaries ("Cyst" placed inside "Cysts" is not a mention of Cyst);
- :func:`invented_specifics` (stage ``invented``): numbers, years, percentages and person names
  that the seed does not contain (whether they reject is :attr:`SentenceChecks.reject_invented`;
  they are counted either way);
- :func:`sentence_kind`: whether an accepted sentence is a ``rewrite`` of the seed, a
  ``new_context`` for the concept, or the pure ``substitution`` the KG arm would make (which is
  KG-arm data, not LLM data: stage ``substitution``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from hilgen_graph.corpus.alignment import AlignedSpan, AlignmentIssue
from hilgen_graph.corpus.tokenize import tokenize
from hilgen_graph.graph.normalize import normalize

#: Instruction wording small models were seen to echo as their "sentence" (an earlier plan
#: wording, kept so the funnel still catches it in old outputs).
ECHO_PHRASES = ("the seed sentence rewritten with",)
#: The plan's own wording ("use X instead of Y"), matched as a regular expression.
ECHO_PATTERNS = (r"^\W*use\b.{1,120}\binstead of\b",)

#: Abbreviations that end with a full stop inside a sentence.
ABBREVIATIONS = frozenset(
    {
        "al",
        "e.g",
        "i.e",
        "vs",
        "cf",
        "etc",
        "fig",
        "figs",
        "no",
        "approx",
        "ca",
        "resp",
        "ref",
        "refs",
        "sp",
        "spp",
        "st",
        "dr",
        "drs",
        "prof",
        "mr",
        "mrs",
        "ms",
    }
)
TERMINAL = ".!?"
_CLOSERS = "\"')]}\u201d\u2019"
#: Task wording that is never part of a sentence from an abstract, matched anywhere.
LEAK_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"\bseed\s+(?:sentence|mention|concept)s?\b", "names the seed sentence"),
    (r"\bre-?writ(?:e|es|ten|ing)\b", "talks about rewriting"),
    (r"\bin\s+place\s+of\b", "says 'in place of'"),
    (r"\binstead\s+of\s+['\"\u201c\u2018]", "says 'instead of' a quoted name"),
    (r"\breplac(?:e|ed|es|ing)\s+(?:with|by)\s+['\"\u201c\u2018]", "says 'replaced with' a name"),
    (
        r"\bthe\s+(?:concept|term|word|name|mention|entity)\s+(?:of\s+)?['\"\u201c\u2018]",
        "talks about a term in quotes",
    ),
    (r"\b(?:sentence|rewrite|example|answer)\s*#?\d+\s*[:.)]", "numbers its sentences"),
    (r"^\s*(?:here\s+(?:is|are)|sure\b|certainly\b)", "talks to the reader"),
    (r"\bnew\s+sentences?\b", "talks about new sentences"),
    (r"\bPubMed\b", "names PubMed"),
    (r"\b[PNX]\s*=\s*[A-Z]", "assigns a name to a variable"),
)
_NUMBER = re.compile(r"(?<![\w.])(\d+(?:[.,]\d+)*)(\s*%|\s*percent\b)?")
_YEAR = re.compile(r"^(1[89]\d\d|20\d\d)$")
_TITLE_NAME = re.compile(
    r"\b(?:Dr|Prof|Professor|Mr|Mrs|Ms|Drs)\.?\s+[A-Z][a-z]+(?:\s+[A-Z][a-z.]+)?"
)
_ET_AL = re.compile(r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?\s+et\s+al\b\.?")
_COLLEAGUES = re.compile(r"\b[A-Z][a-z]+\s+and\s+(?:colleagues|coworkers|co-workers)\b")
MAX_CHARS = 400  # longer than this is not one sentence of an abstract
#: Words left out of the overlap of a sentence with its seed.
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "by",
        "can",
        "for",
        "from",
        "had",
        "has",
        "have",
        "in",
        "is",
        "it",
        "its",
        "may",
        "of",
        "on",
        "or",
        "that",
        "the",
        "their",
        "these",
        "this",
        "those",
        "to",
        "was",
        "were",
        "which",
        "with",
    ]
)
#: Share of content words shared with the seed from which a sentence counts as a rewrite of it.
REWRITE_OVERLAP = 0.5


@dataclass(frozen=True, slots=True)
class SentenceChecks:
    """How the sentence checks are applied (part of the funnel's configuration)."""

    reject_invented: bool = True  # False: invented specifics are only counted (flag)
    max_chars: int = MAX_CHARS


def _ends_sentence(text: str, i: int) -> bool:
    """Whether the terminal mark at ``text[i]`` ends a sentence (not an abbreviation, initial,
    decimal point or ellipsis inside a sentence)."""
    ch = text[i]
    if ch in "!?":
        return True
    before = text[:i]
    word = re.search(r"([A-Za-z.]+)$", before)
    if word:
        w = word.group(1).lower().rstrip(".")
        if w in ABBREVIATIONS or (len(w) == 1 and w.isalpha()):
            return False
    if i + 1 < len(text) and text[i + 1].isdigit():
        return False
    return not (i + 1 < len(text) and text[i + 1] == ".")


def seed_char_limit(seed_text: str, floor: int = MAX_CHARS) -> int:
    """The longest one sentence may be when it rewrites ``seed_text``: ``floor``, or half as
    long again as the seed when that is more (the one rule of the funnel and the reply bound)."""
    return max(floor, len(seed_text.strip()) * 3 // 2)


def sentence_problem(text: str, max_chars: int = MAX_CHARS, seed_text: str = "") -> str:
    """Why ``text`` is not exactly one sentence ending with terminal punctuation, or ``""``.

    Measured against the seed sentence's own form when one is given: a rewrite of a long seed
    may be half as long again as the seed, and a seed that the corpus's sentence splitter left
    without terminal punctuation (a title, a cut sentence) may be rewritten without it."""
    t = text.strip()
    seed = seed_text.strip()
    max_chars = seed_char_limit(seed, max_chars)
    if not t:
        return "empty text"
    if "\n" in t or "\r" in t:
        return "more than one line"
    if "[[" in t or "]]" in t:
        return "leftover [[ ]] markup"
    if len(t) > max_chars:
        return f"{len(t)} characters is longer than one sentence (at most {max_chars})"
    end = t.rstrip(_CLOSERS)
    seed_end = seed.rstrip(_CLOSERS)
    unpunctuated_seed = bool(seed_end) and seed_end[-1] not in TERMINAL
    if not end or (end[-1] not in TERMINAL and not unpunctuated_seed):
        return "does not end with terminal punctuation (. ! ?)"
    if end[-1] not in TERMINAL:  # as its seed: no final punctuation to strip below
        end += "."
    if end.endswith("...") or end.endswith("\u2026"):
        return "ends with an ellipsis"
    body = end[:-1]
    for m in re.finditer(r"[.!?]+(?=[\s" + re.escape(_CLOSERS) + r"]+[A-Z0-9(\[])", body):
        if _ends_sentence(body, m.start()):
            return f"more than one sentence (a sentence ends at character {m.start()})"
    return ""


def leak_problem(text: str) -> str:
    """The task wording found anywhere in ``text`` (``""`` when none)."""
    for pattern, why in LEAK_PATTERNS:
        m = re.search(pattern, text, flags=re.IGNORECASE)
        if m:
            return f"{why} ({m.group(0).strip()[:60]!r})"
    return ""


def word_stems(name: str) -> tuple[str, ...]:
    """Lower-cased words with a plural ending dropped ("foot deformities" ~ "foot deformity")."""
    out = []
    for w in normalize(name).split():
        if len(w) > 4 and w.endswith("ies"):
            w = w[:-3] + "y"
        elif len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
            w = w[:-1]
        if len(w) > 3 and w.endswith("e"):
            w = w[:-1]
        out.append(w)
    return tuple(out)


def number_variants(name: str) -> set[str]:
    """``name`` with its last word in singular and plural form ("melanoma", "melanomas")."""
    out = {name}
    if name.endswith("ies"):
        out.add(name[:-3] + "y")
    elif name.endswith("y") and not name.endswith(("ay", "ey", "oy")):
        out.add(name[:-1] + "ies")
    elif name.endswith(("s", "x", "ch", "sh")):
        if name.endswith("s") and not name.endswith("ss"):
            out.add(name[:-1])
        out.add(name + "es")
    else:
        out.add(name + "s")
    return out


def allowed_repeats(seed_mentions: Iterable[str], seed_text: str = "") -> int:
    """How often one mention may recur in a sentence: as often as the seed sentence writes one
    of its gold mentions (in any number: "melanoma ... 28 melanomas" allows two)."""
    groups: dict[tuple[str, ...], set[str]] = {}
    for m in seed_mentions:
        groups.setdefault(word_stems(m), set()).update(number_variants(m))
    best = 1
    for forms in groups.values():
        spots: set[int] = set()
        for f in forms:
            rx = r"(?<!\w)" + re.escape(f) + r"(?!\w)"
            spots.update(m.start() for m in re.finditer(rx, seed_text, flags=re.IGNORECASE))
        best = max(best, len(spots), 1 if seed_text else len(forms) // 2)
    return best


def example_leak(
    text: str, seed_text: str, example_terms: Iterable[str], mentions: Iterable[str] = ()
) -> str:
    """A term of the prompt's worked example ("BRCA1", "young women") written in the sentence
    although neither the seed nor the sentence's own mentions contain it: the model copied the
    example instead of rewriting the seed."""
    own = " ".join([seed_text, *mentions])
    for term in example_terms:
        rx = r"(?<!\w)" + re.escape(term) + r"(?!\w)"
        if re.search(rx, text, flags=re.IGNORECASE) and not re.search(rx, own, flags=re.I):
            return f"copies the worked example ({term!r})"
    return ""


def boundary_problem(
    text: str,
    spans: Sequence[AlignedSpan],
    issues: Iterable[AlignmentIssue] = (),
    max_repeats: int = 1,
) -> str:
    """A mention that starts or ends inside a word, or the same mention written twice ("X can
    be caused by X"); ``""`` when every mention is word-bounded and written once."""
    for i in issues:
        if i.kind in ("partial_token", "inside_word"):
            return f"mention {i.mention!r} is inside a word ({i.detail})"
    seen: dict[tuple[str, ...], int] = {}
    for s in spans:
        key = word_stems(s.text)
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > max_repeats:
            return f"mentions {s.text!r} {seen[key]} times (a circular sentence)"
        left = text[s.start - 1] if s.start > 0 else " "
        right = text[s.end] if s.end < len(text) else " "
        if left.isalnum() or right.isalnum():
            return f"mention {s.text!r} at {s.start}:{s.end} is inside a word"
    return ""


def _numbers(text: str) -> list[str]:
    out = []
    for m in _NUMBER.finditer(text):
        out.append(m.group(1) + ("%" if m.group(2) else ""))
    return out


def person_names(text: str) -> list[str]:
    """Person names by their usual cues: a title ("Dr. Smith"), "Smith et al.",
    "Smith and colleagues"."""
    out: list[str] = []
    for rx in (_TITLE_NAME, _ET_AL, _COLLEAGUES):
        out += [m.group(0).strip() for m in rx.finditer(text)]
    return out


def invented_specifics(
    text: str, seed_text: str, spans: Sequence[AlignedSpan] = (), names: Iterable[str] = ()
) -> list[str]:
    """Numbers, years, percentages and person names in ``text`` that the seed sentence does not
    contain. Digits inside a mention or inside one of ``names`` (the concept names the sentence
    was asked to use: "type 2 diabetes", "BRCA1") are not specifics."""
    masked = list(text)
    for s in spans:
        for i in range(s.start, min(s.end, len(masked))):
            masked[i] = " "
    plain = "".join(masked)
    for n in names:
        if n:
            plain = re.sub(re.escape(n), lambda m: " " * len(m.group(0)), plain, flags=re.I)
    seed_numbers = set(_numbers(seed_text))
    seed_words = set(re.findall(r"\w+", seed_text))
    found: list[str] = []
    for num in _numbers(plain):
        # a digit glued to letters is a name part ("BRCA1", "IL-6"): _NUMBER needs no \w before
        if num in seed_numbers or num.rstrip("%") in seed_numbers:
            continue
        kind = "percentage" if num.endswith("%") else ("year" if _YEAR.match(num) else "number")
        found.append(f"{kind} {num}")
    for name in person_names(plain):
        if not all(w in seed_words for w in re.findall(r"[A-Z][a-z]+", name)):
            found.append(f"person {name}")
    return found


def substitution_text(seed_text: str, start: int, end: int, name: str) -> str:
    """The seed with the mention at ``start:end`` replaced by ``name`` (the KG arm's sentence)."""
    return seed_text[:start] + name + seed_text[end:]


def _words(text: str) -> list[str]:
    return [t.text.lower() for t in tokenize(text) if t.text[:1].isalnum()]


def overlap(text: str, reference: str, mentions: Iterable[str] = ()) -> float:
    """The share of ``text``'s content words (stopwords and the words of ``mentions`` left out)
    that also occur in ``reference`` (0..1; 0 when ``text`` has no content word)."""
    skip = set(STOPWORDS)
    for m in mentions:
        skip.update(_words(m))
    words = [w for w in _words(text) if w not in skip]
    if not words:
        return 0.0
    ref = set(_words(reference))
    return sum(1 for w in words if w in ref) / len(words)


def sentence_kind(
    text: str, seed_text: str, substitution: str = "", mentions: Iterable[str] = ()
) -> str:
    """``substitution`` (equal to the KG arm's substitution), ``rewrite`` (at least
    :data:`REWRITE_OVERLAP` of its content words, mentions aside, occur in the seed) or
    ``new_context``."""
    if substitution and normalize(text) == normalize(substitution):
        return "substitution"
    return "rewrite" if overlap(text, seed_text, mentions) >= REWRITE_OVERLAP else "new_context"
