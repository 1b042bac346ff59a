"""The toolkit's one error root and its leaves.

Every message says what is wrong, where (file, line, record) and how to fix it.
Third-party errors are translated at the boundary with ``raise ... from err``.
"""

from __future__ import annotations


class HilgenError(Exception):
    """Root of every error the toolkit raises on purpose."""

    retryable: bool = False


class ConfigError(HilgenError):
    """A setting, config file or command-line option is invalid."""


class DataMissingError(HilgenError):
    """A corpus, knowledge source or model file the toolkit needs is not present."""


class CorpusFormatError(HilgenError):
    """A corpus file is malformed (wrong columns, offsets outside the text, mismatched text)."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        text: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.path = path
        self.line = line
        self.text = text
        self.fix = fix
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        parts = [f"{where}{message}"]
        if text is not None:
            parts.append(f"offending text: {text!r}")
        if fix:
            parts.append(f"how to fix: {fix}")
        super().__init__("; ".join(parts))


class GraphError(HilgenError):
    """A knowledge source or graph store problem (bad RRF row, missing file, old store)."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        fix: str | None = None,
    ) -> None:
        self.path = path
        self.line = line
        self.fix = fix
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        text = f"{where}{message}"
        if fix:
            text += f"; how to fix: {fix}"
        super().__init__(text)


class ExpansionError(HilgenError):
    """Linking or layered expansion cannot run as asked (unknown layer, missing relations)."""


class GenerationError(HilgenError):
    """An LLM call or chain failed; ``retryable`` tells transient from permanent failures."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


class ValidationError(HilgenError):
    """A generated record failed a validation stage."""


class EvaluationError(HilgenError):
    """An evaluation config or training run is invalid."""
