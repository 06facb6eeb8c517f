"""Diagnostics: what is wrong in a ``lyth.yaml``, where, and what to do about it.

Every problem the loader, the schema check and the semantic checks find is a
``Diagnostic``; they are collected in one pass and raised together as a
``ConfigError`` (or returned by ``validate_config``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any, Literal

__all__ = ["ConfigError", "Diagnostic", "Severity", "UnknownDagError", "did_you_mean", "one_line"]

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem in a config file.

    ``line`` and ``column`` count from 1 (0 when the problem has no place in
    the file, e.g. an unreadable file); ``code`` classifies it for machines
    (``yaml``, ``schema``, ``unknown_node``, ``cycle``, ``import``, ...);
    ``hint`` says what would be right, when we can tell.
    """

    file: str
    line: int
    column: int
    message: str
    code: str = "error"
    severity: Severity = "error"
    hint: str | None = None

    def __post_init__(self) -> None:
        # One diagnostic is one line (editors, CI annotations and `grep` read them
        # so): a message built from an exception's text must not break it.
        if "\n" in self.message or "\r" in self.message:
            object.__setattr__(self, "message", " ".join(self.message.split()))
        if self.hint is not None and ("\n" in self.hint or "\r" in self.hint):
            object.__setattr__(self, "hint", " ".join(self.hint.split()))

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        level = "" if self.severity == "error" else f"{self.severity}: "
        hint = f" ({self.hint})" if self.hint else ""
        return f"{where}: {level}{self.message}{hint}"

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``--json`` output."""
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
        }


class ConfigError(Exception):
    """A config file is invalid; ``diagnostics`` lists every problem found."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = list(diagnostics)
        errors = [d for d in self.diagnostics if d.severity == "error"]
        shown = errors or self.diagnostics
        if len(shown) == 1:
            text = str(shown[0])
        else:
            text = f"{len(shown)} problems:\n" + "\n".join(str(d) for d in shown)
        super().__init__(text)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]


def one_line(error: BaseException) -> str:
    """``error`` as one line: a pydantic ``ValidationError`` as ``field: message; ...``."""
    from pydantic import ValidationError

    if isinstance(error, ValidationError):
        parts = []
        for err in error.errors(include_url=False):
            where = ".".join(str(x) for x in err["loc"])
            message = err["msg"].removeprefix("Value error, ")
            parts.append(f"{where}: {message}" if where else message)
        return "; ".join(parts)
    return " ".join(str(error).split())


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """``"did you mean 'x'?"`` for the closest candidate, or None."""
    match = get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"did you mean '{match[0]}'?" if match else None


class UnknownDagError(LookupError):
    """A DAG name that is neither a DAG of the file nor a namespace entry."""

    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        self.hint = did_you_mean(name, known)
        listing = ", ".join(sorted(known)) or "none"
        super().__init__(
            f"unknown DAG '{name}'" + (f"; {self.hint}" if self.hint else f" (known: {listing})")
        )
