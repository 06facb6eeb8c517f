"""A run as one flat record: what ``lyth runs --json`` prints per run and the web
view's JSON API returns."""

from __future__ import annotations

from typing import Any

from lythonic.compose.provenance._models import DagRun, NodeExecution

__all__ = ["node_seconds", "run_seconds", "run_summary"]


def run_seconds(run: DagRun) -> float | None:
    """How long the run took, if it ended."""
    if run.finished_at is None:
        return None
    return float((run.finished_at - run.started_at).total_seconds())


def node_seconds(node: NodeExecution | None) -> float | None:
    """How long a step's (last) attempt took, if it ended."""
    if node is None or node.started_at is None or node.finished_at is None:
        return None
    return float((node.finished_at - node.started_at).total_seconds())


def run_summary(run: DagRun) -> dict[str, Any]:
    """Id, DAG, status, times (ISO 8601), seconds, initiator, config revision, error."""
    return {
        "run_id": run.run_id,
        "dag": run.dag_nsref,
        "status": run.status,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "seconds": run_seconds(run),
        "initiated_by": run.initiated_by,
        "config_revision": run.config_revision,
        "error": run.error,
    }
