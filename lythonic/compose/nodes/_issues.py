"""What validation finds: one ``DagIssue`` per problem, raised together."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from lythonic._events import event
from lythonic._public import publish

__all__ = [
    "ISSUE_CODES",
    "DagIssue",
    "DagValidationError",
    "IssueCode",
    "Severity",
    "raise_for_issues",
]

log = logging.getLogger("lythonic.compose.namespace")

IssueCode = Literal[
    "ambiguous_input",
    "bad_composite_input",
    "composite_upstreams",
    "cycle",
    "inline_timeout",
    "isolation_mode",
    "type_mismatch",
    "unfed_param",
    "unused_edge",
]
ISSUE_CODES: tuple[IssueCode, ...] = IssueCode.__args__  # type: ignore[attr-defined]

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class DagIssue:
    """One problem found in a DAG.

    ``code`` classifies it (``cycle``, ``type_mismatch``, ``unfed_param``,
    ``ambiguous_input``, ``composite_upstreams``, ``bad_composite_input``,
    ``unused_edge``, ``inline_timeout``, ``isolation_mode``); ``nodes``,
    ``edge`` and ``param`` locate it, so a front
    end (``lyth.yaml``) can point at the line that declared it; ``dag_path``
    lists the composite labels leading into a sub-DAG.
    """

    code: IssueCode
    message: str
    nodes: tuple[str, ...] = ()
    edge: tuple[str, str] | None = None
    param: str | None = None
    severity: Severity = "error"
    dag_path: tuple[str, ...] = ()

    def __str__(self) -> str:
        where = "".join(f"in sub-DAG of '{p}': " for p in self.dag_path)
        return where + self.message


class DagValidationError(ValueError):
    """A DAG failed validation; ``issues`` holds every error found."""

    def __init__(self, issues: list[DagIssue]) -> None:
        self.issues = issues
        if len(issues) == 1:
            text = str(issues[0])
        else:
            text = f"{len(issues)} problems in DAG:\n" + "\n".join(f"  - {i}" for i in issues)
        super().__init__(text)


def raise_for_issues(issues: list[DagIssue]) -> None:
    errors = [i for i in issues if i.severity == "error"]
    for issue in issues:
        if issue.severity == "warning":
            log.warning(
                "%s",
                issue,
                extra=event("dag_warning", code=issue.code, nodes=list(issue.nodes)),
            )
    if errors:
        raise DagValidationError(errors)


publish("lythonic.compose.namespace", DagIssue, DagValidationError)
