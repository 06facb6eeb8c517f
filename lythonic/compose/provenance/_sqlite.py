"""``DagProvenance``: the SQLite run store.

Writes encode their values on the calling thread (so a value mutated later
does not change what was recorded) and queue them for the writer thread
(``_provenance_writer``); reads (``_provenance_reads``) first wait for what
this store queued. Runs in flight are owned by this store: its row in
``run_owners`` carries the pid, host and a heartbeat, and
``sweep_interrupted`` in any process marks runs whose owner is gone.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from lythonic._codec import encode
from lythonic._events import event
from lythonic._public import publish
from lythonic.compose.provenance import _records as records
from lythonic.compose.provenance._logs import MAX_LINES, forget_sink, message_of, watch_run
from lythonic.compose.provenance._owners import Owner, new_owner, prunable, prune_some, sweep
from lythonic.compose.provenance._reads import ProvenanceReads
from lythonic.compose.provenance._schema import connect, ensure_schema
from lythonic.compose.provenance._statuses import RunStatus
from lythonic.compose.provenance._store import ProvenanceStore, run_initiator
from lythonic.compose.provenance._writer import BatchWriter

__all__ = ["DagProvenance"]

log = logging.getLogger("lythonic.compose.provenance")

DAYS = 86400.0
_live: weakref.WeakSet[DagProvenance] = weakref.WeakSet()


class DagProvenance(ProvenanceReads, ProvenanceStore):
    """Records every run in an SQLite file: runs, node inputs/outputs, edge traversals.

    Usage: ``DagRunner(dag, provenance=DagProvenance(Path("runs.db")))``.

    ``heartbeat_interval`` is how often a store with runs in flight proves it
    is alive; ``stale_after`` how old a heartbeat may be before
    ``sweep_interrupted`` takes its owner for dead (when the owner's pid
    cannot be checked, i.e. on another host). ``clock`` returns epoch seconds.
    ``flush_interval``: how long the writer lets records gather before it commits
    them when nobody waits for a flush (a finished run always waits for one).
    """

    records_code = True
    """``begin_run`` takes ``code_json`` (the code fingerprints of the run's steps)."""

    _always_beat = False  # heartbeat only while runs are in flight

    def __init__(
        self,
        db_path: Path | str,
        *,
        clock: Callable[[], float] = time.time,
        heartbeat_interval: float = 5.0,
        stale_after: float = 60.0,
        flush_interval: float = 0.2,
        max_pending: int = 50_000,
    ) -> None:
        self.db_path = Path(db_path)
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        self._start(clock, heartbeat_interval, stale_after, flush_interval, max_pending)

    def _start(
        self,
        clock: Callable[[], float],
        heartbeat_interval: float,
        stale_after: float,
        flush_interval: float,
        max_pending: int,
    ) -> None:
        """Open the read connection, create or check the tables, start the writer."""
        if stale_after < 2 * heartbeat_interval:
            raise ValueError(
                f"stale_after ({stale_after}s) must be at least twice heartbeat_interval "
                f"({heartbeat_interval}s), or live runs would be swept"
            )
        self.stale_after = stale_after
        self._clock = clock
        self._reader: Any = self._connect()
        try:
            self._ensure_schema(self._reader)
        except BaseException:
            self._reader.close()
            raise
        self._read_lock = threading.Lock()
        self._active: set[str] = set()
        self._log_lock = threading.Lock()
        self._log_counts: dict[str, dict[tuple[str, int], int]] = {}  # run -> (step, attempt) -> n
        self._writer = BatchWriter(
            self.db_path,
            self._new_owner(),
            self._active,
            clock=clock,
            interval=flush_interval,
            heartbeat_interval=heartbeat_interval,
            max_pending=max_pending,
            connect=self._connect,
        )
        self._writer.always_beat = self._always_beat
        self._put = self._writer.put
        self._closed = False
        # Dropped without close(): the writer commits what is queued and ends.
        weakref.finalize(self, self._writer.stop_soon)
        _live.add(self)

    def _new_owner(self) -> Owner:
        return new_owner(self._clock())

    @property
    def owner_id(self) -> str:
        """This store's id in ``run_owners`` (and in ``dag_runs.owner_id``)."""
        return self._writer.owner.owner_id

    def __repr__(self) -> str:
        return f"DagProvenance({str(self.db_path)!r})"

    # -- lifecycle --------------------------------------------------------------

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything recorded so far is committed; False on timeout."""
        return self._writer.flush(timeout)

    async def aflush(self) -> None:
        await self._writer.aflush()

    def congested(self) -> bool:
        # Half the hard cap: the runner waits (asynchronously) well before put()
        # would have to block the event loop.
        return len(self._writer.queue) >= self._writer.max_pending // 2

    def _flush_for_read(self) -> None:
        if self._closed:
            raise RuntimeError(f"{self!r} is closed")
        self._writer.flush()

    def _connect(self) -> Any:
        """A new connection to this store (one for reads, one on the writer thread)."""
        return connect(self.db_path)

    def _ensure_schema(self, conn: Any) -> None:
        ensure_schema(conn, self.db_path)

    def _open_reader(self) -> Any:
        return self._connect()

    def _forget_reads(self) -> None:
        """In a forked child: the parent's read connection is left alone; the child
        opens its own at its first read."""
        inherited.append(self._reader)
        self._read_lock = threading.Lock()
        self._reader = None

    def run_listener(self) -> Any:
        """What to wait on for a run's changes (``wait(run_id, timeout) -> bool``,
        ``close()``), or None where writers announce nothing (SQLite: poll instead)."""
        return None

    def close(self) -> None:
        """Commit what is queued and release the file. Runs still in flight stay
        ``running`` until a ``sweep_interrupted`` finds them."""
        if self._closed:
            return
        self._closed = True
        forget_sink(self)
        self._writer.close()
        with self._read_lock:
            if self._reader is not None:
                self._reader.close()
                self._reader = None
        _live.discard(self)

    def __enter__(self) -> DagProvenance:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the runner's interface (values arrive raw and are encoded here) -------

    def begin_run(
        self,
        run_id: str,
        dag_nsref: str,
        inputs: Mapping[str, Any],
        *,
        parent_run_id: str | None = None,
        initiator: str | None = None,
        dag_hash: str | None = None,
        config_revision: str | None = None,
        resumed: bool = False,
        code_json: str | None = None,
    ) -> None:
        self._active.add(run_id)
        watch_run(run_id, self)
        if resumed:
            self._put(records.run_resumed(run_id, dag_hash, config_revision, code_json))
            return
        self._put(
            records.run_begun(
                run_id,
                dag_nsref,
                parent_run_id,
                encode(inputs),
                initiator,
                dag_hash,
                config_revision,
                self._clock(),
                code_json,
            )
        )

    def node_started(
        self,
        run_id: str,
        label: str,
        inputs: Mapping[str, Any],
        *,
        is_source: bool,
        is_sink: bool,
        attempt: int = 1,
    ) -> None:
        self._put(
            records.node_started(
                run_id, label, encode(inputs), is_source, is_sink, attempt, self._clock()
            )
        )

    def node_completed(
        self, run_id: str, label: str, output: Any, edges: Sequence[tuple[str, str]]
    ) -> None:
        self._put(records.node_done(run_id, label, encode(output), self._clock(), edges))

    def node_failed(self, run_id: str, label: str, error: str, *, attempt: int = 1) -> None:
        self._put(records.node_failed(run_id, label, error, attempt, self._clock()))

    def node_paused(self, run_id: str, label: str) -> None:
        self._put(records.node_paused(run_id, label, self._clock()))

    def node_skipped(
        self, run_id: str, label: str, output: Any, edges: Sequence[tuple[str, str]] = ()
    ) -> None:
        self._put(records.node_skipped(run_id, label, encode(output), self._clock(), edges))

    def end_run(
        self,
        run_id: str,
        status: RunStatus,
        sink_outputs: Mapping[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        self._active.discard(run_id)
        self._unwatch(run_id)
        sink_json = encode(sink_outputs) if sink_outputs else None
        self._put(records.run_ended(run_id, status, sink_json, error, self._clock()))

    def node_log(self, run_id: str, label: str, attempt: int, record: logging.LogRecord) -> None:
        """A line step ``label`` logged (``lythonic.compose.provenance._logs``): kept up
        to ``MAX_LINES`` per attempt, then one line counting those dropped."""
        with self._log_lock:
            per_run = self._log_counts.setdefault(run_id, {})
            n = per_run.get((label, attempt), 0) + 1
            per_run[(label, attempt)] = n
        if n <= MAX_LINES:
            line = records.log_line(
                run_id,
                label,
                attempt,
                n,
                record.created,
                record.levelname,
                record.name,
                message_of(record),
            )
        else:
            dropped = f"{n - MAX_LINES:,} more lines dropped (the first {MAX_LINES:,} are kept)"
            line = records.log_line(
                run_id,
                label,
                attempt,
                MAX_LINES + 1,
                record.created,
                "WARNING",
                "lythonic",
                dropped,
            )
        self._put(line)

    def _unwatch(self, run_id: str) -> None:
        watch_run(run_id, None)
        with self._log_lock:
            self._log_counts.pop(run_id, None)

    # -- upstream's write API (values arrive as JSON text) ---------------------

    def create_run(
        self,
        run_id: str,
        dag_nsref: str,
        source_inputs: dict[str, Any],
        parent_run_id: str | None = None,
        initiator: str | None = None,
    ) -> None:
        """Record a new ``running`` run; ``initiator`` defaults to ``run_initiator``."""
        if initiator is None:
            initiator = run_initiator.get()
        self.begin_run(
            run_id, dag_nsref, source_inputs, parent_run_id=parent_run_id, initiator=initiator
        )

    def update_run_status(self, run_id: str, status: str) -> None:
        """Set a run's status, leaving ``finished_at`` alone."""
        if status != "running":
            self._active.discard(run_id)
        self._put(records.run_status(run_id, status))

    def finish_run(self, run_id: str, status: str, sink_outputs_json: str | None = None) -> None:
        """Set a run's final status, ``finished_at`` and sink outputs."""
        self._active.discard(run_id)
        self._unwatch(run_id)
        self._put(records.run_ended(run_id, status, sink_outputs_json, None, self._clock()))

    def record_node_start(
        self,
        run_id: str,
        node_label: str,
        input_json: str,
        is_source: bool = False,
        is_sink: bool = False,
    ) -> None:
        """A node starts with inputs ``input_json`` (replaces an earlier row)."""
        self._put(
            records.node_started(
                run_id, node_label, input_json, is_source, is_sink, 1, self._clock()
            )
        )

    def record_node_complete(self, run_id: str, node_label: str, output_json: str) -> None:
        """A node completed with ``output_json``."""
        self._put(records.node_done(run_id, node_label, output_json, self._clock(), ()))

    def record_node_failed(self, run_id: str, node_label: str, error: str) -> None:
        """A node failed with ``error``."""
        self._put(records.node_failed(run_id, node_label, error, 1, self._clock()))

    def record_node_skipped(self, run_id: str, node_label: str, output_json: str) -> None:
        """A node's output ``output_json`` was copied from an earlier run."""
        self._put(records.node_skipped(run_id, node_label, output_json, self._clock(), ()))

    def complete_node_with_edges(
        self, run_id: str, node_label: str, output_json: str, edges: list[tuple[str, str]]
    ) -> None:
        """A node completed and its value crossed ``edges`` (upstream, downstream)."""
        self._put(records.node_done(run_id, node_label, output_json, self._clock(), edges))

    def fail_node_and_finish_run(self, run_id: str, node_label: str, error: str) -> None:
        """A node failed, and with it the run."""
        self._active.discard(run_id)
        self._unwatch(run_id)
        now = self._clock()
        self._put(records.node_failed(run_id, node_label, error, 1, now))
        self._put(records.run_ended(run_id, "failed", None, None, now))

    # -- maintenance ------------------------------------------------------------

    def sweep_interrupted(self, *, stale_after: float | None = None) -> list[str]:
        """Mark runs ``interrupted`` whose owning process is gone; their ids.

        A run is left alone while its owner is provably alive: this store
        running it, or a process on this host with the recorded pid and start
        time, or (other hosts) a heartbeat younger than ``stale_after``
        seconds. A run with no owner row (upstream lythonic, or a process that
        died before its first commit) is swept. Nodes left ``running`` become
        ``interrupted`` too.
        """
        limit = self.stale_after if stale_after is None else stale_after
        me, active = self.owner_id, set(self._active)
        swept: list[str] = self._writer.call(
            lambda conn: sweep(conn, me, active, self._clock(), limit)
        )
        if swept:
            log.warning(
                "%s: marked %d run(s) interrupted",
                self.db_path,
                len(swept),
                extra=event("runs_swept", store=str(self.db_path), run_ids=swept[:100]),
            )
        return swept

    def prune(
        self,
        older_than_days: float,
        *,
        statuses: Sequence[str] | None = None,
        exclude: Sequence[str] = (),
    ) -> int:
        """Delete finished top-level runs started more than ``older_than_days`` ago (of
        ``statuses`` when given, not of ``exclude``), with all their child runs, node
        rows, edge rows and log lines; the number of runs deleted (children included)."""
        if older_than_days < 0:
            raise ValueError(f"older_than_days must be >= 0, got {older_than_days}")
        cutoff = self._clock() - older_than_days * DAYS

        total = 0
        while True:
            deleted: int = self._writer.call(
                lambda conn: prune_some(conn, cutoff, statuses, exclude)
            )
            total += deleted
            if deleted == 0:
                return total

    def prunable(
        self,
        older_than_days: float,
        *,
        statuses: Sequence[str] | None = None,
        exclude: Sequence[str] = (),
    ) -> list[str]:
        """The top-level runs ``prune`` would delete now, oldest first."""
        cutoff = self._clock() - older_than_days * DAYS
        return self._read(lambda conn: prunable(conn, cutoff, statuses, exclude))

    def delete_runs(self, run_ids: Sequence[str]) -> int:
        """Delete these runs with their child runs, node rows, edges and log lines; the
        number of runs deleted (children included). A running run is deleted too: the
        caller checks first."""
        return int(self._writer.call(lambda conn: prune_some(conn, 0.0, roots=run_ids)))

    def vacuum(self) -> bool:
        """Give the space of deleted rows back to the file system (SQLite ``VACUUM``);
        whether it ran. It waits for other writers of the file (busy timeout)."""
        self.flush()
        import sqlite3

        conn = sqlite3.connect(self.db_path, timeout=30.0, isolation_level=None)
        try:
            conn.execute("VACUUM")
        finally:
            conn.close()
        return True


@atexit.register
def _close_all() -> None:
    """Commit what live stores still queue before the interpreter goes away."""
    for store in list(_live):
        try:
            store.close()
        except Exception:
            log.exception(
                "closing %r at exit", store, extra=event("store_close_failed", store=repr(store))
            )


inherited: list[Any] = []
"""Connections (and pools) a forked child got from its parent: kept, never used, never
closed (closing would end the parent's sessions)."""


def _after_fork_in_child() -> None:
    # A child process must not use its parent's connections or writer thread.
    for store in list(_live):
        store._forget_reads()
        store._writer.forget_after_fork()
        store._writer.owner = store._new_owner()
        store._active.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)

publish("lythonic.compose.dag_provenance", DagProvenance)
