"""Which run and node a log record comes from (upstream's module path).

The implementation lives in ``lythonic._log_context``, below every layer that
uses it (the runner sets it, ``lythonic.logs`` reads it, a step's child process
restores it). ``keep_step_lines`` is the structlog processor that keeps what
steps log with their runs when structlog prints by itself.
"""

from lythonic._log_context import (
    NodeRunContext,
    NodeRunLogFilter,
    get_node_run_context,
    install_node_run_log_filter,
    node_run_context,
    reset_node_run_context,
    set_node_run_context,
)
from lythonic.compose.provenance._logs import keep_step_lines

__all__ = [
    "NodeRunContext",
    "NodeRunLogFilter",
    "get_node_run_context",
    "install_node_run_log_filter",
    "keep_step_lines",
    "node_run_context",
    "reset_node_run_context",
    "set_node_run_context",
]
