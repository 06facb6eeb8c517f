"""One batch of provenance records, merged per row and turned into few SQL statements.

Records for the same row are merged first (a node that started and finished
within one batch is written once, already finished). Rows then go out as
multi-row ``INSERT ... ON CONFLICT DO UPDATE`` statements of up to a few
hundred rows each: the writer thread seldom gives up the GIL (once per
statement instead of once per row), so the event loop is not slowed by lock
hand-offs.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from lythonic.compose.provenance._records import (
    LOG,
    N_DONE,
    N_FAIL,
    N_PAUSE,
    N_SKIP,
    N_START,
    R_BEGIN,
    R_END,
    R_RESUME,
    R_STATUS,
)

__all__ = ["NODE_COLS", "RUN_COLS", "Merge", "execute_rows"]


_ROWS_PER_STATEMENT = 256


NODE_COLS = (
    "status",
    "is_source",
    "is_sink",
    "input_json",
    "output_json",
    "started_at",
    "finished_at",
    "error",
    "attempt",
)
RUN_COLS = (
    "dag_nsref",
    "parent_run_id",
    "status",
    "started_at",
    "finished_at",
    "source_inputs_json",
    "sink_outputs_json",
    "initiated_by",
    "dag_hash",
    "config_revision",
    "error",
    "owner_id",
    "code_json",
)
_N = {c: i for i, c in enumerate(NODE_COLS)}
_R = {c: i for i, c in enumerate(RUN_COLS)}


class Merge:
    """Records of one stretch of a batch, merged per row.

    A row that starts in this batch is held whole (a list in column order)
    and later records set its fields in place; a row that started in an
    earlier batch collects only the columns its records set, and is written
    as a partial upsert (nodes) or update (runs).
    """

    __slots__ = (
        "begins",
        "edges",
        "full_nodes",
        "full_runs",
        "logs",
        "nodes",
        "runs",
        "stopped",
    )

    def __init__(self) -> None:
        self.begins = False
        # Runs that ended: their nodes still running end too, as (status, ts, run_id).
        # A cancelled or interrupted run's are ``interrupted``; those of a run that
        # ended otherwise (a sibling failed, so the rest were cancelled) ``cancelled``.
        self.stopped: list[tuple[str, float, str]] = []
        self.full_runs: dict[str, list[Any]] = {}
        self.full_nodes: dict[tuple[str, str], list[Any]] = {}
        self.runs: dict[str, dict[str, Any]] = {}
        self.nodes: dict[tuple[str, str], dict[str, Any]] = {}
        self.edges: list[tuple[str, str, str, float]] = []
        self.logs: dict[tuple[str, str, int, int], tuple[Any, ...]] = {}

    def add(self, rec: tuple[Any, ...], owner_id: str) -> None:
        op = rec[0]
        if op == N_START:
            _, run_id, label, input_json, is_source, is_sink, attempt, ts = rec
            key = (run_id, label)
            if attempt == 1:
                self.nodes.pop(key, None)
                self.full_nodes[key] = [
                    "running", is_source, is_sink, input_json, None, ts, None, None, 1
                ]  # fmt: skip
            else:  # a retry: keep the first start time and the last attempt's error
                self._node(
                    key,
                    {"status": "running", "input_json": input_json, "finished_at": None},
                    attempt=attempt,
                )
        elif op == N_DONE:
            _, run_id, label, output_json, ts, edges = rec
            row = self.full_nodes.get((run_id, label))
            if row is not None:
                row[0], row[4], row[6] = "completed", output_json, ts
            else:
                self._node(
                    (run_id, label),
                    {"status": "completed", "output_json": output_json, "finished_at": ts},
                )
            for up, down in edges:
                self.edges.append((run_id, up, down, ts))
        elif op == R_BEGIN:
            (_, run_id, dag_nsref, parent, inputs_json, initiator, dag_hash, revision, ts,
             code_json) = rec  # fmt: skip
            self.begins = True
            self.runs.pop(run_id, None)
            self.full_runs[run_id] = [
                dag_nsref, parent, "running", ts, None, inputs_json, None, initiator,
                dag_hash, revision, None, owner_id, code_json,
            ]  # fmt: skip
        elif op == R_END:
            _, run_id, status, sink_json, error, ts = rec
            if status != "running":
                node_status = (
                    "interrupted" if status in ("cancelled", "interrupted") else "cancelled"
                )
                self.stopped.append((node_status, ts, run_id))
            self._run(
                run_id,
                {
                    "status": status,
                    "finished_at": ts,
                    "sink_outputs_json": sink_json,
                    "error": error,
                },
            )
        elif op == N_FAIL:
            _, run_id, label, error, attempt, ts = rec
            self._node(
                (run_id, label),
                {"status": "failed", "error": error, "finished_at": ts},
                attempt=attempt,
            )
        elif op == N_SKIP:
            _, run_id, label, output_json, ts, edges = rec
            key = (run_id, label)
            self.nodes.pop(key, None)
            self.full_nodes[key] = ["skipped", 0, 0, None, output_json, ts, ts, None, 1]
            for up, down in edges:
                self.edges.append((run_id, up, down, ts))
        elif op == N_PAUSE:
            _, run_id, label, ts = rec
            self._node((run_id, label), {"status": "paused", "finished_at": ts})
        elif op == R_RESUME:
            _, run_id, dag_hash, revision, code_json = rec
            self.begins = True
            self._run(
                run_id,
                {
                    "status": "running",
                    "finished_at": None,
                    "error": None,
                    "owner_id": owner_id,
                    "dag_hash": dag_hash,
                    "config_revision": revision,
                    "code_json": code_json,
                },
            )
        elif op == R_STATUS:
            _, run_id, status = rec
            self._run(run_id, {"status": status})
        elif op == LOG:
            self.logs[(rec[1], rec[2], rec[3], rec[4])] = rec[1:]

    def _node(self, key: tuple[str, str], values: dict[str, Any], attempt: int = 0) -> None:
        if attempt:
            values["attempt"] = attempt
        full = self.full_nodes.get(key)
        if full is not None:
            for col, value in values.items():
                full[_N[col]] = value
            return
        row = self.nodes.get(key)
        if row is None:
            self.nodes[key] = values
        else:
            row.update(values)

    def _run(self, run_id: str, values: dict[str, Any]) -> None:
        full = self.full_runs.get(run_id)
        if full is not None:
            for col, value in values.items():
                full[_R[col]] = value
            return
        row = self.runs.get(run_id)
        if row is None:
            self.runs[run_id] = values
        else:
            row.update(values)

    def changes_runs(self) -> bool:
        """Whether this batch writes a run's record or log lines."""
        return bool(self.full_runs or self.runs or self.logs)

    def statements(self) -> list[tuple[str, str, int, list[tuple[Any, ...]]]]:
        """(head, tail, width, rows) per statement shape; rows of one shape share SQL."""
        out: list[tuple[str, str, int, list[tuple[Any, ...]]]] = []
        if self.full_runs:
            rows = [(run_id, *row) for run_id, row in self.full_runs.items()]
            out.append(_upsert("dag_runs", ("run_id",), RUN_COLS, rows))
        updates: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
        for run_id, values in self.runs.items():  # begun earlier: as upstream's finish_run
            updates.setdefault(tuple(values), []).append((*values.values(), run_id))
        for cols, rows in updates.items():
            assignments = ", ".join(f"{c} = ?" for c in cols)
            out.append((f"UPDATE dag_runs SET {assignments} WHERE run_id = ?", "", -1, rows))
        if self.full_nodes:
            rows = [(run_id, label, *row) for (run_id, label), row in self.full_nodes.items()]
            out.append(_upsert("node_executions", ("run_id", "node_label"), NODE_COLS, rows))
        groups: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
        for (run_id, label), values in self.nodes.items():
            groups.setdefault(tuple(values), []).append((run_id, label, *values.values()))
        for cols, rows in groups.items():
            out.append(_upsert("node_executions", ("run_id", "node_label"), cols, rows))
        if self.stopped:
            out.append(
                (
                    "UPDATE node_executions SET status = ?, finished_at = ? "
                    "WHERE run_id = ? AND status = 'running'",
                    "",
                    -1,
                    list(self.stopped),
                )
            )
        if self.logs:
            out.append(
                (
                    "INSERT OR REPLACE INTO node_logs "
                    "(run_id, node_label, attempt, seq, ts, level, logger, message) VALUES ",
                    "",
                    8,
                    list(self.logs.values()),
                )
            )
        if self.edges:
            out.append(
                (
                    "INSERT OR REPLACE INTO edge_traversals "
                    "(run_id, upstream_label, downstream_label, traversed_at) VALUES ",
                    "",
                    4,
                    self.edges,
                )
            )
        return out


