"""Node run context on stdlib log records."""

from __future__ import annotations

import asyncio
import logging

from lythonic.compose.log_context import (
    NodeRunContext,
    NodeRunLogFilter,
    get_node_run_context,
    install_node_run_log_filter,
    node_run_context,
    reset_node_run_context,
    set_node_run_context,
)
from lythonic.compose.namespace import Dag, inline


def _record() -> logging.LogRecord:
    return logging.LogRecord("t", logging.INFO, "", 0, "msg", (), None)


def test_context_manager_and_token_api() -> None:
    """The context is visible inside the block and restored after it."""
    assert get_node_run_context() is None
    with node_run_context("r1", "fetch", "m:dag") as ctx:
        assert get_node_run_context() == ctx == NodeRunContext("r1", "fetch", "m:dag", 1)
    assert get_node_run_context() is None
    token = set_node_run_context("r2", "load")
    assert get_node_run_context() == NodeRunContext("r2", "load")
    reset_node_run_context(token)
    assert get_node_run_context() is None


def test_filter_enriches_and_never_drops() -> None:
    """Records get run_id/node_label/dag_nsref, or empty strings outside a node."""
    f = NodeRunLogFilter()
    outside = _record()
    assert f.filter(outside) is True
    assert (outside.run_id, outside.node_label, outside.dag_nsref) == ("", "", "")  # type: ignore[attr-defined]
    inside = _record()
    with node_run_context("r1", "fetch", "m:dag"):
        assert f.filter(inside) is True
    assert (inside.run_id, inside.node_label, inside.dag_nsref) == ("r1", "fetch", "m:dag")  # type: ignore[attr-defined]


def test_install_on_handler_or_root() -> None:
    """install_node_run_log_filter attaches to a handler, or to the root logger."""
    handler = logging.StreamHandler()
    assert install_node_run_log_filter(handler) in handler.filters
    root = logging.getLogger()
    before = list(root.filters)
    try:
        assert install_node_run_log_filter() in root.filters
    finally:
        root.filters = before


def test_user_logging_inside_nodes_carries_the_run(caplog: object) -> None:
    """A record logged by user code in a thread node names its run and node."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    handler.addFilter(NodeRunLogFilter())
    logger = logging.getLogger("tests.user_code")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)

    def work(x: int) -> int:
        logger.info("working on %d", x)
        return x

    @inline
    def more(x: int) -> int:
        logger.info("more %d", x)
        return x

    dag = Dag()
    dag.node(work) >> dag.node(more)
    try:
        result = asyncio.run(dag(x=3))
    finally:
        logger.removeHandler(handler)
    assert [(r.getMessage(), r.node_label, r.run_id) for r in records] == [  # type: ignore[attr-defined]
        ("working on 3", "work", result.run_id),
        ("more 3", "more", result.run_id),
    ]
