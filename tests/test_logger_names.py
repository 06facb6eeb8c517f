"""Logger names are API: users configure levels and handlers by them.

Moving code between modules must not change the logger its records go to
(upstream's names, e.g. validation logs as ``lythonic.compose.namespace``).
"""

from __future__ import annotations

import ast
import asyncio
import logging
from pathlib import Path

import pytest

import lythonic
from lythonic.compose.namespace import Dag

PACKAGE = Path(lythonic.__file__).parent

LOGGER_NAMES = {
    "lythonic.compose.cached",
    "lythonic.compose.dag_runner",
    "lythonic.compose.namespace",
    "lythonic.compose.provenance",
    "lythonic.compose.trigger",
    "lythonic.engine",
    "lythonic.state",
}
# Loggers the package only adjusts, never logs to: Dask's (chatty at INFO).
ADJUSTED = {"distributed"}


def _named_loggers() -> set[str]:
    names: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute | ast.Name)
                and getattr(node.func, "attr", getattr(node.func, "id", ""))
                in {"getLogger", "get_logger"}
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                names.add(node.args[0].value)
    return names


def test_the_package_logs_under_its_known_names_only() -> None:
    """Every literal logger name in the package is one of the published names."""
    assert _named_loggers() == LOGGER_NAMES | ADJUSTED


def test_a_failed_node_is_logged_by_the_runner_logger(caplog: pytest.LogCaptureFixture) -> None:
    """A node failure goes to ``lythonic.compose.dag_runner``, as upstream's did."""

    def boom() -> int:
        raise ValueError("no")

    dag = Dag()
    dag.node(boom)
    with caplog.at_level(logging.ERROR):
        asyncio.run(dag())
    assert any(r.name == "lythonic.compose.dag_runner" for r in caplog.records)


def test_a_validation_warning_is_logged_by_the_namespace_logger(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Validation findings go to ``lythonic.compose.namespace``, as upstream's did."""

    def one() -> int:
        return 1

    def two() -> int:
        return 2

    def take(x: int) -> int:
        return x

    dag = Dag()
    t = dag.node(take)
    dag.node(one) >> t.param("x")
    dag.node(two) >> t  # its value reaches no parameter: a warning, not an error
    with caplog.at_level(logging.WARNING):
        dag.validate()
    assert any(r.name == "lythonic.compose.namespace" for r in caplog.records)
