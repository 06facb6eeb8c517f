"""What the CLI logs on stderr: one line per event, never a traceback's local variables."""

from __future__ import annotations

import io
import logging

import pytest

from lythonic.cli._console import setup_cli_logging


def _fail_with_a_secret() -> None:
    password = "".join(["hunt", "er2"])  # a value only a local variable holds
    raise ValueError(f"could not connect ({len(password)} chars)")


@pytest.mark.parametrize(
    ("level", "fmt"),
    [("DEBUG", "console"), ("WARNING", "console"), ("DEBUG", "json"), ("WARNING", "json")],
)
def test_no_local_variables_in_logged_tracebacks(level: str, fmt: str) -> None:
    """Logged exceptions never show local variables; below DEBUG they show no traceback at all."""
    stream = io.StringIO()
    setup_cli_logging(level, fmt, stream)  # type: ignore[arg-type]
    try:
        _fail_with_a_secret()
    except ValueError:
        logging.getLogger("lythonic.compose.dag_runner").exception("Node 'x' failed")
    text = stream.getvalue()
    assert "Node 'x' failed" in text
    assert "hunter2" not in text
    assert ("_fail_with_a_secret" in text) is (level == "DEBUG")
