"""The states a run and a node execution are recorded in."""

from __future__ import annotations

from typing import Literal

__all__ = ["FINISHED", "NODE_STATUSES", "RUN_STATUSES", "NodeStatus", "RunStatus"]

RunStatus = Literal["running", "completed", "failed", "paused", "cancelled", "interrupted"]
"""A run: ``running`` until it ends in one of the others; ``interrupted`` when
its process died (found by a sweep) or it was cancelled from outside."""

NodeStatus = Literal[
    "pending", "running", "completed", "failed", "paused", "skipped", "cancelled", "interrupted"
]
"""A node execution; ``skipped`` reused an earlier run's output."""

RUN_STATUSES: tuple[RunStatus, ...] = RunStatus.__args__  # type: ignore[attr-defined]
NODE_STATUSES: tuple[NodeStatus, ...] = NodeStatus.__args__  # type: ignore[attr-defined]
FINISHED: frozenset[RunStatus] = frozenset({"completed", "failed", "cancelled", "interrupted"})