def _upsert(
    table: str, key: tuple[str, ...], cols: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> tuple[str, str, int, list[tuple[Any, ...]]]:
    names = ", ".join((*key, *cols))
    head = f"INSERT INTO {table} ({names}) VALUES "
    sets = ", ".join(f"{c} = excluded.{c}" for c in cols)
    tail = f" ON CONFLICT({', '.join(key)}) DO UPDATE SET {sets}"
    return head, tail, len(key) + len(cols), rows


@lru_cache(maxsize=256)
def _values_sql(head: str, tail: str, width: int, count: int) -> str:
    group = "(" + ",".join("?" * width) + ")"
    return head + ",".join([group] * count) + tail


def execute_rows(
    conn: Any, head: str, tail: str, width: int, rows: Sequence[tuple[Any, ...]]
) -> None:
    if width < 0:  # a plain statement, one parameter tuple per row
        conn.executemany(head, rows)
        return
    if getattr(conn, "rows_one_by_one", False):  # PostgreSQL: its own way with many rows
        conn.executemany(_values_sql(head, tail, width, 1), rows)
        return
    i, n = 0, len(rows)
    while i < n:
        k = min(n - i, _ROWS_PER_STATEMENT)
        k = 1 << (k.bit_length() - 1)  # powers of two: few distinct statements to prepare
        chunk = rows[i : i + k]
        conn.execute(_values_sql(head, tail, width, k), [v for r in chunk for v in r])
        i += k
