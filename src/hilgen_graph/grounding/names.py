"""Display names: the form in which a graph name may leave the graph (into a sentence, a prompt,
a report), or ``None`` when it cannot be rendered naturally.

Knowledge-source names carry bookkeeping that never occurs in running text: ``, NOS``,
SNOMED CT semantic tags such as ``(disorder)``, MeSH disambiguation qualifiers such as
``Man (Taxonomy)``, bracketed notes, and MeSH's inverted headings (``Hypertension, Malignant``,
``Infant, Newborn, Diseases``). :func:`render`:

1. strips the qualifiers (:func:`strip_qualifiers`);
2. when the name is an inverted heading (with ``", "``, or permuted without it: "Deafness
   Permanent"), replaces it by a term *of the same concept* that is not inverted and has the
   same words (ignoring case, hyphens and the function
   words of :data:`FUNCTION_WORDS`): ``Hypertension, Malignant`` -> ``Malignant Hypertension``.
   Words are never reordered mechanically; without such a term the name is not renderable
   (``Metal Metabolism, Inborn Errors`` has none: it is skipped, never written as
   "inborn errors metal metabolism");
3. refuses names with characters that cannot sit in a sentence (:data:`UNUSABLE_CHARS`) and
   descriptor-style names joined by a spaced dash ("Ca lesser curvature - stomach");
4. lower-cases title-case words (:func:`sentence_case`).

Callers count every name that is not rendered (with its :class:`NameIssue`); none is dropped
silently.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Literal

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
# MeSH entry-term qualifiers: "Man (Taxonomy)", "Cold (Temperature)", "Depression (Psychology)"
# - a trailing parenthesis of title-case words (acronyms such as "(MODY)" are not qualifiers).
TITLE_QUALIFIER_SUFFIX = re.compile(r"\s+\((?:[A-Z][a-z]+)(?:[ -][A-Z]?[a-z]+)*\)\s*$")
#: Characters that cannot sit in a running sentence.
UNUSABLE_CHARS = frozenset("[]&<>|{}")
# A spaced dash joins the parts of a SNOMED CT-style descriptor ("Ca lesser curvature - stomach").
SPACED_DASH = re.compile(r"\s[-\u2013\u2014]\s")
#: Words a natural term may add to or drop from its heading ("Errors, Inborn" vs "errors of").
FUNCTION_WORDS = frozenset({"of", "the", "and", "with", "in", "to", "for", "by", "on", "a", "an"})
#: Modifiers English puts before the noun; a name ending in one is a permuted heading without
#: its comma (MeSH "Deafness Permanent", "Hearing Loss Permanent").
POSTPOSED_MODIFIERS = frozenset(
    {
        "acquired",
        "acute",
        "chronic",
        "complete",
        "congenital",
        "familial",
        "hereditary",
        "idiopathic",
        "inherited",
        "malignant",
        "permanent",
        "progressive",
        "recurrent",
        "sporadic",
    }
)
_INVERTED = re.compile(r",\s")
_TITLE_WORD = re.compile(r"^[A-Z][a-z]+$")
_WORD_SPLIT = re.compile(r"(\s+|-)")


class NameIssue(StrEnum):
    """Why a name was not rendered (counted by the callers)."""

    EMPTY = "no words left after the qualifiers"
    INVERTED = "inverted heading with no natural term of the same words"
    UNUSABLE = "characters that cannot sit in a sentence"


@dataclass(frozen=True, slots=True)
class Rendered:
    """The display form of one name; ``name`` is ``None`` when it cannot be rendered."""

    source: str  # the graph name that was rendered
    name: str | None
    issue: NameIssue | None = None
    via: str = ""  # the natural term used for an inverted heading

    @property
    def ok(self) -> bool:
        return self.name is not None


@dataclass(frozen=True, slots=True)
class NameOptions:
    """How display names are made. ``clean=False`` keeps source names verbatim (the paper-code
    preset reproduces the published code, which does no cleaning)."""

    clean: bool = True
    lower_case: bool = True


def strip_qualifiers(name: str) -> str:
    """Drop ``, NOS``, SNOMED CT tags like ``(disorder)``, MeSH qualifiers like
    ``(Taxonomy)`` and trailing ``[...]`` notes."""
    prev = None
    out = name.strip()
    while prev != out:
        prev = out
        out = NOS_SUFFIX.sub("", out)
        out = SEMANTIC_TAG_SUFFIX.sub("", out)
        out = TITLE_QUALIFIER_SUFFIX.sub("", out)
        out = BRACKET_NOTE_SUFFIX.sub("", out)
        out = out.strip().rstrip(",;").strip()
    return out


def is_inverted(name: str) -> bool:
    """Whether ``name`` is a heading with ``", "`` (``Hypertension, Malignant``,
    ``Infant, Newborn, Diseases``) or a permuted one without the comma (``Deafness
    Permanent``: it ends in a modifier of :data:`POSTPOSED_MODIFIERS`); a comma inside a
    chemical name (``1,2-Dichloroethane``) is not one."""
    if _INVERTED.search(name):
        return True
    words = normalize(name).split()
    return len(words) >= 2 and words[-1] in POSTPOSED_MODIFIERS


def word_key(name: str) -> tuple[str, ...]:
    """The words of a name as a sorted tuple, function words dropped (the "same words" test)."""
    return tuple(sorted(w for w in normalize(name).split() if w not in FUNCTION_WORDS))


def sentence_case(name: str) -> str:
    """Lower-case the title-case words of a heading (``Malignant Hypertension`` ->
    ``malignant hypertension``); words with other capitals or digits (``HIV``, ``BRCA1``,
    ``IgA``) keep theirs. Eponyms are lower-cased too (``alzheimer disease``): the corpus
    tokeniser and uncased encoders do not depend on it, and no source marks eponyms."""
    parts = _WORD_SPLIT.split(name)
    return "".join(p.lower() if _TITLE_WORD.match(p) else p for p in parts)


def natural_term(heading: str, terms: Iterable[str]) -> str | None:
    """A term among ``terms`` without ``", "`` and with the same words as ``heading``."""
    key = word_key(heading)
    if not key:
        return None
    for term in terms:
        cand = strip_qualifiers(term)
        if cand and not is_inverted(cand) and word_key(cand) == key:
            return cand
    return None


def render(name: str, terms: Sequence[str] = (), options: NameOptions = NameOptions()) -> Rendered:
    """The display form of ``name``, a name of a concept whose terms are ``terms`` (see the
    module docstring); ``Rendered.name`` is ``None`` when it cannot be rendered naturally."""
    if not options.clean:
        raw = name.strip()
        return Rendered(name, raw or None, None if raw else NameIssue.EMPTY)
    base = strip_qualifiers(name)
    via = ""
    if not normalize(base):
        return Rendered(name, None, NameIssue.EMPTY)
    if is_inverted(base):
        natural = natural_term(base, terms)
        if natural is None:
            return Rendered(name, None, NameIssue.INVERTED)
        base = via = natural
    if UNUSABLE_CHARS & set(base) or SPACED_DASH.search(base):
        return Rendered(name, None, NameIssue.UNUSABLE)
    if options.lower_case:
        base = sentence_case(base)
    return Rendered(name, base, None, via)


def display_name(
    name: str, terms: Sequence[str] = (), options: NameOptions = NameOptions()
) -> str | None:
    """:func:`render`'s name (``None``: not renderable)."""
    return render(name, terms, options).name


