"""Which run and node a log record comes from.

The runner sets a ``NodeRunContext`` around every node call; it reaches async
nodes, ``@inline`` nodes and sync nodes in worker threads alike (contextvars
are copied into the thread). ``NodeRunLogFilter`` copies it onto stdlib log
records, so ``logging`` calls inside user code carry ``run_id``, ``node_label``
and ``dag_nsref``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass
from datetime import datetime

from lythonic._public import publish

__all__ = [
    "NodeRunContext",
    "NodeRunLogFilter",
    "get_node_run_context",
    "install_node_run_log_filter",
    "node_run_context",
    "reset_node_run_context",
    "set_node_run_context",
]


@dataclass(frozen=True, slots=True)
class NodeRunContext:
    """The run and node a piece of code is executing for."""

    run_id: str
    node_label: str
    dag_nsref: str = ""
    attempt: int = 1
    scheduled_at: datetime | None = None
    """The tick a scheduled run was started for (None for other runs)."""


_current: ContextVar[NodeRunContext | None] = ContextVar("lythonic_node_run", default=None)


def get_node_run_context() -> NodeRunContext | None:
    """The current node's context, or None outside a node."""
    return _current.get()


def set_node_run_context(
    run_id: str,
    node_label: str,
    dag_nsref: str = "",
    attempt: int = 1,
    scheduled_at: datetime | None = None,
) -> Token[NodeRunContext | None]:
    """Enter a node's context; pass the token to ``reset_node_run_context``."""
    return _current.set(NodeRunContext(run_id, node_label, dag_nsref, attempt, scheduled_at))


def reset_node_run_context(token: Token[NodeRunContext | None]) -> None:
    _current.reset(token)


@contextmanager
def node_run_context(
    run_id: str, node_label: str, dag_nsref: str = "", attempt: int = 1
) -> Iterator[NodeRunContext]:
    """Run a block as if inside node ``node_label`` of run ``run_id``."""
    ctx = NodeRunContext(run_id, node_label, dag_nsref, attempt)
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


class NodeRunLogFilter(logging.Filter):
    """Adds ``run_id``, ``node_label`` and ``dag_nsref`` to every record (``""`` outside
    a node). Never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        ctx = _current.get()
        if ctx is None:
            record.run_id = record.node_label = record.dag_nsref = ""
        else:
            record.run_id, record.node_label, record.dag_nsref = (
                ctx.run_id,
                ctx.node_label,
                ctx.dag_nsref,
            )
        return True


def install_node_run_log_filter(handler: logging.Handler | None = None) -> NodeRunLogFilter:
    """Attach a ``NodeRunLogFilter`` to ``handler``, or to the root logger."""
    log_filter = NodeRunLogFilter()
    (handler if handler is not None else logging.getLogger()).addFilter(log_filter)
    return log_filter


publish(
    "lythonic.compose.log_context",
    NodeRunContext,
    get_node_run_context,
    set_node_run_context,
    reset_node_run_context,
    node_run_context,
    NodeRunLogFilter,
    install_node_run_log_filter,
)
