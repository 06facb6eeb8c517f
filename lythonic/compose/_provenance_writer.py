"""The write side of ``DagProvenance``: one connection on one thread, batched commits.

Callers (the event loop, mostly) append small tuples to a queue and return at
once; the values in them are already encoded, so nothing a caller does later
changes the record. The writer thread wakes when records arrive, waits a
short while so more can gather, then applies everything queued in one
``BEGIN IMMEDIATE`` transaction:

- records for the same row are merged first (a node that started and
  finished within one batch is written once, already finished);
- rows go out as multi-row ``INSERT ... ON CONFLICT DO UPDATE`` statements,
  a few hundred rows per statement, so the thread seldom gives up the GIL
  and the event loop is not slowed by lock hand-offs;
- "database is locked" (another process writing) is retried with backoff;
  any other error re-applies the batch row by row, logs the rows that fail
  and keeps the rest;
- ``CALL`` records run a function on the write connection inside the same
  transaction, after everything queued before them (sweeps, pruning).

A caller that gets far ahead of the disk (``max_pending`` records queued)
waits for the writer: memory stays bounded on maps over huge collections.

The writer also keeps this store's row in ``run_owners`` fresh (pid, host,
heartbeat) while it has runs in flight, so another process can tell a live
run from one whose process died.
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import concurrent.futures
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from lythonic.compose._provenance_schema import connect

__all__ = ["BatchWriter", "Owner"]

log = logging.getLogger("lythonic.compose.provenance")

# Record kinds: the first item of every queued tuple.
R_BEGIN, R_RESUME, R_END, R_STATUS, N_START, N_DONE, N_FAIL, N_PAUSE, N_SKIP, CALL, FLUSH = range(
    11
)

_ROWS_PER_STATEMENT = 256
_MAX_BATCH = 50_000
_BUSY_RETRIES = 10


@dataclass(frozen=True, slots=True)
class Owner:
    """The process a store belongs to, as written to ``run_owners``."""

    owner_id: str
    pid: int
    hostname: str
    proc_start: str | None
    started_at: float


class _Merge:
    """Records of one stretch of a batch, merged per row."""

    __slots__ = ("begins", "edges", "nodes", "runs")

    def __init__(self) -> None:
        self.begins = False
        self.runs: dict[str, dict[str, Any]] = {}
        self.nodes: dict[tuple[str, str], dict[str, Any]] = {}
        self.edges: list[tuple[str, str, str, float]] = []

    def add(self, rec: tuple[Any, ...], owner_id: str) -> None:
        op = rec[0]
        nodes = self.nodes
        if op == N_START:
            _, run_id, label, input_json, is_source, is_sink, attempt, ts = rec
            if attempt == 1:
                nodes[(run_id, label)] = {
                    "status": "running",
                    "is_source": is_source,
                    "is_sink": is_sink,
                    "input_json": input_json,
                    "output_json": None,
                    "started_at": ts,
                    "finished_at": None,
                    "error": None,
                    "attempt": 1,
                }
            else:  # a retry: keep the first start time and the last attempt's error
                self._node(
                    (run_id, label),
                    {
                        "status": "running",
                        "input_json": input_json,
                        "finished_at": None,
                        "attempt": attempt,
                    },
                )
        elif op == N_DONE:
            _, run_id, label, output_json, ts, edges = rec
            self._node(
                (run_id, label),
                {"status": "completed", "output_json": output_json, "finished_at": ts},
            )
            for up, down in edges:
                self.edges.append((run_id, up, down, ts))
        elif op == R_BEGIN:
            _, run_id, dag_nsref, parent, inputs_json, initiator, dag_hash, revision, ts = rec
            self.begins = True
            self.runs[run_id] = {
                "dag_nsref": dag_nsref,
                "parent_run_id": parent,
                "status": "running",
                "started_at": ts,
                "finished_at": None,
                "source_inputs_json": inputs_json,
                "sink_outputs_json": None,
                "initiated_by": initiator,
                "dag_hash": dag_hash,
                "config_revision": revision,
                "error": None,
                "owner_id": owner_id,
            }
        elif op == R_END:
            _, run_id, status, sink_json, error, ts = rec
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
                {"status": "failed", "error": error, "finished_at": ts, "attempt": attempt},
            )
        elif op == N_SKIP:
            _, run_id, label, output_json, ts, edges = rec
            nodes[(run_id, label)] = {
                "status": "skipped",
                "is_source": 0,
                "is_sink": 0,
                "input_json": None,
                "output_json": output_json,
                "started_at": ts,
                "finished_at": ts,
                "error": None,
                "attempt": 1,
            }
            for up, down in edges:
                self.edges.append((run_id, up, down, ts))
        elif op == N_PAUSE:
            _, run_id, label, ts = rec
            self._node((run_id, label), {"status": "paused", "finished_at": ts})
        elif op == R_RESUME:
            _, run_id, dag_hash, revision = rec
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
                },
            )
        elif op == R_STATUS:
            _, run_id, status = rec
            self._run(run_id, {"status": status})

    def _node(self, key: tuple[str, str], values: dict[str, Any]) -> None:
        row = self.nodes.get(key)
        if row is None:
            self.nodes[key] = values
        else:
            row.update(values)

    def _run(self, run_id: str, values: dict[str, Any]) -> None:
        row = self.runs.get(run_id)
        if row is None:
            self.runs[run_id] = values
        else:
            row.update(values)

    def statements(self) -> list[tuple[str, str, int, list[tuple[Any, ...]]]]:
        """(head, tail, width, rows) per statement shape; rows of one shape share SQL."""
        out: list[tuple[str, str, int, list[tuple[Any, ...]]]] = []
        groups: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
        updates: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
        for run_id, row in self.runs.items():
            if "dag_nsref" in row:  # begun in this batch: insert (or overwrite)
                groups.setdefault(tuple(row), []).append((run_id, *row.values()))
            else:  # begun earlier: a plain update, as upstream's finish_run
                updates.setdefault(tuple(row), []).append((*row.values(), run_id))
        for cols, rows in groups.items():
            out.append(_upsert("dag_runs", ("run_id",), cols, rows))
        for cols, rows in updates.items():
            assignments = ", ".join(f"{c} = ?" for c in cols)
            out.append((f"UPDATE dag_runs SET {assignments} WHERE run_id = ?", "", -1, rows))
        groups = {}
        for (run_id, label), row in self.nodes.items():
            groups.setdefault(tuple(row), []).append((run_id, label, *row.values()))
        for cols, rows in groups.items():
            out.append(_upsert("node_executions", ("run_id", "node_label"), cols, rows))
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


def _execute(conn: Any, head: str, tail: str, width: int, rows: Sequence[tuple[Any, ...]]) -> None:
    if width < 0:  # a plain statement, one parameter tuple per row
        conn.executemany(head, rows)
        return
    i, n = 0, len(rows)
    while i < n:
        k = min(n - i, _ROWS_PER_STATEMENT)
        k = 1 << (k.bit_length() - 1)  # powers of two: few distinct statements to prepare
        chunk = rows[i : i + k]
        conn.execute(_values_sql(head, tail, width, k), [v for r in chunk for v in r])
        i += k


def _is_busy(e: Exception) -> bool:
    text = str(e).lower()
    return "locked" in text or "busy" in text


class BatchWriter:
    """Applies queued records on its own thread; see the module docstring."""

    def __init__(
        self,
        path: Path,
        owner: Owner,
        active: set[str],
        *,
        clock: Callable[[], float] = time.time,
        interval: float = 0.05,
        heartbeat_interval: float = 5.0,
        max_pending: int = 50_000,
    ) -> None:
        self.path = path
        self.owner = owner
        self.active = active
        self.clock = clock
        self.interval = interval
        self.heartbeat_interval = heartbeat_interval
        self.max_pending = max_pending
        self.queue: collections.deque[tuple[Any, ...]] = collections.deque()
        self._wake = threading.Event()
        self._urgent = threading.Event()
        self._start_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._heartbeat_at: float | None = None

    # -- the callers' side ------------------------------------------------

    def put(self, rec: tuple[Any, ...]) -> None:
        queue = self.queue
        queue.append(rec)
        n = len(queue)
        if n == 1:
            thread = self._thread
            if thread is None or not thread.is_alive():
                self._start()
            self._wake.set()
        elif n >= self.max_pending and not self._on_writer_thread():
            # Far ahead of the disk: wait for the writer, so memory stays bounded.
            self.flush()

    def _signal(self, rec: tuple[Any, ...]) -> None:
        """Queue a marker the writer must see soon (a flush or a call)."""
        self.queue.append(rec)
        thread = self._thread
        if thread is None or not thread.is_alive():
            self._start()
        self._urgent.set()
        self._wake.set()

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is not None and self._thread.is_alive():
                return
            if self._stopping:
                raise RuntimeError(f"provenance store {self.path} is closed")
            self._thread = threading.Thread(
                target=self._main, name=f"lythonic-provenance:{self.path.name}", daemon=True
            )
            _running.add(self)
            self._thread.start()

    def _on_writer_thread(self) -> bool:
        return threading.current_thread() is self._thread

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued so far is committed; False on timeout."""
        if self._on_writer_thread() or (self._thread is None and not self.queue):
            return True
        done = threading.Event()
        self._signal((FLUSH, done))
        return done.wait(timeout)

    async def aflush(self) -> None:
        """``flush`` for coroutines: the event loop keeps running while it waits."""
        if self._thread is None and not self.queue:
            return
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        self._signal((FLUSH, (loop, fut)))
        await fut

    def call(self, fn: Callable[[Any], Any]) -> Any:
        """Run ``fn(connection)`` in a write transaction after what is queued; its result."""
        fut: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self._signal((CALL, fn, fut))
        return fut.result()

    def close(self, timeout: float = 30.0) -> None:
        """Commit what is queued and stop the thread."""
        self._stopping = True
        thread = self._thread
        if thread is None or not thread.is_alive() or self._on_writer_thread():
            return
        self._urgent.set()
        self._wake.set()
        thread.join(timeout)
        if thread.is_alive():
            log.error("%s: provenance writer did not stop within %.0fs", self.path, timeout)

    def stop_soon(self) -> None:
        """Let the thread commit what is queued and end, without waiting for it."""
        self._stopping = True
        self._urgent.set()
        self._wake.set()

    def forget_after_fork(self) -> None:
        """In a forked child: the parent's thread, queue and connection are not ours."""
        self.queue.clear()
        self._thread = None
        self._wake = threading.Event()
        self._urgent = threading.Event()
        self._start_lock = threading.Lock()
        self._heartbeat_at = None

    # -- the writer thread ------------------------------------------------

    def _main(self) -> None:
        try:
            conn = connect(self.path)
        except Exception:
            log.exception("%s: cannot open the provenance database for writing", self.path)
            _running.discard(self)
            self._fail_waiters()
            return
        try:
            while True:
                self._wake.wait(self._idle_timeout())
                self._wake.clear()
                if not self._stopping:
                    self._urgent.wait(self.interval)  # let more records gather
                self._urgent.clear()
                self._cycle(conn)
                if self._stopping and not self.queue:
                    self._release_owner(conn)
                    return
        except Exception:  # a bug of ours: log it, never leave callers waiting
            log.exception("%s: provenance writer stopped", self.path)
            self._fail_waiters()
        finally:
            conn.close()
            _running.discard(self)

    def _idle_timeout(self) -> float:
        if self.active:
            due = (self._heartbeat_at or 0.0) + self.heartbeat_interval - self.clock()
            return max(0.0, min(due, 1.0))
        return 1.0

    def _cycle(self, conn: Any) -> None:
        queue = self.queue
        while True:
            n = min(len(queue), _MAX_BATCH)
            batch = [queue.popleft() for _ in range(n)]
            if not batch and not self._heartbeat_due():
                return
            try:
                self._apply(conn, batch)
            except Exception:  # a bug of ours: lose this batch, not the writer
                log.exception("%s: could not record a batch of provenance", self.path)
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                _abandon(batch, RuntimeError(f"{self.path}: provenance write failed"))
            if not queue:
                return

    def _heartbeat_due(self) -> bool:
        if self._heartbeat_at is None:
            return bool(self.active)
        return bool(self.active) and self.clock() - self._heartbeat_at >= self.heartbeat_interval

    def _apply(self, conn: Any, batch: list[tuple[Any, ...]]) -> None:
        owner_id = self.owner.owner_id
        segments: list[Any] = []
        waiters: list[Any] = []
        merge = _Merge()
        for rec in batch:
            op = rec[0]
            if op < CALL:
                merge.add(rec, owner_id)
            elif op == FLUSH:
                waiters.append(rec[1])
            else:
                segments.append(merge)
                segments.append(rec)
                merge = _Merge()
        segments.append(merge)
        # The owner row goes out with every batch that begins runs (so a run row
        # never names an owner that is not there) and at every heartbeat.
        heartbeat = (
            self._heartbeat_at is None
            or self._heartbeat_due()
            or any(isinstance(seg, _Merge) and seg.begins for seg in segments)
        )
        results = self._transact(conn, segments, heartbeat)
        for fut, ok, value in results:
            if ok:
                fut.set_result(value)
            else:
                fut.set_exception(value)
        for waiter in waiters:
            _release(waiter)

    def _transact(
        self, conn: Any, segments: list[Any], heartbeat: bool
    ) -> list[tuple[Any, bool, Any]]:
        careful = False
        for attempt in range(_BUSY_RETRIES + 1):
            results: list[tuple[Any, bool, Any]] = []
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    now = self.clock()
                    if heartbeat:
                        self._write_owner(conn, now)
                    for seg in segments:
                        if isinstance(seg, _Merge):
                            self._write(conn, seg, careful)
                        else:
                            results.append(self._run_call(conn, seg))
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
                if heartbeat:
                    self._heartbeat_at = now
                return results
            except Exception as e:
                if _is_busy(e) and attempt < _BUSY_RETRIES:
                    delay = min(0.05 * 2**attempt, 5.0)
                    log.warning("%s: database busy (%s); retrying in %.2gs", self.path, e, delay)
                    time.sleep(delay)
                    continue
                if not careful:
                    log.warning("%s: batch failed (%s); writing row by row", self.path, e)
                    careful = True
                    continue
                log.error("%s: could not record a batch of provenance: %s", self.path, e)
                break
        failed = RuntimeError(f"{self.path}: provenance write failed")
        return [(seg[2], False, failed) for seg in segments if not isinstance(seg, _Merge)]

    def _write(self, conn: Any, merge: _Merge, careful: bool) -> None:
        for head, tail, width, rows in merge.statements():
            if not careful:
                _execute(conn, head, tail, width, rows)
                continue
            for row in rows:
                conn.execute("SAVEPOINT row")
                try:
                    _execute(conn, head, tail, width, [row])
                    conn.execute("RELEASE row")
                except Exception as e:
                    conn.execute("ROLLBACK TO row")
                    conn.execute("RELEASE row")
                    log.error("%s: dropped a provenance row %r: %s", self.path, row[:2], e)

    def _run_call(self, conn: Any, rec: tuple[Any, ...]) -> tuple[Any, bool, Any]:
        _, fn, fut = rec
        conn.execute("SAVEPOINT call")
        try:
            value = fn(conn)
            conn.execute("RELEASE call")
            return fut, True, value
        except Exception as e:
            conn.execute("ROLLBACK TO call")
            conn.execute("RELEASE call")
            if _is_busy(e):
                raise
            return fut, False, e

    def _write_owner(self, conn: Any, now: float) -> None:
        o = self.owner
        conn.execute(
            "INSERT OR REPLACE INTO run_owners "
            "(owner_id, pid, hostname, proc_start, started_at, heartbeat_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (o.owner_id, o.pid, o.hostname, o.proc_start, o.started_at, now),
        )

    def _release_owner(self, conn: Any) -> None:
        """On close: drop our owner row unless a run of ours is still marked running."""
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                "DELETE FROM run_owners WHERE owner_id = ? AND NOT EXISTS "
                "(SELECT 1 FROM dag_runs WHERE status = 'running' AND owner_id = ?)",
                (self.owner.owner_id, self.owner.owner_id),
            )
            conn.execute("COMMIT")
        except Exception as e:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            log.debug("%s: owner row left for the next sweep: %s", self.path, e)

    def _fail_waiters(self) -> None:
        batch = []
        while self.queue:
            batch.append(self.queue.popleft())
        _abandon(batch, RuntimeError(f"provenance writer for {self.path} stopped"))


def _abandon(batch: list[tuple[Any, ...]], error: Exception) -> None:
    """Release whoever waits on records that will not be written."""
    for rec in batch:
        if rec[0] == FLUSH:
            _release(rec[1])
        elif rec[0] == CALL and not rec[2].done():
            rec[2].set_exception(error)


# Writers whose thread runs; strong references, so a store dropped by its user
# still gets its queue committed (at exit at the latest).
_running: set[BatchWriter] = set()


@atexit.register
def _drain_at_exit() -> None:
    for writer in list(_running):
        writer.close()


def _release(waiter: Any) -> None:
    if isinstance(waiter, threading.Event):
        waiter.set()
        return
    loop, fut = waiter
    with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
        loop.call_soon_threadsafe(_resolve, fut)


def _resolve(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)
