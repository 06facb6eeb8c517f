"""The records a store queues for its writer thread: one constructor per kind.

Each record is a plain tuple (they are made on the event loop for every step
of every run, and tuples are the cheapest thing to make and queue); its first
item is the kind. The constructors here are the only place a record's layout
is written; ``Merge.add`` (``_batch.py``) is the only place it is read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "CALL",
    "FLUSH",
    "LOG",
    "N_DONE",
    "N_FAIL",
    "N_PAUSE",
    "N_SKIP",
    "N_START",
    "R_BEGIN",
    "R_END",
    "R_RESUME",
    "R_STATUS",
    "log_line",
    "node_done",
    "node_failed",
    "node_paused",
    "node_skipped",
    "node_started",
    "run_begun",
    "run_ended",
    "run_resumed",
    "run_status",
]

Record = tuple[Any, ...]

# Kinds, in the order the writer sorts them: rows first, then CALL and FLUSH
# (the writer's own requests, made by BatchWriter itself).
(R_BEGIN, R_RESUME, R_END, R_STATUS, N_START, N_DONE, N_FAIL, N_PAUSE, N_SKIP, LOG, CALL, FLUSH) = (
    range(12)
)


def log_line(
    run_id: str,
    label: str,
    attempt: int,
    seq: int,
    at: float,
    level: str,
    logger: str,
    message: str,
) -> Record:
    """A line a step logged (``seq`` counts from 1 per step attempt; a later line of
    the same ``seq`` replaces it: the "N lines dropped" line is rewritten)."""
    return (LOG, run_id, label, attempt, seq, at, level, logger, message)


def run_begun(
    run_id: str,
    dag_nsref: str,
    parent_run_id: str | None,
    inputs_json: str | None,
    initiator: str | None,
    dag_hash: str | None,
    config_revision: str | None,
    at: float,
    code_json: str | None = None,
) -> Record:
    """A new run is ``running`` (replaces an earlier row of that id)."""
    return (
        R_BEGIN,
        run_id,
        dag_nsref,
        parent_run_id,
        inputs_json,
        initiator,
        dag_hash,
        config_revision,
        at,
        code_json,
    )


def run_resumed(
    run_id: str, dag_hash: str | None, config_revision: str | None, code_json: str | None = None
) -> Record:
    """A recorded run continues under its id (a restart)."""
    return (R_RESUME, run_id, dag_hash, config_revision, code_json)


def run_ended(
    run_id: str, status: str, sink_json: str | None, error: str | None, at: float
) -> Record:
    """A run ended with ``status``; its nodes still running are closed."""
    return (R_END, run_id, status, sink_json, error, at)


def run_status(run_id: str, status: str) -> Record:
    """A run's status changes, ``finished_at`` left alone."""
    return (R_STATUS, run_id, status)


def node_started(
    run_id: str,
    label: str,
    inputs_json: str | None,
    is_source: bool,
    is_sink: bool,
    attempt: int,
    at: float,
) -> Record:
    """An attempt of a node starts."""
    return (N_START, run_id, label, inputs_json, int(is_source), int(is_sink), attempt, at)


def node_done(
    run_id: str, label: str, output_json: str | None, at: float, edges: Sequence[tuple[str, str]]
) -> Record:
    """A node completed; its output crossed ``edges`` (upstream, downstream)."""
    return (N_DONE, run_id, label, output_json, at, tuple(edges))


def node_failed(run_id: str, label: str, error: str, attempt: int, at: float) -> Record:
    """An attempt of a node failed with ``error``."""
    return (N_FAIL, run_id, label, error, attempt, at)


def node_paused(run_id: str, label: str, at: float) -> Record:
    """A node paused its run."""
    return (N_PAUSE, run_id, label, at)


def node_skipped(
    run_id: str, label: str, output_json: str | None, at: float, edges: Sequence[tuple[str, str]]
) -> Record:
    """A node's output was taken from an earlier run; it crossed ``edges``."""
    return (N_SKIP, run_id, label, output_json, at, tuple(edges))