def distinct_display_names(
    names: Iterable[str],
    options: NameOptions = NameOptions(),
    exclude: Iterable[str] = (),
) -> list[str]:
    """Render ``names`` (all terms of one concept) and keep the first of each distinct form,
    dropping those that normalise like one of ``exclude`` (e.g. the mention being replaced) and
    those that cannot be rendered. Order is kept."""
    name_list = list(names)
    seen = {normalize(x) for x in exclude}
    out: list[str] = []
    for raw in name_list:
        shown = display_name(raw, name_list, options)
        if shown is None:
            continue
        key = normalize(shown)
        if not key or key in seen:
            continue
        seen.add(key)
        out.append(shown)
    return out


# Singular words that end like plurals (diseases, organs, substances): "diabetes", "herpes".
SINGULAR_S_WORDS = frozenset(
    {
        "ascites",
        "caries",
        "diabetes",
        "feces",
        "herpes",
        "hives",
        "measles",
        "mumps",
        "rabies",
        "rickets",
        "scabies",
        "series",
        "shingles",
        "species",
    }
)
# Endings of singular words: "-ss" (stress), "-us" (tetanus), "-is" (psoriasis, digitalis),
# "-os" (asbestos), "-ys" (the "-lys" of enzyme trade names).
_SINGULAR_ENDINGS = ("ss", "us", "is", "os", "ys")
_HEAD_WORD = re.compile(r"[A-Za-z][A-Za-z-]*")


@lru_cache(maxsize=8192)  # the walk asks for the mention's number once per candidate
def grammatical_number(name: str) -> Literal["singular", "plural"]:
    """``"plural"`` or ``"singular"``: the number of a name's head noun (its last word), by
    English spelling. A lower-case word of four or more letters ending in ``s`` is plural
    unless it ends in ``-ss``, ``-us``, ``-is``, ``-os`` or ``-ys`` or is one of
    :data:`SINGULAR_S_WORDS` ("pyridines", "neoplasms", "arrhythmias"; not "psoriasis",
    "tetanus", "diabetes"); an acronym with a lower-case ``s`` is plural ("NSAIDs", "PCBs");
    a name whose last word is a number, a symbol or an acronym ("5-FU", "K") is singular."""
    words = _HEAD_WORD.findall(name)
    if not words:
        return "singular"
    head = words[-1].split("-")[-1] or words[-1]
    if len(head) >= 3 and head[:-1].isupper() and head.endswith("s"):
        return "plural"
    low = head.lower()
    if head != low and head[1:] != low[1:]:  # an acronym or mixed-case code
        return "singular"
    if len(low) < 4 or not low.endswith("s") or low.endswith(_SINGULAR_ENDINGS):
        return "singular"
    return "singular" if low in SINGULAR_S_WORDS else "plural"
