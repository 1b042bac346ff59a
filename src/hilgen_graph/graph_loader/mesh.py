"""The MeSH source: descriptors (entry terms as synonyms, tree numbers as is-a, source ``MSH``).

Two input forms:

* the TSV form in ``<data_dir>/kb/mesh2024`` (``meshYYYY_descriptor_terms.tsv`` and
  ``meshYYYY_tree_numbers.tsv``). Its tree file has no rows for the 115 top-level tree numbers
  (``C04`` ...); they are rebuilt from each row's ``tree1``/``mesh1`` columns (top-level number
  and its name) and the descriptor of that name. Semantic types come from the documented
  branch approximation in :mod:`hilgen_graph.graph_loader.mesh_semantic_types`.
* NLM's official ``descYYYY.xml`` (plain or ``.gz``), streamed with ``iterparse``. Semantic types
  come from its ``SemanticTypeList`` elements when present, else from the approximation.

The parent of tree number ``C14.907.489`` is the descriptor at ``C14.907``. Concept ids are bare
descriptor ids (``D006973``). Term types follow UMLS's MSH term types: ``MH`` (the record's
preferred term), ``PEP`` (preferred term of another concept), ``PM`` (permuted), ``ET``.
"""

from __future__ import annotations

import gzip
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hilgen_graph.errors import DataMissingError, GraphError
from hilgen_graph.graph.normalize import normalize
from hilgen_graph.graph.records import (
    Concept,
    GraphRecord,
    HasType,
    Isa,
    SemanticType,
    SourceInfo,
    Term,
)
from hilgen_graph.graph_loader.mesh_semantic_types import (
    APPROXIMATION_TYPE_NAMES,
    MESH_BRANCH_SEMANTIC_TYPES,
    approximate_semantic_type,
)
from hilgen_graph.graph_loader.report import SkippedRow, SourceReport
from hilgen_graph.graph_loader.semantic_network import load_semantic_network
from hilgen_graph.settings import data_dir
from hilgen_graph.textio import is_gzip, iter_lines

