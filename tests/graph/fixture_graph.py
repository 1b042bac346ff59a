"""A small graph shared by the contract suite of every store backend.

Names carry quotes, backslashes, Cypher keywords and non-ASCII text; the stream repeats records
(duplicate terms and is-a edges, the same edge from two sources) and has one edge to a concept
that does not exist, so stores must de-duplicate and drop dangling rows.
"""

from __future__ import annotations

from hilgen_graph.graph.normalize import normalize
from hilgen_graph.graph.records import (
    Concept,
    GraphRecord,
    HasType,
    Isa,
    SemanticType,
    SourceInfo,
    Term,
    Xref,
)

SOURCES = {"MSH": "2024", "SNOMEDCT_US": "2024_09_01", "RXNORM": "20240902"}
SEMANTIC_TYPES = [
    SemanticType("T047", "Disease or Syndrome", "DISO"),
    SemanticType("T191", "Neoplastic Process", "DISO"),
    SemanticType("T121", "Pharmacologic Substance", "CHEM"),
    SemanticType("T033", "Finding", "DISO"),  # a type no concept has
]

# id -> (preferred name, semantic types)
CONCEPTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "C001": ("Disease", ("T047",)),
    "C002": ("Vascular Diseases", ("T047",)),
    "C003": ("Hypertension", ("T047",)),
    "C004": ("Hypertension, Malignant", ("T047",)),
    "C005": ("Hypertension, Renal", ("T047",)),
    "C006": ('O\'Brien "quoted" syndrome', ("T047", "T191")),
    "C007": ("back\\slash disease \\n", ("T047",)),
    "C008": ("MATCH (n) DETACH DELETE n", ("T191",)),
    "C009": ("Ménière’s disease — ünïcödé", ("T047",)),
    "C010": ("RETURN 1; DROP DATABASE neo4j //", ("T121",)),
    "C011": ("`backtick` {brace} $param", ("T121",)),
    "C012": ("Aspirin", ("T121",)),
    "C013": ("Orphan concept", ()),
}

# child, parent, source
ISA_EDGES: list[tuple[str, str, str]] = [
    ("C002", "C001", "MSH"),
    ("C003", "C002", "MSH"),
    ("C003", "C002", "SNOMEDCT_US"),
    ("C004", "C003", "MSH"),
    ("C005", "C003", "MSH"),
    ("C006", "C003", "SNOMEDCT_US"),
    ("C007", "C002", "MSH"),
    ("C008", "C001", "MSH"),
    ("C009", "C002", "MSH"),
    ("C011", "C010", "RXNORM"),
    ("C012", "C010", "RXNORM"),
    ("C005", "C002", "SNOMEDCT_US"),
]

# concept, text, source, tty, preferred
TERMS: list[tuple[str, str, str, str, bool]] = [
    *[(cid, name, "MSH", "PT", True) for cid, (name, _) in CONCEPTS.items()],
    ("C003", "High blood pressure", "MSH", "ET", False),
    ("C003", "HTN", "SNOMEDCT_US", "SY", False),
    ("C003", "Hypertensive disease", "SNOMEDCT_US", "PT", False),
    ("C004", "Malignant hypertension", "SNOMEDCT_US", "PT", False),
    ("C012", "Acetylsalicylic acid", "RXNORM", "SY", False),
    ("C012", "ASA", "RXNORM", "SY", False),
    ("C006", "MATCH (n) DETACH DELETE n", "SNOMEDCT_US", "SY", False),  # shared with C008
    ("C007", "back\\slash disease \\n", "SNOMEDCT_US", "SY", False),
]

XREFS = [
    ("C003", "UMLS", "C0020538"),
    ("C003", "SNOMEDCT_US", "38341003"),
    ("C004", "UMLS", "C0020540"),
]


def fixture_records() -> list[GraphRecord]:
    """The fixture as one record stream, with duplicates and one dangling edge."""
    records: list[GraphRecord] = [SourceInfo(n, v) for n, v in SOURCES.items()]
    records += SEMANTIC_TYPES
    for cid, (name, tuis) in CONCEPTS.items():
        # Semantic types arrive both ways: on the concept and as HasType rows (MRSTY style).
        records.append(Concept(cid, name, tuis[:1]))
        records += [HasType(cid, tui) for tui in tuis]
    for cid, text, source, tty, pref in TERMS:
        records.append(Term(cid, text, normalize(text), source, tty, pref))
    records.append(Term("C003", "HTN", normalize("HTN"), "SNOMEDCT_US", "SY", False))  # repeat
    records += [Isa(c, p, s) for c, p, s in ISA_EDGES]
    records.append(Isa("C004", "C003", "MSH"))  # repeat
    records.append(Isa("C999", "C001", "MSH"))  # dangling: C999 is not a concept
    records += [Xref(c, db, code) for c, db, code in XREFS]
    return records


def expected_parents(cid: str, source: str | None = None) -> list[str]:
    return sorted({p for c, p, s in ISA_EDGES if c == cid and source in (None, s)})


def expected_children(cid: str, source: str | None = None) -> list[str]:
    return sorted({c for c, p, s in ISA_EDGES if p == cid and source in (None, s)})


def expected_same_type_candidates(cid: str) -> list[str]:
    mine = set(CONCEPTS[cid][1])
    return sorted(o for o, (_, tuis) in CONCEPTS.items() if o != cid and mine & set(tuis))
