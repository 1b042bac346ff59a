"""The UMLS Semantic Network: the 127 semantic types (TUI, name) and their 15 semantic groups.

Read from ``<data_dir>/kb/umls_semantic_network/sty_<release>.tsv`` (columns ``identifier name
definition synonyms alts parents species``; ``parents`` holds the group as ``obo:sty#DISO``), with
the group names from the ``[Term]`` stanzas of the ``.obo`` file beside it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from hilgen_graph.errors import DataMissingError, GraphError
from hilgen_graph.graph.records import GraphRecord, SemanticType, SourceInfo
from hilgen_graph.graph_loader.report import SourceReport
from hilgen_graph.settings import data_dir
from hilgen_graph.textio import control_characters, iter_lines

SOURCE_NAME = "UMLS_SEMANTIC_NETWORK"
SEMANTIC_NETWORK_SUBDIR = Path("kb") / "umls_semantic_network"
_TSV_GLOB = "sty_*.tsv"
_TUI = re.compile(r"^T\d{3}$")
_GROUP_PREFIX = "obo:sty#"


@dataclass(frozen=True, slots=True)
class SemanticNetwork:
    version: str
    types: tuple[SemanticType, ...]  # sorted by TUI
    groups: dict[str, str]  # abbreviation -> name, e.g. "DISO" -> "Disorders"

    def by_tui(self) -> dict[str, SemanticType]:
        return {t.tui: t for t in self.types}


def default_semantic_network_dir() -> Path:
    return data_dir() / SEMANTIC_NETWORK_SUBDIR


def find_semantic_network_tsv(folder: Path | None = None) -> Path | None:
    """The newest ``sty_*.tsv`` in the folder, or None when there is none."""
    folder = folder if folder is not None else default_semantic_network_dir()
    if folder.is_file():
        return folder
    if not folder.is_dir():
        return None
    found = sorted(folder.glob(_TSV_GLOB))
    found = [p for p in found if not p.name.endswith(".synonyms.tsv")]
    return found[-1] if found else None


def load_semantic_network(path: Path | None = None) -> SemanticNetwork:
    """Read the semantic types and groups; ``path`` is the folder or the ``sty_*.tsv`` file."""
    tsv = find_semantic_network_tsv(path)
    if tsv is None:
        where = path if path is not None else default_semantic_network_dir()
        raise DataMissingError(
            f"no UMLS Semantic Network file (sty_*.tsv) in {where}; put the semantic network "
            f"export there (see {data_dir()}/README.md) or set HILGEN_DATA_DIR"
        )
    version = tsv.stem.removeprefix("sty_")
    groups = _read_group_names(tsv.with_suffix(".obo"))
    types: list[SemanticType] = []
    lines = iter_lines(tsv, GraphError)
    header = next((line.split("\t") for _, line in lines), None)
    if header is None or "identifier" not in header or "parents" not in header:
        raise GraphError(
            "semantic network TSV lacks the header 'identifier name ... parents'"
            + (" (the file is empty)" if header is None else ""),
            path=str(tsv),
            line=1,
            fix="use the sty.tsv export unchanged",
        )
    i_id, i_name, i_par = (
        header.index("identifier"),
        header.index("name"),
        header.index("parents"),
    )
    seen: set[str] = set()
    for lineno, line in lines:
        if not line:
            continue
        row = line.split("\t")
        if len(row) != len(header):
            raise GraphError(
                f"expected {len(header)} tab-separated fields, found {len(row)}",
                path=str(tsv),
                line=lineno,
                fix="use the sty.tsv export unchanged",
            )
        tui = row[i_id]
        if not _TUI.match(tui):
            continue  # group rows, if an export lists them
        if tui in seen or not row[i_name].strip() or control_characters(row[i_name]):
            raise GraphError(
                f"semantic type {tui} is listed twice or has an empty or garbled name",
                path=str(tsv),
                line=lineno,
                fix="use the sty.tsv export unchanged",
            )
        seen.add(tui)
        group = ""
        for parent in row[i_par].split("|"):
            if parent.startswith(_GROUP_PREFIX):
                group = parent.removeprefix(_GROUP_PREFIX)
        types.append(SemanticType(tui, row[i_name], group))
    if not types:
        raise GraphError(
            "the semantic network TSV lists no semantic types (T001 ...)",
            path=str(tsv),
            fix="use the sty.tsv export unchanged",
        )
    types.sort(key=lambda t: t.tui)
    for t in types:
        groups.setdefault(t.group, t.group)
    groups.pop("", None)
    return SemanticNetwork(version, tuple(types), groups)


def _read_group_names(obo: Path) -> dict[str, str]:
    """Group abbreviation -> name from the ``[Term]`` stanzas whose id has no ``sty:`` prefix."""
    names: dict[str, str] = {}
    if not obo.is_file():
        return names
    current: str | None = None
    stanzas = 0
    for _, line in iter_lines(obo, GraphError):
        if line.startswith("["):
            stanzas += 1
        elif line.startswith("id: "):
            ident = line[4:].strip()
            current = ident if re.fullmatch(r"[A-Z]{4}", ident) else None
        elif line.startswith("name: ") and current is not None:
            names[current] = line[6:].strip()
            current = None
    if not stanzas:
        raise GraphError(
            "the semantic network's .obo file has no stanzas (it names the semantic groups)",
            path=str(obo),
            fix="use the sty.obo export unchanged, or remove it (groups are then named by "
            "their abbreviations)",
        )
    return names


class SemanticNetworkSource:
    """Streams ``SourceInfo`` and the 127 ``SemanticType`` records."""

    name = "semantic_network"

    def __init__(self, path: Path | str | None = None, skip_bad_rows: bool = False) -> None:
        # skip_bad_rows is accepted for a uniform interface; this small file is all or nothing
        self.skip_bad_rows = skip_bad_rows
        self.path = Path(path) if path is not None else None
        self.report = SourceReport(self.name)

    def __iter__(self) -> Iterator[GraphRecord]:
        self.report = SourceReport(self.name)
        net = load_semantic_network(self.path)
        yield SourceInfo(SOURCE_NAME, net.version)
        for sem_type in net.types:
            self.report.count("semantic_type")
            yield sem_type
