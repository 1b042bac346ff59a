"""What a source did while streaming: skipped bad rows and dropped dangling relations."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class SkippedRow:
    """One input line that was not loaded (only with ``skip_bad_rows=True``)."""

    path: str
    line: int
    reason: str
    text: str  # the raw line, cut to 200 characters

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


@dataclass(slots=True)
class SourceReport:
    """Counts a source keeps while it streams; complete once its iterator is exhausted.

    ``dropped`` counts relations that were not yielded because an end is not a concept of the
    stream (e.g. ``isa_dangling``, ``has_type_dangling``, ``isa_self_loop``, ``xref_unmapped``).
    """

    source: str
    skipped: list[SkippedRow] = field(default_factory=list)
    yielded: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, n: int = 1) -> None:
        self.yielded[kind] = self.yielded.get(kind, 0) + n

    def drop(self, reason: str, n: int = 1) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + n

    def as_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "yielded": dict(self.yielded),
            "dropped": dict(self.dropped),
            "skipped": [str(s) for s in self.skipped],
        }
