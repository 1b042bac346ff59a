"""The ``free`` preset: MeSH + Disease Ontology + Semantic Network, keyed by MeSH descriptor id.

The graph a user gets without a UMLS licence. Concepts are MeSH descriptors (bare ids such as
``D006973``) with their entry terms and tree-number is-a edges (source ``MSH``) and semantic
types from the tree-branch approximation (see ``mesh_semantic_types``). Each Disease Ontology term
whose ``MESH:D...`` xref names a loaded descriptor contributes to that descriptor:

* ``Xref`` records to the UMLS CUIs (``db="UMLS"``) and SNOMEDCT_US codes in its xrefs, and to
  itself (``db="DOID"``);
* its name and synonyms as extra ``Term`` records (source ``DOID``, never preferred);
* its ``is_a`` edges, where both ends map to descriptors, as ``Isa`` with source ``DOID``.

DO terms without a MeSH descriptor xref are not part of this graph (counted in the report).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from hilgen_graph.errors import DataMissingError
from hilgen_graph.graph.normalize import normalize
from hilgen_graph.graph.records import (
    Concept,
    GraphRecord,
    Isa,
    SemanticType,
    SourceInfo,
    Term,
    Xref,
)
from hilgen_graph.graph_loader.mesh import MESH_SOURCE, MeshSource
from hilgen_graph.graph_loader.obo import (
    DOID_SOURCE,
    OboTerm,
    default_doid_path,
    iter_obo_terms,
    obo_version,
    xref_db,
)
from hilgen_graph.graph_loader.report import SkippedRow, SourceReport
from hilgen_graph.graph_loader.semantic_network import SOURCE_NAME as SEMNET_SOURCE
from hilgen_graph.graph_loader.semantic_network import load_semantic_network

# The databases of DO xrefs that are attached to the MeSH concept.
FREE_XREF_DBS: tuple[str, ...] = ("UMLS", "SNOMEDCT_US")


def _mesh_ids(term: OboTerm) -> list[str]:
    ids: list[str] = []
    for ref in term.xrefs:
        prefix, _, code = ref.partition(":")
        if xref_db(prefix) == "MSH" and code.startswith("D") and code not in ids:
            ids.append(code)
    return ids


class FreeSource:
    """Stream the merged free graph (see the module docstring)."""

    name = "free"

    def __init__(
        self,
        mesh_path: Path | str | None = None,
        doid_path: Path | str | None = None,
        semantic_network: Path | str | None = None,
        skip_bad_rows: bool = False,
    ) -> None:
        self.skip_bad_rows = skip_bad_rows
        self.mesh = MeshSource(
            mesh_path, semantic_network=semantic_network, skip_bad_rows=skip_bad_rows
        )
        self.doid_path = Path(doid_path) if doid_path is not None else default_doid_path()
        if not self.doid_path.is_file():
            raise DataMissingError(f"Disease Ontology file {self.doid_path} does not exist")
        self.semantic_network_path = Path(semantic_network) if semantic_network else None
        self.report = SourceReport(self.name)

    @property
    def skipped(self) -> list[SkippedRow]:
        return self.report.skipped

    def __iter__(self) -> Iterator[GraphRecord]:
        self.report = SourceReport(self.name)
        net = load_semantic_network(self.semantic_network_path)
        yield SourceInfo(MESH_SOURCE, self.mesh.version)
        yield SourceInfo(SEMNET_SOURCE, net.version)
        yield SourceInfo(DOID_SOURCE, obo_version(self.doid_path))
        known_tuis = {t.tui for t in net.types}
        for sem_type in net.types:
            self.report.count("semantic_type")
            yield sem_type
        concepts: set[str] = set()
        for record in self.mesh:
            if isinstance(record, SourceInfo):
                continue  # yielded above, before any other record
            if isinstance(record, SemanticType):
                if record.tui in known_tuis:
                    continue
                known_tuis.add(record.tui)
                self.report.count("semantic_type")
            elif isinstance(record, Concept):
                concepts.add(record.id)
            yield record
        for kind, n in self.mesh.report.yielded.items():
            if kind != "semantic_type":
                self.report.count(kind, n)
        for reason, n in self.mesh.report.dropped.items():
            self.report.drop(reason, n)
        self.report.skipped.extend(self.mesh.report.skipped)
        yield from self._doid(concepts)

    def _doid(self, concepts: set[str]) -> Iterator[GraphRecord]:
        do_to_mesh: dict[str, list[str]] = {}
        is_a: list[tuple[str, str]] = []
        seen_terms: set[tuple[str, str]] = set()
        seen_xrefs: set[tuple[str, str, str]] = set()
        report = self.report
        skipped = self.report.skipped if self.skip_bad_rows else None
        for term in iter_obo_terms(self.doid_path, skipped):
            if term.obsolete:
                continue
            mesh_ids = [m for m in _mesh_ids(term) if m in concepts]
            if not mesh_ids:
                report.drop("doid_term_without_mesh_descriptor")
                continue
            do_to_mesh[term.id] = mesh_ids
            is_a.extend((term.id, parent) for parent in term.is_a)
            texts = [(term.name, "PT")] + [(text, scope) for text, scope in term.synonyms]
            for mesh_id in mesh_ids:
                for text, scope in texts:
                    if text and (mesh_id, text) not in seen_terms:
                        seen_terms.add((mesh_id, text))
                        report.count("term")
                        yield Term(mesh_id, text, normalize(text), DOID_SOURCE, scope, False)
                for xref in [f"DOID:{term.id.removeprefix('DOID:')}", *term.xrefs]:
                    prefix, _, code = xref.partition(":")
                    db = "DOID" if prefix == "DOID" else xref_db(prefix)
                    code = xref if db == "DOID" else code
                    if db not in FREE_XREF_DBS and db != "DOID":
                        continue
                    key = (mesh_id, str(db), code)
                    if code and key not in seen_xrefs:
                        seen_xrefs.add(key)
                        report.count("xref")
                        yield Xref(mesh_id, str(db), code)
        seen_edges: set[tuple[str, str]] = set()
        for child, parent in is_a:
            parents = do_to_mesh.get(parent)
            if parents is None:
                report.drop("doid_isa_parent_unmapped")
                continue
            for child_mesh in do_to_mesh[child]:
                for parent_mesh in parents:
                    edge = (child_mesh, parent_mesh)
                    if child_mesh == parent_mesh or edge in seen_edges:
                        continue
                    seen_edges.add(edge)
                    report.count("isa")
                    yield Isa(child_mesh, parent_mesh, DOID_SOURCE)
