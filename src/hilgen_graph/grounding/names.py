"""Clean display names for related concepts, so they read naturally inside a sentence.

Knowledge-source names carry bookkeeping that never occurs in running text: ``, NOS``,
SNOMED CT semantic tags such as ``(disorder)``, bracketed notes, and MeSH's inverted headings
(``Hypertension, Malignant``). :func:`display_name` picks, for one concept, the name a writer would
use: the natural (uninverted) entry term when the concept has one, else a cleaned form.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from hilgen_graph.graph.normalize import normalize

# Trailing qualifiers that knowledge sources append to names.
NOS_SUFFIX = re.compile(r"(?:,\s*|\s+)(?:NOS|not otherwise specified|NEC|unspecified)\s*$", re.I)
SEMANTIC_TAG_SUFFIX = re.compile(
    r"\s*\((?:disorder|finding|disease|morphologic abnormality|situation|procedure|substance|"
    r"product|organism|body structure|qualifier value|observable entity|clinical drug|"
    r"medicinal product|physical object|event|navigational concept|attribute|"
    r"regime/therapy|cell|cell structure)\)\s*$",
    re.I,
)
BRACKET_NOTE_SUFFIX = re.compile(r"\s*\[[^\]]*\]\s*$")
# An inverted heading: "Head, Modifier words" (exactly one comma followed by a space).
INVERTED = re.compile(r"^(?P<head>[^,]+),\s+(?P<mod>[^,]+)$")
# Parts of a heading that may be swapped mechanically: words, digits, spaces, hyphens, apostrophes.
_PLAIN_PART = re.compile(r"^[\w\s'\-]+$")
_TITLE_WORD = re.compile(r"^[A-Z][a-z]+$")
_WORD_SPLIT = re.compile(r"(\s+|-)")


def strip_qualifiers(name: str) -> str:
    """Drop ``, NOS``, SNOMED CT semantic tags like ``(disorder)`` and trailing ``[...]`` notes."""
    prev = None
    out = name.strip()
    while prev != out:
        prev = out
        out = NOS_SUFFIX.sub("", out)
        out = SEMANTIC_TAG_SUFFIX.sub("", out)
        out = BRACKET_NOTE_SUFFIX.sub("", out)
        out = out.strip().rstrip(",;").strip()
    return out


def is_inverted(name: str) -> bool:
    """Whether ``name`` looks like an inverted heading (``Hypertension, Malignant``)."""
    m = INVERTED.match(name)
    if m is None:
        return False
    return bool(_PLAIN_PART.match(m["head"])) and bool(_PLAIN_PART.match(m["mod"]))


def uninvert(name: str) -> str:
    """``Hypertension, Malignant`` -> ``Malignant Hypertension``; other names unchanged."""
    m = INVERTED.match(name)
    if m is None or not is_inverted(name):
        return name
    return f"{m['mod'].strip()} {m['head'].strip()}"


def sentence_case(name: str) -> str:
    """Lower-case the title-case words of a heading (``Malignant Hypertension`` ->
    ``malignant hypertension``); words with other capitals or digits (``HIV``, ``BRCA1``,
    ``IgA``) keep theirs. Eponyms are lower-cased too (``alzheimer disease``): the corpus
    tokeniser and uncased encoders do not depend on it, and no source marks eponyms."""
    parts = _WORD_SPLIT.split(name)
    return "".join(p.lower() if _TITLE_WORD.match(p) else p for p in parts)


def _token_key(name: str) -> tuple[str, ...]:
    return tuple(sorted(normalize(name).split()))


@dataclass(frozen=True, slots=True)
class NameOptions:
    """How display names are made. ``clean=False`` keeps source names verbatim (paper code)."""

    clean: bool = True
    lower_case: bool = True
    uninvert_fallback: bool = True


def clean_name(name: str, options: NameOptions = NameOptions()) -> str:
    """One name cleaned on its own (no other terms of the concept to consult)."""
    if not options.clean:
        return name.strip()
    out = strip_qualifiers(name)
    if options.uninvert_fallback and is_inverted(out):
        out = uninvert(out)
    if options.lower_case:
        out = sentence_case(out)
    return out


def display_name(
    preferred: str, terms: Sequence[str] = (), options: NameOptions = NameOptions()
) -> str:
    """The name to substitute for a concept whose preferred name is ``preferred``.

    When the preferred name is inverted and one of the concept's ``terms`` is the natural form
    (same words, no comma: ``Malignant Hypertension``), that term is used; otherwise the inverted
    name is swapped mechanically for simple two-part headings, then cleaned.
    """
    if not options.clean:
        return preferred.strip()
    base = strip_qualifiers(preferred)
    if is_inverted(base):
        key = _token_key(base)
        for term in terms:
            cand = strip_qualifiers(term)
            if "," not in cand and cand and _token_key(cand) == key:
                base = cand
                break
    return clean_name(base, options)


def distinct_display_names(
    names: Iterable[str],
    options: NameOptions = NameOptions(),
    exclude: Iterable[str] = (),
) -> list[str]:
    """Clean ``names`` and drop the ones that normalise the same as an earlier one or as any of
    ``exclude`` (e.g. the mention being replaced). Order is kept; an inverted name whose natural
    form is also present collapses into that natural form."""
    name_list = list(names)
    seen = {normalize(x) for x in exclude} | {" ".join(_token_key(x)) for x in exclude}
    out: list[str] = []
    for raw in name_list:
        shown = display_name(raw, name_list, options)
        key_exact = normalize(shown)
        key_bag = " ".join(_token_key(shown))
        if not key_exact or key_exact in seen or key_bag in seen:
            continue
        seen.add(key_exact)
        seen.add(key_bag)
        out.append(shown)
    return out
