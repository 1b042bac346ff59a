"""Knowledge sources streamed as graph records (see ``sources`` for the registry).

UMLS RRF (``umls``), MeSH (``mesh``), OBO ontologies (``doid``, ``hpo``), the UMLS Semantic
Network (``semantic_network``) and the merged licence-free graph (``free``).
"""

from __future__ import annotations

from hilgen_graph.graph_loader.report import SkippedRow, SourceReport
from hilgen_graph.graph_loader.sources import (
    SOURCE_NAMES,
    GraphSource,
    SourceStream,
    iter_source,
    open_source,
)

__all__ = [
    "SOURCE_NAMES",
    "GraphSource",
    "SkippedRow",
    "SourceReport",
    "SourceStream",
    "iter_source",
    "open_source",
]
