"""The write side of ``DagProvenance``: one connection on one thread, batched commits.

Callers (the event loop, mostly) append small tuples to a queue and return at
once; the values in them are already encoded, so nothing a caller does later
changes the record. The writer thread wakes when records arrive, waits up
to ``interval`` (200 ms) so more can gather, or less when a caller waits for
a flush, then applies everything queued in one ``BEGIN IMMEDIATE``
transaction. A coroutine's flush hurries the writer only once the event loop
has run the callbacks ready at that moment: when a burst of runs starts
together, the writer (which needs the GIL for its Python work) waits until
they have all started instead of slowing each of them down.

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

import atexit
import collections
import concurrent.futures
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio

from lythonic._connect import is_busy
from lythonic._events import event
from lythonic.compose.provenance._batch import Merge, execute_rows
from lythonic.compose.provenance._owners import Owner
from lythonic.compose.provenance._records import CALL, FLUSH
from lythonic.compose.provenance._schema import connect as _connect_file

__all__ = ["BatchWriter", "ProvenanceWriteError"]

log = logging.getLogger("lythonic.compose.provenance")

_MAX_BATCH = 50_000
_BUSY_RETRIES = 10


class ProvenanceWriteError(RuntimeError):
    """What was recorded could not be committed (the error is logged with its cause)."""


class BatchWriter:
    """Applies queued records on its own thread; see the module docstring."""

    def __init__(
        self,
        path: Path,
        owner: Owner,
        active: set[str],
        *,
        clock: Callable[[], float] = time.time,
        interval: float = 0.2,
        heartbeat_interval: float = 5.0,
        max_pending: int = 50_000,
        connect: Callable[[], Any] | None = None,
    ) -> None:
        self.path = path
        self._connect = connect if connect is not None else lambda: _connect_file(path)
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
        self._hurry_pending = False
        self.always_beat = False

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

    def _signal(self, rec: tuple[Any, ...], loop: asyncio.AbstractEventLoop | None = None) -> None:
        """Queue a marker the writer must see soon (a flush or a call).

        With ``loop`` (a coroutine waits for the marker), the writer is hurried
        once the loop has run the callbacks that are ready now: when a burst of
        runs starts together, the writer's work (which needs the GIL) comes after
        the runs have started, not between them, and one batch takes them all.
        """
        self.queue.append(rec)
        thread = self._thread
        if thread is None or not thread.is_alive():
            self._start()
        if loop is None:
            self._hurry()
        elif not self._hurry_pending:
            self._hurry_pending = True
            loop.call_soon(self._hurry)

    def _hurry(self) -> None:
        self._hurry_pending = False
        # Setting an Event takes its lock even when it is already set; in a burst of
        # runs finishing together most of these find it set.
        if not self._urgent.is_set():
            self._urgent.set()
        if not self._wake.is_set():
            self._wake.set()

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is not None and self._thread.is_alive():
                return
            if self._stopping:
                raise RuntimeError(f"provenance store {self.path} is closed")
            self._thread = threading.Thread(
                target=self._main,
                name=f"lythonic-provenance:{Path(str(self.path)).name}",
                daemon=True,
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
        """``flush`` for coroutines: the event loop keeps running while it waits.

        Raises ``ProvenanceWriteError`` when what was queued could not be committed.
        """
        if self._thread is None and not self.queue:
            return
        import asyncio  # only coroutines call this: a reader of history need not load it

        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        self._signal((FLUSH, (loop, fut)), loop)
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
            log.error(
                "%s: provenance writer did not stop within %.0fs",
                self.path,
                timeout,
                extra=event("provenance_writer_stuck", store=str(self.path), timeout=timeout),
            )

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
            conn = self._connect()
        except Exception:
            log.exception(
                "%s: cannot open the provenance database for writing",
                self.path,
                extra=event("provenance_unwritable", store=str(self.path)),
            )
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
            log.exception(
                "%s: provenance writer stopped",
                self.path,
                extra=event("provenance_writer_stopped", store=str(self.path)),
            )
            self._fail_waiters()
        finally:
            conn.close()
            _running.discard(self)

    def _beating(self) -> bool:
        """Whether this store proves it is alive now: while it has runs in flight, or
        always (``always_beat``: a store several processes share shows who is there)."""
        return self.always_beat or bool(self.active)

    def _idle_timeout(self) -> float:
        if self._beating():
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
                log.exception(
                    "%s: could not record a batch of provenance",
                    self.path,
                    extra=event("provenance_batch_lost", store=str(self.path), records=len(batch)),
                )
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                _abandon(batch, ProvenanceWriteError(f"{self.path}: provenance write failed"))
            if not queue:
                return

    def _heartbeat_due(self) -> bool:
        if self._heartbeat_at is None:
            return self._beating()
        return self._beating() and self.clock() - self._heartbeat_at >= self.heartbeat_interval

    def _apply(self, conn: Any, batch: list[tuple[Any, ...]]) -> None:
        owner_id = self.owner.owner_id
        segments: list[Any] = []
        waiters: list[Any] = []
        merge = Merge()
        for rec in batch:
            op = rec[0]
            if op < CALL:
                merge.add(rec, owner_id)
            elif op == FLUSH:
                waiters.append(rec[1])
            else:
                segments.append(merge)
                segments.append(rec)
                merge = Merge()
        segments.append(merge)
        # The owner row goes out with every batch that begins runs (so a run row
        # never names an owner that is not there) and at every heartbeat.
        heartbeat = (
            self._heartbeat_at is None
            or self._heartbeat_due()
            or any(isinstance(seg, Merge) and seg.begins for seg in segments)
        )
        results, failure = self._transact(conn, segments, heartbeat)
        for fut, ok, value in results:
            if ok:
                fut.set_result(value)
            else:
                fut.set_exception(value)
        for waiter in waiters:
            _release(waiter, failure)

    def _transact(
        self, conn: Any, segments: list[Any], heartbeat: bool
    ) -> tuple[list[tuple[Any, bool, Any]], Exception | None]:
        """Write ``segments`` in one transaction; the calls' results and, when
        nothing could be committed, the error."""
        careful = False
        failed = ProvenanceWriteError(f"{self.path}: provenance write failed")
        attempt = -1
        away = 0  # consecutive attempts that found the database unreachable
        while attempt < _BUSY_RETRIES:
            attempt += 1
            results: list[tuple[Any, bool, Any]] = []
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    now = self.clock()
                    if heartbeat:
                        self._write_owner(conn, now)
                    for seg in segments:
                        if isinstance(seg, Merge):
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
                if away:
                    log.warning(
                        "%s: the database is back; the records kept meanwhile are written",
                        self.path,
                        extra=event("provenance_store_back", store=str(self.path)),
                    )
                return results, None
            except Exception as e:
                lost = getattr(conn, "lost", None)
                if lost is not None and lost(e) and not self._stopping:
                    # A server that went away (a restart, a network cut): keep the batch
                    # and try again until it is back; what callers queue meanwhile
                    # waits (and, past max_pending, holds them back).
                    if away == 0:
                        log.error(
                            "%s: the database is unreachable (%s); keeping the records and "
                            "retrying",
                            self.path,
                            e,
                            extra=event("provenance_store_away", store=str(self.path)),
                        )
                    away += 1
                    attempt -= 1
                    time.sleep(min(0.2 * 2**away, 5.0))
                    continue
                if is_busy(e) and attempt < _BUSY_RETRIES:
                    delay = min(0.05 * 2**attempt, 5.0)
                    log.warning(
                        "%s: database busy (%s); retrying in %.2gs",
                        self.path,
                        e,
                        delay,
                        extra=event("provenance_busy", store=str(self.path), delay=delay),
                    )
                    time.sleep(delay)
                    continue
                if not careful:
                    log.warning(
                        "%s: batch failed (%s); writing row by row",
                        self.path,
                        e,
                        extra=event("provenance_batch_retried", store=str(self.path), error=str(e)),
                    )
                    careful = True
                    continue
                log.error(
                    "%s: could not record a batch of provenance: %s",
                    self.path,
                    e,
                    extra=event("provenance_batch_lost", store=str(self.path), error=str(e)),
                )
                failed = ProvenanceWriteError(f"{self.path}: provenance write failed: {e}")
                break
        return [(seg[2], False, failed) for seg in segments if not isinstance(seg, Merge)], failed

    def _write(self, conn: Any, merge: Merge, careful: bool) -> None:
        notify = getattr(conn, "notify_runs", None)  # PostgreSQL: LISTENers hear of it
        if notify is not None and merge.changes_runs():
            notify()
        for head, tail, width, rows in merge.statements():
            if not careful:
                execute_rows(conn, head, tail, width, rows)
                continue
            for row in rows:
                conn.execute("SAVEPOINT row")
                try:
                    execute_rows(conn, head, tail, width, [row])
                    conn.execute("RELEASE row")
                except Exception as e:
                    conn.execute("ROLLBACK TO row")
                    conn.execute("RELEASE row")
                    log.error(
                        "%s: dropped a provenance row %r: %s",
                        self.path,
                        row[:2],
                        e,
                        extra=event(
                            "provenance_row_dropped",
                            store=str(self.path),
                            row=repr(row[:2]),
                            error=str(e),
                        ),
                    )

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
            if is_busy(e):
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
            log.debug(
                "%s: owner row left for the next sweep: %s",
                self.path,
                e,
                extra=event("owner_row_left", store=str(self.path), error=str(e)),
            )

    def _fail_waiters(self) -> None:
        batch = []
        while self.queue:
            batch.append(self.queue.popleft())
        _abandon(batch, ProvenanceWriteError(f"provenance writer for {self.path} stopped"))


def _abandon(batch: list[tuple[Any, ...]], error: Exception) -> None:
    """Release whoever waits on records that will not be written."""
    for rec in batch:
        if rec[0] == FLUSH:
            _release(rec[1], error)
        elif rec[0] == CALL and not rec[2].done():
            rec[2].set_exception(error)


# Writers whose thread runs; strong references, so a store dropped by its user
# still gets its queue committed (at exit at the latest).
_running: set[BatchWriter] = set()


@atexit.register
def _drain_at_exit() -> None:
    for writer in list(_running):
        writer.close()


def _release(waiter: Any, error: Exception | None = None) -> None:
    """Wake a ``flush``/``aflush`` caller; an async one learns that the write failed."""
    if isinstance(waiter, threading.Event):
        waiter.set()
        return
    loop, fut = waiter
    with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
        loop.call_soon_threadsafe(_resolve, fut, error)


def _resolve(fut: asyncio.Future[None], error: Exception | None) -> None:
    if fut.done():
        return
    if error is None:
        fut.set_result(None)
    else:
        fut.set_exception(error)
