"""What a reader did besides reading: records skipped (``lenient``), entities not kept, fixes made.

Readers never print. They return a :class:`LoadReport` beside the corpus so a caller (or the CLI)
can say exactly which records were skipped or changed and why; nothing is dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from hilgen_graph.corpus.records import Corpus


class IssueKind(StrEnum):
    SKIPPED_RECORD = "skipped_record"  # a malformed record skipped because lenient=True
    DROPPED_ENTITY = "dropped_entity"  # an entity read but not kept in the sentences (IOB limits)
    MERGED_SENTENCES = "merged_sentences"  # sentences merged so an entity is not cut in two
    RENAMED_DOCUMENT = "renamed_document"  # a repeated document id made unique
    FIXED_TEXT = "fixed_text"  # stray whitespace around a mention removed
    NOTE = "note"  # anything else worth knowing (e.g. I- tag without B-)


@dataclass(frozen=True, slots=True)
class Issue:
    """One thing a reader skipped, dropped or changed, with where and why."""

    kind: IssueKind
    path: str
    line: int | None
    record: str  # document id, sentence id or the record's first line
    text: str  # the offending text
    reason: str

    def describe(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where} [{self.kind}] {self.record}: {self.reason} ({self.text!r})"


@dataclass(slots=True)
class LoadReport:
    """Collects the issues of one read; ``entities_read`` counts mentions before conversion."""

    path: str
    format: str
    issues: list[Issue] = field(default_factory=list)
    entities_read: int = 0
    entities_in_sentences: int = 0

    def add(
        self,
        kind: IssueKind,
        *,
        line: int | None,
        record: str,
        text: str,
        reason: str,
    ) -> None:
        self.issues.append(Issue(kind, self.path, line, record, text, reason))

    def of_kind(self, kind: IssueKind) -> list[Issue]:
        return [i for i in self.issues if i.kind == kind]

    @property
    def skipped(self) -> list[Issue]:
        return self.of_kind(IssueKind.SKIPPED_RECORD)

    @property
    def dropped_entities(self) -> list[Issue]:
        return self.of_kind(IssueKind.DROPPED_ENTITY)

    @property
    def clean(self) -> bool:
        """True when nothing was skipped and every entity read is in a sentence."""
        return not self.skipped and not self.dropped_entities

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for issue in self.issues:
            out[issue.kind.value] = out.get(issue.kind.value, 0) + 1
        return out


@dataclass(frozen=True, slots=True)
class LoadResult:
    """A corpus together with the report of how it was read."""

    corpus: Corpus
    report: LoadReport
