"""A small hand-made graph for linker and layer tests (ids, names and edges chosen by hand)."""

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

SEMANTIC_TYPES = [
    SemanticType("T047", "Disease or Syndrome", "DISO"),
    SemanticType("T121", "Pharmacologic Substance", "CHEM"),
    SemanticType("T023", "Body Part, Organ, or Organ Component", "ANAT"),
]
# id -> (preferred name, tui)
CONCEPTS: dict[str, tuple[str, str]] = {
    "D001": ("Diseases", "T047"),  # root
    "D002": ("Vascular Diseases", "T047"),
    "D003": ("Hypertension", "T047"),
    "D004": ("Hypertension, Malignant", "T047"),
    "D005": ("Hypertension, Renal", "T047"),
    "D006": ("Hypotension", "T047"),
    "D007": ("Aneurysm", "T047"),
    "D008": ("Kidney", "T023"),  # anatomy under a disease parent, to test the group filter
    "D009": ("Aspirin", "T121"),
    "D010": ("Analgesics", "T121"),
    "D011": ("Pain, NOS", "T047"),
}
ISA: list[tuple[str, str]] = [
    ("D002", "D001"),
    ("D003", "D002"),
    ("D006", "D002"),
    ("D007", "D002"),
    ("D008", "D002"),
    ("D004", "D003"),
    ("D005", "D003"),
    ("D009", "D010"),
    ("D011", "D001"),
]
EXTRA_TERMS: list[tuple[str, str, str]] = [
    ("D003", "High Blood Pressure", "ET"),
    ("D003", "Blood Pressure, High", "ET"),
    ("D003", "hypertensive disease", "RELATED"),
    ("D004", "Malignant Hypertension", "ET"),
    ("D009", "Acetylsalicylic Acid", "ET"),
    ("D006", "Hypotension [Ambiguous]", "ET"),
    ("D006", "[Ambiguous]", "ET"),  # nothing left once cleaned
    ("D007", "Aneurysm & Dissection", "ET"),
]


def small_records(*, with_isa: bool = True) -> list[GraphRecord]:
    records: list[GraphRecord] = [SourceInfo("MSH", "2024"), SourceInfo("UMLS_SN", "2025AA")]
    records += SEMANTIC_TYPES
    for cid, (name, tui) in CONCEPTS.items():
        records.append(Concept(cid, name))
        records.append(HasType(cid, tui))
        records.append(Term(cid, name, normalize(name), "MSH", "MH", True))
    for cid, text, tty in EXTRA_TERMS:
        records.append(Term(cid, text, normalize(text), "MSH", tty, False))
    if with_isa:
        records += [Isa(c, p, "MSH") for c, p in ISA]
    records.append(Xref("D003", "UMLS", "C0020538"))
    return records
