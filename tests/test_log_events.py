"""Every log call of the package has a constant event name, its data in fields.

stdlib calls keep a readable %-formatted message, so their changing data must
also reach the record as fields through ``extra=event("name", ...)``;
structlog calls name the event with a constant string and pass data as
keywords. Logs can then be grouped by event and filtered by run, DAG, step.
"""

from __future__ import annotations

import ast
from pathlib import Path

import lythonic

PACKAGE = Path(lythonic.__file__).parent
LEVELS = {"debug", "info", "warning", "error", "exception", "critical"}
LOGGERS = {"log", "_log", "logger"}


def _log_calls() -> list[tuple[str, ast.Call]]:
    calls = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in LEVELS
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in LOGGERS
            ):
                where = f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
                calls.append((where, node))
    return calls


def test_every_log_call_names_a_constant_event() -> None:
    """The message is a literal; a message with %-arguments also passes
    ``extra=event(...)`` so the data arrive as fields under a constant name."""
    bad = []
    calls = _log_calls()
    assert len(calls) > 50  # the walk finds the package's log calls
    for where, call in calls:
        first = call.args[0] if call.args else None
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            bad.append(f"{where}: the message is not a literal")
            continue
        if len(call.args) > 1:
            extra = next((k.value for k in call.keywords if k.arg == "extra"), None)
            named = (
                isinstance(extra, ast.Call)
                and isinstance(extra.func, ast.Name | ast.Attribute)
                and getattr(extra.func, "id", getattr(extra.func, "attr", ""))
                in {"event", "_event"}
            )
            if not named:
                bad.append(f"{where}: %-arguments without extra=event(...)")
    assert bad == []