MESH_SOURCE = "MSH"
MESH_SUBDIR = Path("kb") / "mesh2024"
_TERMS_GLOB = "mesh*_descriptor_terms.tsv"
_TREES_GLOB = "mesh*_tree_numbers.tsv"
_TERMS_COLUMNS = (
    "DescriptorUI",
    "DescriptorName",
    "TermName",
    "IsPermutedTermYN",
    "RecordPreferredTermYN",
    "ConceptPreferredTermYN",
)
_TREES_COLUMNS = ("DescriptorUI", "DescriptorName", "tree_location", "mesh1", "tree1")
_YEAR = re.compile(r"(?:mesh|desc)(\d{4})", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class MeshTerm:
    text: str
    term_type: str
    is_preferred: bool


@dataclass(slots=True)
class MeshDescriptor:
    ui: str
    name: str
    terms: list[MeshTerm] = field(default_factory=list)
    tree_numbers: list[str] = field(default_factory=list)
    semantic_types: list[tuple[str, str]] = field(default_factory=list)  # (TUI, name) from XML
    line: int | None = None  # first line of the descriptor's rows (TSV form)


def default_mesh_dir() -> Path:
    return data_dir() / MESH_SUBDIR


def term_type(record_preferred: bool, concept_preferred: bool, permuted: bool) -> str:
    if record_preferred:
        return "MH"
    if permuted:
        return "PM"
    return "PEP" if concept_preferred else "ET"


def parent_tree_number(tree_number: str) -> str | None:
    return tree_number.rsplit(".", 1)[0] if "." in tree_number else None


class MeshSource:
    """Stream MeSH descriptors from the TSV folder (default) or an official ``descYYYY.xml``.

    Order: ``SourceInfo``, ``SemanticType`` (those referenced), ``Concept`` + ``Term`` per
    descriptor, ``HasType``, ``Isa``. ``semantic_types=False`` leaves out semantic types.
    """

    name = "mesh"

    def __init__(
        self,
        path: Path | str | None = None,
        *,
        semantic_types: bool = True,
        semantic_network: Path | str | None = None,
        skip_bad_rows: bool = False,
    ) -> None:
        self.path = Path(path) if path is not None else default_mesh_dir()
        self.semantic_types = semantic_types
        self.semantic_network = Path(semantic_network) if semantic_network else None
        self.skip_bad_rows = skip_bad_rows
        self.report = SourceReport(self.name)
        self.is_xml = self.path.is_file() and ".xml" in self.path.name
        if not self.is_xml:
            self.terms_path = self._find(_TERMS_GLOB)
            self.trees_path = self._find(_TREES_GLOB)
        self.version = self._version()

    @property
    def skipped(self) -> list[SkippedRow]:
        return self.report.skipped

    def _find(self, pattern: str) -> Path:
        if not self.path.is_dir():
            raise DataMissingError(
                f"MeSH folder {self.path} does not exist; put the MeSH TSV files there (see "
                f"{data_dir()}/README.md), set HILGEN_DATA_DIR, or pass an official descYYYY.xml"
            )
        found = sorted(self.path.glob(pattern))
        if not found:
            raise DataMissingError(
                f"no file matching {pattern} in {self.path}; the MeSH TSV form needs "
                "meshYYYY_descriptor_terms.tsv and meshYYYY_tree_numbers.tsv"
            )
        return found[-1]

    def _version(self) -> str:
        name = self.path.name if self.is_xml else self.terms_path.name
        match = _YEAR.search(name) or _YEAR.search(str(self.path))
        return match.group(1) if match else "unknown"

    # --- streaming ---------------------------------------------------------------------------
    def __iter__(self) -> Iterator[GraphRecord]:
        self.report = SourceReport(self.name)
        yield SourceInfo(MESH_SOURCE, self.version)
        names = self._type_names()
        emitted_types: set[str] = set()
        if self.semantic_types and not self.is_xml:
            for tui in sorted(set(MESH_BRANCH_SEMANTIC_TYPES.values())):
                emitted_types.add(tui)
                yield self._semantic_type(tui, names)
        descriptors = self._read_xml() if self.is_xml else self._read_tsv()
        trees: dict[str, str] = {}  # tree number -> descriptor
        by_ui_trees: dict[str, list[str]] = {}
        xml_types: dict[str, list[tuple[str, str]]] = {}
        ids: set[str] = set()
        for desc in descriptors:
            if desc.ui in ids:
                raise GraphError(
                    f"descriptor {desc.ui} appears twice (its rows are not contiguous)",
                    path=str(self.terms_path if not self.is_xml else self.path),
                    line=desc.line,
                    fix="keep the descriptor-terms file sorted by DescriptorUI, as distributed",
                )
            ids.add(desc.ui)
            yield Concept(desc.ui, desc.name)
            seen: set[str] = set()
            preferred_done = False
            for term in desc.terms:
                if term.text in seen:
                    continue
                seen.add(term.text)
                is_pref = term.is_preferred and not preferred_done
                preferred_done = preferred_done or is_pref
                yield Term(
                    desc.ui, term.text, normalize(term.text), MESH_SOURCE, term.term_type, is_pref
                )
            if not preferred_done:  # no record-preferred term row: the name is the preferred term
                if desc.name in seen:
                    self.report.drop("preferred_term_missing")
                else:
                    yield Term(desc.ui, desc.name, normalize(desc.name), MESH_SOURCE, "MH", True)
                    seen.add(desc.name)
            self.report.count("concept")
            self.report.count("term", len(seen))
            by_ui_trees[desc.ui] = desc.tree_numbers
            for tn in desc.tree_numbers:
                trees[tn] = desc.ui
            if desc.semantic_types:
                xml_types[desc.ui] = desc.semantic_types
        if self.semantic_types:
            for ui in sorted(by_ui_trees):
                tuis: dict[str, None] = {}
                if ui in xml_types:
                    for tui, tname in xml_types[ui]:
                        if tui not in emitted_types:
                            emitted_types.add(tui)
                            known_name, group = names.get(tui, (tui, ""))
                            yield SemanticType(tui, tname or known_name, group)
                        tuis[tui] = None
                else:
                    for tn in by_ui_trees[ui]:
                        approx = approximate_semantic_type(tn)
                        if approx is not None:
                            if approx not in emitted_types:
                                emitted_types.add(approx)
                                yield self._semantic_type(approx, names)
                            tuis[approx] = None
                for tui in tuis:
                    self.report.count("has_type")
                    yield HasType(ui, tui)
        seen_edges: set[tuple[str, str]] = set()
        for ui in sorted(by_ui_trees):
            for tn in by_ui_trees[ui]:
                parent_tn = parent_tree_number(tn)
                if parent_tn is None:
                    continue
                parent = trees.get(parent_tn)
                if parent is None:
                    self.report.drop("isa_parent_tree_number_missing")
                    continue
                if parent == ui or (ui, parent) in seen_edges:
                    continue
                seen_edges.add((ui, parent))
                self.report.count("isa")
                yield Isa(ui, parent, MESH_SOURCE)

    def _type_names(self) -> dict[str, tuple[str, str]]:
        """TUI -> (name, group), from the Semantic Network when available."""
        try:
            net = load_semantic_network(self.semantic_network)
        except DataMissingError:
            return {t: (n, "") for t, n in APPROXIMATION_TYPE_NAMES.items()}
        return {t.tui: (t.name, t.group) for t in net.types}

    @staticmethod
    def _semantic_type(tui: str, names: dict[str, tuple[str, str]]) -> SemanticType:
        name, group = names.get(tui, (APPROXIMATION_TYPE_NAMES.get(tui, tui), ""))
        return SemanticType(tui, name, group)

    # --- TSV -----------------------------------------------------------------------------------
    def _read_tsv(self) -> Iterator[MeshDescriptor]:
        trees, top_level = self._read_trees()
        names: set[str] = set()
        for desc in self._read_terms():
            desc.tree_numbers = trees.get(desc.ui, [])
            top = top_level.get(desc.name)  # rebuild the missing top-level tree number
            if top is not None and top not in desc.tree_numbers:
                desc.tree_numbers.append(top)
            names.add(desc.name)
            yield desc
        # a top-level name with no descriptor (files of different years, or a subset):
        # its children then count as isa_parent_tree_number_missing
        self.report.drop("top_level_without_descriptor", len(set(top_level) - names))

    def _open_tsv(
        self, path: Path, needed: tuple[str, ...]
    ) -> tuple[Iterator[tuple[int, list[str]]], dict[str, int]]:
        """The rows (line number, tab-separated fields) after the header, and the header's
        column positions. Fields are split on tabs only (the files have no quoting)."""
        lines = iter_lines(path, GraphError)
        first = next(lines, None)
        header = first[1].split("\t") if first is not None else []
        missing = [c for c in needed if c not in header]
        if missing:
            raise GraphError(
                f"MeSH TSV lacks the columns {', '.join(missing)} (it has "
                f"{', '.join(header) if first is not None else 'nothing: the file is empty'})",
                path=str(path),
                line=1,
                fix="use the MeSH TSV files unchanged (see the data folder's README.txt)",
            )
        rows = ((lineno, line.split("\t")) for lineno, line in lines if line)
        return rows, {c: header.index(c) for c in header}

    def _bad_row(self, path: Path, lineno: int, raw: str, reason: str) -> None:
        if not self.skip_bad_rows:
            raise GraphError(
                reason,
                path=str(path),
                line=lineno,
                fix="repair or remove that line, or load with skip_bad_rows=True",
            )
        self.report.skipped.append(SkippedRow(str(path), lineno, reason, raw[:200]))

    def _read_trees(self) -> tuple[dict[str, list[str]], dict[str, str]]:
        """Descriptor -> tree numbers, and top-level name -> top-level tree number."""
        rows, col = self._open_tsv(self.trees_path, _TREES_COLUMNS)
        n = len(col)
        i_ui, i_tn, i_m1, i_t1 = (
            col["DescriptorUI"],
            col["tree_location"],
            col["mesh1"],
            col["tree1"],
        )
        trees: dict[str, list[str]] = {}
        top_level: dict[str, str] = {}
        for lineno, raw in rows:
            if len(raw) != n or not raw[i_ui] or not raw[i_tn]:
                self._bad_row(
                    self.trees_path,
                    lineno,
                    "\t".join(raw),
                    f"expected {n} tab-separated fields with a DescriptorUI and a tree number, "
                    f"found {len(raw)} fields",
                )
                continue
            trees.setdefault(raw[i_ui], []).append(raw[i_tn])
            if raw[i_t1] and raw[i_m1]:
                top_level.setdefault(raw[i_m1], raw[i_t1])
        return trees, top_level

    def _read_terms(self) -> Iterator[MeshDescriptor]:
        rows, col = self._open_tsv(self.terms_path, _TERMS_COLUMNS)
        n = len(col)
        i_ui, i_name, i_text = col["DescriptorUI"], col["DescriptorName"], col["TermName"]
        i_perm, i_rec, i_cpt = (
            col["IsPermutedTermYN"],
            col["RecordPreferredTermYN"],
            col["ConceptPreferredTermYN"],
        )
        current: MeshDescriptor | None = None
        for lineno, raw in rows:
            if len(raw) != n or not raw[i_ui] or not raw[i_name] or not raw[i_text]:
                self._bad_row(
                    self.terms_path,
                    lineno,
                    "\t".join(raw),
                    f"expected {n} tab-separated fields with a DescriptorUI, DescriptorName and "
                    f"TermName, found {len(raw)} fields",
                )
                continue
            ui = raw[i_ui]
            if current is None or ui != current.ui:
                if current is not None:
                    yield current
                current = MeshDescriptor(ui, raw[i_name], line=lineno)
            rec = raw[i_rec] == "Y"
            current.terms.append(
                MeshTerm(raw[i_text], term_type(rec, raw[i_cpt] == "Y", raw[i_perm] == "Y"), rec)
            )
        if current is not None:
            yield current

    # --- XML -----------------------------------------------------------------------------------
    def _read_xml(self) -> Iterator[MeshDescriptor]:
        opener = gzip.open if is_gzip(self.path) else open
        try:
            with opener(self.path, "rb") as fh:
                for _, elem in ET.iterparse(fh, events=("end",)):
                    if elem.tag != "DescriptorRecord":
                        continue
                    yield self._descriptor_from_xml(elem)
                    elem.clear()
        except ET.ParseError as err:
            line = err.position[0] if err.position else None
            raise GraphError(
                f"MeSH XML is not well-formed: {err}",
                path=str(self.path),
                line=line,
                fix="download descYYYY.xml again from NLM (the file may be truncated)",
            ) from err

    def _descriptor_from_xml(self, elem: ET.Element) -> MeshDescriptor:
        ui = (elem.findtext("DescriptorUI") or "").strip()
        name = (elem.findtext("DescriptorName/String") or "").strip()
        if not ui or not name:
            raise GraphError(
                "a DescriptorRecord lacks DescriptorUI or DescriptorName/String",
                path=str(self.path),
                fix="use the official descYYYY.xml unchanged",
            )
        desc = MeshDescriptor(ui, name)
        desc.tree_numbers = [
            t.text.strip() for t in elem.iterfind("TreeNumberList/TreeNumber") if t.text
        ]
        for concept in elem.iterfind("ConceptList/Concept"):
            concept_pref = concept.get("PreferredConceptYN") == "Y"
            for term in concept.iterfind("TermList/Term"):
                text = (term.findtext("String") or "").strip()
                if not text:
                    continue
                rec = term.get("RecordPreferredTermYN") == "Y"
                desc.terms.append(
                    MeshTerm(
                        text,
                        term_type(
                            rec,
                            term.get("ConceptPreferredTermYN") == "Y",
                            term.get("IsPermutedTermYN") == "Y",
                        ),
                        rec,
                    )
                )
            if concept_pref:
                for st in concept.iterfind("SemanticTypeList/SemanticType"):
                    tui = (st.findtext("SemanticTypeUI") or "").strip()
                    if tui:
                        desc.semantic_types.append(
                            (tui, (st.findtext("SemanticTypeName") or "").strip())
                        )
        return desc
