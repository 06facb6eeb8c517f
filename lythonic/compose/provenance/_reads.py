"""The read side of ``DagProvenance``: upstream's raw rows and the inspection models.

Every read first waits for the writer to commit what this store queued
before it, so a read always sees the store's own earlier writes. Reads share
one connection, guarded by a lock; in WAL mode they never wait for writers.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from lythonic.compose.provenance._batch import NODE_COLS, RUN_COLS
from lythonic.compose.provenance._models import (
    DagRun,
    EdgeTraversal,
    IoPayload,
    NodeExecution,
    to_datetime,
)

__all__ = ["ChildDigest", "LogLine", "ProvenanceReads", "digest"]


def digest(text: str | None) -> str | None:
    """A short, stable digest of a recorded JSON text: equal texts, equal digests.

    >>> digest('{"a": 1}') == digest('{"a": 1}') != digest('{"a": 2}'), digest(None)
    (True, None)
    """
    if text is None:
        return None
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


_LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}


@dataclass(frozen=True, slots=True)
class LogLine:
    """One line a step logged, as ``node_log_lines`` reads it back."""

    node_label: str
    attempt: int
    seq: int
    ts: float
    level: str
    logger: str
    message: str


@dataclass(slots=True)
class ChildDigest:
    """A child run as ``child_digests`` gives it: status, and per step (status, attempt,
    output digest)."""

    status: str
    steps: dict[str, tuple[str, int, str | None]]


T = TypeVar("T")

_CHUNK = 500  # ids per IN (...) list
_RUN_COLS = (
    "run_id, dag_nsref, parent_run_id, status, started_at, finished_at, initiated_by, "
    "dag_hash, config_revision, error"
)
# The columns as the writer defines them (one definition per table); reads show
# every run column but the owner, which is bookkeeping of the sweep.
_RUN_KEYS = ("run_id", *(c for c in RUN_COLS if c != "owner_id"))
_NODE_KEYS = ("run_id", "node_label", *NODE_COLS)


def _chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def _marks(n: int) -> str:
    return ",".join("?" * n)


class ProvenanceReads:
    """Read methods; the class mixing this in provides ``_reader`` and ``_flush_for_read``."""

    _reader: sqlite3.Connection | None
    _read_lock: threading.Lock
    # Provided by the class mixing this in (DagProvenance):
    _flush_for_read: Callable[[], None]  # commit queued writes before a read
    _open_reader: Callable[[], sqlite3.Connection]  # a fresh read connection

    def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        self._flush_for_read()
        with self._read_lock:
            if self._reader is None:
                self._reader = self._open_reader()
            return fn(self._reader)

    def live_owners(self, now: float, stale_after: float) -> list[dict[str, Any]]:
        """Processes whose heartbeat is younger than ``stale_after`` seconds: their
        owner id, pid, host, start and last heartbeat (epoch seconds), oldest first."""
        rows = self._read(
            lambda c: c.execute(
                "SELECT owner_id, pid, hostname, started_at, heartbeat_at FROM run_owners "
                "WHERE heartbeat_at >= ? ORDER BY started_at",
                (now - stale_after,),
            ).fetchall()
        )
        keys = ("owner_id", "pid", "host", "started_at", "heartbeat_at")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    # -- upstream's raw reads -------------------------------------------------

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        """The run's row as a dict (upstream's keys plus ``dag_hash``, ``config_revision``,
        ``error``), or None."""
        row = self._read(
            lambda c: c.execute(
                f"SELECT {', '.join(_RUN_KEYS)} FROM dag_runs WHERE run_id = ?", (run_id,)
            ).fetchone()
        )
        return None if row is None else dict(zip(_RUN_KEYS, row, strict=True))

    def get_node_executions(self, run_id: str) -> list[dict[str, Any]]:
        """Every node row of the run (upstream's keys plus ``attempt``)."""
        rows = self._read(
            lambda c: c.execute(
                f"SELECT {', '.join(_NODE_KEYS)} FROM node_executions WHERE run_id = ?",
                (run_id,),
            ).fetchall()
        )
        out = []
        for r in rows:
            d = dict(zip(_NODE_KEYS, r, strict=True))
            d["is_source"], d["is_sink"] = bool(d["is_source"]), bool(d["is_sink"])
            out.append(d)
        return out

    def get_node_output(self, run_id: str, node_label: str) -> str | None:
        """The output JSON of a completed or skipped node, else None."""
        row = self._read(
            lambda c: c.execute(
                "SELECT output_json FROM node_executions WHERE run_id = ? AND node_label = ? "
                "AND status IN ('completed', 'skipped')",
                (run_id, node_label),
            ).fetchone()
        )
        return None if row is None else row[0]

    def get_pending_nodes(self, run_id: str) -> list[str]:
        """Labels of nodes that did not finish: pending, running, failed, paused, cancelled,
        interrupted."""
        rows = self._read(
            lambda c: c.execute(
                "SELECT node_label FROM node_executions WHERE run_id = ? AND status IN "
                "('pending', 'running', 'failed', 'paused', 'cancelled', 'interrupted')",
                (run_id,),
            ).fetchall()
        )
        return [r[0] for r in rows]

    def get_edge_traversals(self, run_id: str) -> list[dict[str, Any]]:
        """The run's edge rows in traversal order."""
        rows = self._read(
            lambda c: c.execute(
                "SELECT run_id, upstream_label, downstream_label, traversed_at "
                "FROM edge_traversals WHERE run_id = ? ORDER BY traversed_at, rowid",
                (run_id,),
            ).fetchall()
        )
        keys = ("run_id", "upstream_label", "downstream_label", "traversed_at")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    # -- inspection models ----------------------------------------------------

    def inspect_run(self, run_id: str, *, children: bool = True) -> DagRun | None:
        """The run with its nodes, edges and (nested) child runs; ``io`` is not loaded.

        ``children=False`` leaves child runs out (``sub_dags`` stays None): a
        map over many elements has as many child runs.
        """

        def read(c: sqlite3.Connection) -> DagRun | None:
            rows = c.execute(f"SELECT {_RUN_COLS} FROM dag_runs WHERE run_id = ?", (run_id,))
            runs = _load_runs(c, rows.fetchall(), children)
            return runs[0] if runs else None

        return self._read(read)

    def load_io(
        self,
        dag_run: DagRun,
        node_labels: Sequence[str] | None = None,
        *,
        max_bytes: int | None = None,
    ) -> None:
        """Fill ``dag_run.io`` and ``node.io`` (all nodes, or ``node_labels``) in one read.

        With ``max_bytes``, a JSON text longer than that is left out and only
        its size is set. Child runs are not loaded; call ``load_io`` on them.
        """
        labels = list(node_labels) if node_labels is not None else list(dag_run.nodes)
        limit = max_bytes if max_bytes is not None else -1

        def pick(text: Any, size: Any) -> Any:
            return text if limit < 0 or (size is not None and size <= limit) else None

        def read(c: sqlite3.Connection) -> None:
            row = c.execute(
                "SELECT source_inputs_json, sink_outputs_json, length(source_inputs_json), "
                "length(sink_outputs_json) FROM dag_runs WHERE run_id = ?",
                (dag_run.run_id,),
            ).fetchone()
            if row is not None:
                dag_run.io = IoPayload(
                    input_json=pick(row[0], row[2]),
                    output_json=pick(row[1], row[3]),
                    input_size=row[2],
                    output_size=row[3],
                )
            for chunk in _chunks(labels):
                for label, inp, out, n_in, n_out in c.execute(
                    "SELECT node_label, input_json, output_json, length(input_json), "
                    "length(output_json) FROM node_executions "
                    f"WHERE run_id = ? AND node_label IN ({_marks(len(chunk))})",
                    (dag_run.run_id, *chunk),
                ):
                    node = dag_run.nodes.get(label)
                    if node is not None:
                        node.io = IoPayload(
                            input_json=pick(inp, n_in),
                            output_json=pick(out, n_out),
                            input_size=n_in,
                            output_size=n_out,
                        )

        self._read(read)

    def get_recent_runs(
        self,
        limit: int = 20,
        status: str | None = None,
        *,
        top_level_only: bool = False,
        dag_nsref: str | None = None,
        children: bool = True,
    ) -> list[DagRun]:
        """Runs newest first. ``top_level_only`` leaves out child runs (map elements,
        sub-DAG calls), which still appear nested under their parent's nodes unless
        ``children=False``."""
        where, params = [], []
        if status:
            where.append("status = ?")
            params.append(status)
        if top_level_only:
            where.append("parent_run_id IS NULL")
        if dag_nsref is not None:
            where.append("dag_nsref = ?")
            params.append(dag_nsref)
        clause = f"WHERE {' AND '.join(where)} " if where else ""
        sql = f"SELECT {_RUN_COLS} FROM dag_runs {clause}ORDER BY started_at DESC LIMIT ?"
        return self._read(
            lambda c: _load_runs(c, c.execute(sql, (*params, limit)).fetchall(), children)
        )

    def runs_page(
        self,
        *,
        limit: int = 50,
        before: tuple[float, str] | None = None,
        dag_nsref: str | None = None,
        status: str | None = None,
        initiator: str | None = None,
        trigger: str | None = None,
    ) -> tuple[list[DagRun], list[tuple[float, str]]]:
        """Top-level runs, newest first (by start, then run id), without child runs,
        and their keys (the last one's is ``before`` of the next page).

        ``before`` is the ``(started_at epoch, run_id)`` key of the last run of the
        previous page, exact as stored (keyset pagination: the hundredth page
        costs what the first does). ``trigger`` keeps the runs a trigger's ticks
        started (their ids are ``"<trigger>@<time>"``).
        """
        where: list[str] = ["parent_run_id IS NULL"]
        params: list[Any] = []
        for column, value in (
            ("dag_nsref", dag_nsref),
            ("status", status),
            ("initiated_by", initiator),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if trigger is not None:
            where.append("run_id >= ? AND run_id < ?")
            params += [f"{trigger}@", f"{trigger}A"]  # "A" follows "@"
        if before is not None:
            where.append("(started_at < ? OR (started_at = ? AND run_id < ?))")
            params += [before[0], before[0], before[1]]
        sql = (
            f"SELECT {_RUN_COLS} FROM dag_runs WHERE {' AND '.join(where)} "
            "ORDER BY started_at DESC, run_id DESC LIMIT ?"
        )
        return self._read(lambda c: _keyed(c, c.execute(sql, (*params, limit)).fetchall()))

    def children_page(
        self,
        run_id: str,
        step: str,
        *,
        limit: int = 50,
        after: tuple[float, str] | None = None,
        status: str | None = None,
    ) -> tuple[list[DagRun], list[tuple[float, str]]]:
        """Child runs of composite ``step`` of the run, oldest first (by start, then
        run id), with their nodes, and their keys; ``after`` is the
        ``(started_at epoch, run_id)`` key of the last child of the previous page."""

        def read(c: sqlite3.Connection) -> tuple[list[DagRun], list[tuple[float, str]]]:
            parent = c.execute("SELECT dag_nsref FROM dag_runs WHERE run_id = ?", (run_id,))
            row = parent.fetchone()
            if row is None:
                return [], []
            where = "parent_run_id = ? AND dag_nsref >= ? AND dag_nsref < ?"
            params: list[Any] = [run_id, f"{row[0]}/{step}[", f"{row[0]}/{step}\\"]
            if status is not None:
                where += " AND status = ?"
                params.append(status)
            if after is not None:
                where += " AND (started_at > ? OR (started_at = ? AND run_id > ?))"
                params += [after[0], after[0], after[1]]
            rows = c.execute(
                f"SELECT {_RUN_COLS} FROM dag_runs WHERE {where} "
                "ORDER BY started_at, run_id LIMIT ?",
                (*params, limit),
            ).fetchall()
            return _keyed(c, rows)

        return self._read(read)

    def child_digests(self, run_id: str) -> dict[str, ChildDigest]:
        """Per child run of the run (keyed like ``"chunks[3]"``): its status and, per
        step, the step's status, attempt and a digest of its recorded output (None when
        nothing is recorded). Outputs are hashed as read, never decoded or kept: a map
        over 100,000 elements costs its digests, not its values."""

        def read(c: sqlite3.Connection) -> dict[str, ChildDigest]:
            parent = c.execute("SELECT dag_nsref FROM dag_runs WHERE run_id = ?", (run_id,))
            row = parent.fetchone()
            if row is None:
                return {}
            start = len(row[0]) + 1
            out: dict[str, ChildDigest] = {}
            rows = c.execute(
                "SELECT r.dag_nsref, r.status, n.node_label, n.status, n.attempt, n.output_json "
                "FROM dag_runs r LEFT JOIN node_executions n ON n.run_id = r.run_id "
                "WHERE r.parent_run_id = ?",
                (run_id,),
            )
            for nsref, status, label, node_status, attempt, output in rows:
                key = nsref[start:]
                child = out.get(key)
                if child is None:
                    child = out[key] = ChildDigest(status, {})
                if label is not None:
                    child.steps[label] = (node_status, attempt or 1, digest(output))
            return out

        return self._read(read)

    def node_log_lines(
        self,
        run_id: str,
        *,
        node_label: str | None = None,
        attempt: int | None = None,
        min_level: int | None = None,
        after: tuple[str, int, int] | None = None,
        limit: int = 5_000,
    ) -> list[LogLine]:
        """Lines the run's steps logged, by step, attempt and order (the table's key:
        a page of a run with a million lines is read as fast as the first); ``after``
        is the ``(step, attempt, seq)`` of the last line of the previous page."""
        where: list[str] = ["run_id = ?"]
        params: list[Any] = [run_id]
        if node_label is not None:
            where.append("node_label = ?")
            params.append(node_label)
        if attempt is not None:
            where.append("attempt = ?")
            params.append(attempt)
        if after is not None:
            where.append("(node_label, attempt, seq) > (?, ?, ?)")
            params += list(after)
        if min_level is not None:
            names = [n for n, v in _LEVELS.items() if v >= min_level]
            where.append(f"level IN ({_marks(len(names))})")
            params += names
        sql = (
            "SELECT node_label, attempt, seq, ts, level, logger, message FROM node_logs "
            f"WHERE {' AND '.join(where)} ORDER BY node_label, attempt, seq LIMIT ?"
        )
        rows = self._read(lambda c: c.execute(sql, (*params, limit)).fetchall())
        return [LogLine(*row) for row in rows]

    def node_log_marks(self, run_id: str) -> dict[tuple[str, int], int]:
        """The last ``seq`` kept per ``(step, attempt)`` of a run: a follower asks for
        what came after each (lines arrive for any step, not in key order)."""
        sql = (
            "SELECT node_label, attempt, MAX(seq) FROM node_logs WHERE run_id = ? "
            "GROUP BY node_label, attempt"
        )
        rows = self._read(lambda c: c.execute(sql, (run_id,)).fetchall())
        return {(label, int(attempt)): int(seq) for label, attempt, seq in rows}

    def node_value(
        self, run_id: str, node_label: str, which: str, *, max_bytes: int | None = None
    ) -> tuple[str | None, int | None]:
        """A step's recorded ``"input"`` or ``"output"`` JSON text and its length; with
        ``max_bytes``, only its first ``max_bytes`` characters. ``(None, None)`` when
        nothing is recorded."""
        column = {"input": "input_json", "output": "output_json"}[which]
        text = column if max_bytes is None else f"substr({column}, 1, {int(max_bytes)})"
        row = self._read(
            lambda c: c.execute(
                f"SELECT {text}, length({column}) FROM node_executions "
                "WHERE run_id = ? AND node_label = ?",
                (run_id, node_label),
            ).fetchone()
        )
        return (None, None) if row is None else (row[0], row[1])

    def get_active_runs(self) -> list[DagRun]:
        """Runs still marked running (up to 100)."""
        return self.get_recent_runs(limit=100, status="running")

    def child_counts(self, run_id: str) -> dict[str, dict[str, int]]:
        """Per composite step of the run, how many child runs ended in each status
        (``{"chunks": {"completed": 99998, "failed": 2}}``), counted in SQL: a map
        over 100,000 elements is summed, not loaded."""

        def read(c: sqlite3.Connection) -> dict[str, dict[str, int]]:
            row = c.execute("SELECT dag_nsref FROM dag_runs WHERE run_id = ?", (run_id,))
            parent = row.fetchone()
            if parent is None:
                return {}
            start = len(parent[0]) + 2  # after "<parent dag>/"
            counts: dict[str, dict[str, int]] = {}
            for label, status, n in c.execute(
                "SELECT substr(key, 1, instr(key, '[') - 1) AS label, status, count(*) FROM "
                "(SELECT substr(dag_nsref, ?) AS key, status FROM dag_runs "
                "WHERE parent_run_id = ?) AS children GROUP BY label, status",
                (start, run_id),
            ):
                counts.setdefault(label, {})[status] = n
            return counts

        return self._read(read)

    def unfinished_child_runs(
        self,
        run_id: str,
        *,
        step: str | None = None,
        key: str | None = None,
        limit: int = 10,
        statuses: Sequence[str] = ("failed",),
    ) -> list[DagRun]:
        """Child runs of the run (of its composite ``step`` only, or the one child
        ``key`` such as ``chunks[3]``, if given) with one of ``statuses``, oldest
        first, with their nodes (not their own children): a map's failed elements."""

        def read(c: sqlite3.Connection) -> list[DagRun]:
            where, params = "", []
            if step is not None or key is not None:
                parent = c.execute("SELECT dag_nsref FROM dag_runs WHERE run_id = ?", (run_id,))
                row = parent.fetchone()
                if row is None:
                    return []
                if key is not None:
                    where, params = " AND dag_nsref = ?", [f"{row[0]}/{key}"]
                else:  # children of the step are named "<parent dag>/<step>[...]"
                    where = " AND dag_nsref >= ? AND dag_nsref < ?"
                    params = [f"{row[0]}/{step}[", f"{row[0]}/{step}\\"]
            rows = c.execute(
                f"SELECT {_RUN_COLS} FROM dag_runs WHERE parent_run_id = ?{where} AND status IN "
                f"({_marks(len(statuses))}) ORDER BY started_at LIMIT ?",
                (run_id, *params, *statuses, limit),
            ).fetchall()
            return _load_runs(c, rows, children=False)

        return self._read(read)

    def find_run_ids(self, prefix: str, *, limit: int = 10) -> list[str]:
        """Run ids starting with ``prefix`` (an index range scan), at most ``limit``."""
        if not prefix:
            return []
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        rows = self._read(
            lambda c: c.execute(
                "SELECT run_id FROM dag_runs WHERE run_id >= ? AND run_id < ? ORDER BY run_id "
                "LIMIT ?",
                (prefix, upper, limit),
            ).fetchall()
        )
        return [r[0] for r in rows]

    def get_child_runs(self, parent_run_id: str) -> list[DagRun]:
        """Every descendant of a run (children, grandchildren …) in start order."""
        cols = ", ".join(f"d.{c.strip()}" for c in _RUN_COLS.split(","))
        sql = (
            "WITH RECURSIVE tree(run_id) AS ("
            " SELECT run_id FROM dag_runs WHERE parent_run_id = ?"
            " UNION ALL SELECT d.run_id FROM dag_runs d JOIN tree t ON d.parent_run_id = t.run_id"
            f") SELECT {cols} FROM dag_runs d JOIN tree USING (run_id) ORDER BY d.started_at"
        )
        return self._read(lambda c: _load_runs(c, c.execute(sql, (parent_run_id,)).fetchall()))


def _load_runs(
    c: sqlite3.Connection, rows: list[tuple[Any, ...]], children: bool = True
) -> list[DagRun]:
    """Models for ``rows`` with their nodes and edges, and their child runs nested."""
    if not rows:
        return []
    runs = [
        DagRun(
            run_id=r[0],
            dag_nsref=r[1],
            parent_run_id=r[2],
            status=r[3],
            started_at=to_datetime(r[4]),
            finished_at=to_datetime(r[5]),
            initiated_by=r[6],
            dag_hash=r[7],
            config_revision=r[8],
            error=r[9],
        )
        for r in rows
    ]
    by_id = {run.run_id: run for run in runs}
    ids = list(by_id)
    for chunk in _chunks(ids):
        marks = _marks(len(chunk))
        for run_id, label, status, src, sink, started, finished, error, attempt in c.execute(
            "SELECT run_id, node_label, status, is_source, is_sink, started_at, finished_at, "
            f"error, attempt FROM node_executions WHERE run_id IN ({marks})",
            chunk,
        ):
            by_id[run_id].nodes[label] = NodeExecution(
                node_label=label,
                status=status,
                is_source=bool(src),
                is_sink=bool(sink),
                started_at=to_datetime(started),
                finished_at=to_datetime(finished),
                error=error,
                attempt=attempt if attempt is not None else 1,
            )
        for run_id, up, down, at in c.execute(
            "SELECT run_id, upstream_label, downstream_label, traversed_at FROM edge_traversals "
            f"WHERE run_id IN ({marks}) ORDER BY traversed_at, rowid",
            chunk,
        ):
            node = by_id[run_id].nodes.get(up)
            if node is not None:
                node.edges.append(
                    EdgeTraversal(downstream_label=down, traversed_at=to_datetime(at))
                )
    if not children:
        return runs
    child_rows: list[tuple[Any, ...]] = []
    for chunk in _chunks(ids):
        child_rows.extend(
            c.execute(
                f"SELECT {_RUN_COLS} FROM dag_runs WHERE parent_run_id IN ({_marks(len(chunk))}) "
                "ORDER BY started_at",
                chunk,
            ).fetchall()
        )
    for child in _load_runs(c, child_rows):
        _attach(by_id.get(child.parent_run_id or ""), child)
    return runs


def _keyed(
    c: sqlite3.Connection, rows: list[tuple[Any, ...]]
) -> tuple[list[DagRun], list[tuple[float, str]]]:
    """The runs of ``rows`` (no children) and their exact ``(started_at, run_id)`` keys:
    a model's datetime keeps microseconds, the stored time may hold more."""
    return _load_runs(c, rows, children=False), [(float(r[4]), str(r[0])) for r in rows]


def _attach(parent: DagRun | None, child: DagRun) -> None:
    """Hang a child run under the composite node its ``dag_nsref`` names."""
    if parent is None:
        return
    prefix = parent.dag_nsref + "/"
    if not child.dag_nsref.startswith(prefix):
        return
    key = child.dag_nsref[len(prefix) :]
    bracket = key.find("[")
    node = parent.nodes.get(key[:bracket] if bracket >= 0 else key)
    if node is not None:
        if node.sub_dags is None:
            node.sub_dags = {}
        node.sub_dags[key] = child
