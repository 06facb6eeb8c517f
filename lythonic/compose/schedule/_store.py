"""``TriggerStore``: trigger activations and events in SQLite.

One connection per store, in WAL mode with a busy timeout; every write
transaction begins with ``BEGIN IMMEDIATE`` so two processes on one file
queue up instead of failing with "database is locked". The public methods
are synchronous (upstream's API). The scheduler goes through ``aread`` and
``awrite`` instead, which run on the store's own single I/O thread: the event
loop never waits on the disk, and writes that arrive while one is in flight
are committed together in the next transaction.

A scheduled tick is claimed by inserting its event under the unique key
``(trigger_name, scheduled_at)``: of two schedulers, or of a scheduler and
its restarted self, exactly one claim of a tick succeeds.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Set
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from lythonic._connect import connect_store, schema_version, set_schema_version
from lythonic._events import event
from lythonic._public import publish
from lythonic.compose.provenance._store import run_initiator
from lythonic.compose.schedule._clock import Clock, SystemClock
from lythonic.compose.schedule._spec import TriggerSpec
from lythonic.state import add_missing_column

if TYPE_CHECKING:
    from lythonic.compose.nodes._configs import TriggerConfig

__all__ = ["SCHEMA_VERSION", "TickClaim", "TickResult", "TriggerStore", "TriggerStoreError"]

log = logging.getLogger("lythonic.compose.trigger")

T = TypeVar("T")

SCHEMA_VERSION = 3
"""Version of the tables below; a store refuses a file written by a newer one.
2: ``trigger_events.owner_id`` (the process that claimed the tick).
3: ``trigger_events.dedupe_key``: the file or delivery an event trigger fired for
(unique per trigger: one run per file or delivery, whoever claims it)."""

COMPONENT = "triggers"
"""This store's row in ``lythonic_schema`` (which it shares with the other stores)."""

_DDL = (
    """CREATE TABLE IF NOT EXISTS trigger_activations (
        name TEXT PRIMARY KEY,
        dag_nsref TEXT NOT NULL,
        trigger_type TEXT NOT NULL,
        status TEXT NOT NULL,
        last_run_at REAL,
        next_run_at REAL,
        last_run_id TEXT,
        created_at REAL NOT NULL,
        config_json TEXT,
        changed_by TEXT,
        changed_at REAL,
        last_checked_at REAL,
        activated_at REAL
    )""",
    """CREATE TABLE IF NOT EXISTS trigger_events (
        event_id TEXT PRIMARY KEY,
        trigger_name TEXT NOT NULL,
        fired_at REAL NOT NULL,
        run_id TEXT,
        payload_json TEXT,
        status TEXT NOT NULL,
        scheduled_at REAL,
        finished_at REAL,
        error TEXT,
        FOREIGN KEY (trigger_name) REFERENCES trigger_activations(name)
    )""",
)
# Columns added after upstream 0.0.24 created its tables: (table, column, declaration).
_ADDED_COLUMNS = (
    ("trigger_activations", "changed_by", "TEXT"),
    ("trigger_activations", "changed_at", "REAL"),
    ("trigger_activations", "last_checked_at", "REAL"),
    ("trigger_activations", "activated_at", "REAL"),
    ("trigger_events", "scheduled_at", "REAL"),
    ("trigger_events", "finished_at", "REAL"),
    ("trigger_events", "error", "TEXT"),
    ("trigger_events", "owner_id", "TEXT"),
    ("trigger_events", "dedupe_key", "TEXT"),
)
DEDUPE_INDEX = (
    "CREATE UNIQUE INDEX IF NOT EXISTS trigger_events_dedupe "
    "ON trigger_events (trigger_name, dedupe_key) WHERE dedupe_key IS NOT NULL"
)
_INDEXES = (
    # The one-fire-per-tick guarantee. Manual fires have no scheduled time.
    "CREATE UNIQUE INDEX IF NOT EXISTS trigger_events_tick "
    "ON trigger_events (trigger_name, scheduled_at) WHERE scheduled_at IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS trigger_events_fired ON trigger_events (trigger_name, fired_at)",
    # One fire per file or webhook delivery (event triggers).
    DEDUPE_INDEX,
)
UNFINISHED = ("running", "queued")


def _has_legacy_table(cur: sqlite3.Cursor) -> bool:
    return (
        cur.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'trigger_schema'"
        ).fetchone()
        is not None
    )


def _legacy_version(cur: sqlite3.Cursor) -> int | None:
    """The version in the ``trigger_schema`` table of files from before ``lythonic_schema``."""
    if not _has_legacy_table(cur):
        return None
    row = cur.execute("SELECT version FROM trigger_schema").fetchone()
    return int(row[0]) if row else None


class TriggerStoreError(RuntimeError):
    """The trigger database cannot be used (e.g. written by a newer lythonic)."""


@dataclass(frozen=True, slots=True)
class TickClaim:
    """A scheduled tick to record; ``status`` is ``running``, ``queued`` or ``skipped``.

    An event trigger's claim has no ``scheduled_at`` and a ``dedupe_key`` (the
    file or delivery it fires for) instead: the store takes one claim per key.
    ``overlap``: the trigger's policy, for a store shared by several schedulers
    (PostgreSQL) to apply when another one's run of the trigger is still going.
    """

    trigger_name: str
    scheduled_at: float | None
    run_id: str | None
    status: str
    payload: dict[str, Any] | None = None
    event_id: str = ""
    overlap: str = "allow"
    dedupe_key: str | None = None


@dataclass(frozen=True, slots=True)
class TickResult:
    """How a claimed tick (or a manual fire) ended.

    ``ran``: a DAG run happened (moves ``last_run_at``/``last_run_id``);
    ``checked``: a poll function was called (moves ``last_checked_at``).
    """

    event_id: str
    trigger_name: str
    status: str
    run_id: str | None = None
    error: str | None = None
    payload: dict[str, Any] | None = None
    ran: bool = False
    checked: bool = False


def _json_or_none(payload: dict[str, Any] | None) -> str | None:
    if not payload:
        return None
    return json.dumps(payload, default=lambda v: f"<{type(v).__name__}>")


def claim_row(c: TickClaim, now: float, owner_id: str | None) -> tuple[Any, ...]:
    """The ``trigger_events`` row of a claim made at ``now`` by ``owner_id``."""
    finished = None if c.status in UNFINISHED else now
    payload = _json_or_none(c.payload)
    return (
        c.event_id,
        c.trigger_name,
        now,
        c.run_id,
        payload,
        c.status,
        c.scheduled_at,
        finished,
        owner_id,
        c.dedupe_key,
    )


def claim_outcomes(
    claims: list[TickClaim],
    active: set[str],
    ours: set[str],
    busy: Set[str] = frozenset(),
) -> list[str]:
    """Per claim: ``inactive`` (its trigger is not active), ``busy`` (recorded skipped:
    another scheduler's run is going), ``claimed`` (its row went in) or ``taken``."""
    return [
        "inactive"
        if c.trigger_name not in active
        else ("busy" if c.event_id in busy else "claimed")
        if c.event_id in ours
        else "taken"
        for c in claims
    ]


class TriggerStore:
    """SQLite-backed storage for trigger activations and events.

    ``clock`` gives the times written (activation, fire, check); a test
    passes the same ``FakeClock`` it gives the ``TriggerManager``.
    """

    db_path: Path
    owner_id: str | None = None
    """The process claiming ticks (its run store's owner id, set by the daemon): on
    a store several daemons share, what a dead one claimed and left is found by it."""

    def __init__(self, db_path: Path | str, *, clock: Clock | None = None) -> None:
        self.db_path = Path(db_path)
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        # WAL with synchronous=NORMAL: a commit survives the death of the process (a
        # claimed tick stays claimed); only an OS crash or power cut can lose the
        # last transactions, and with them the runs they started.
        self._conn = connect_store(self.db_path)
        self._executor: ThreadPoolExecutor | None = None
        self._queue: list[tuple[Callable[[sqlite3.Cursor], Any], asyncio.Future[Any]]] = []
        self._writing = False
        try:
            self._migrate()
        except BaseException:
            self._conn.close()
            raise

    # -- plumbing -----------------------------------------------------------

    def _now(self) -> float:
        return self.clock.now().timestamp()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Cursor]:
        """One write transaction, taken with BEGIN IMMEDIATE."""
        with self._lock:
            cur = self._conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")

    def _read(self, sql: str, args: Iterable[Any] = ()) -> list[dict[str, Any]]:
        with self._lock:
            cur = self._conn.execute(sql, tuple(args))
            cols = [d[0] for d in cur.description]
            return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]

    def _migrate(self) -> None:
        with self._write() as cur:
            conn = cur.connection
            version = schema_version(conn, COMPONENT)
            if version is None:
                version = _legacy_version(cur)
            if version is not None and version > SCHEMA_VERSION:
                raise TriggerStoreError(
                    f"{self.db_path}: trigger tables are at schema version {version}, this "
                    f"lythonic knows version {SCHEMA_VERSION}; upgrade lythonic or use another "
                    "triggers_db"
                )
            if version == SCHEMA_VERSION and not _has_legacy_table(cur):
                return
            for ddl in _DDL:
                cur.execute(ddl)
            for table, column, decl in _ADDED_COLUMNS:
                add_missing_column(cur, table, column, decl)
            for ddl in _INDEXES:
                cur.execute(ddl)
            set_schema_version(conn, COMPONENT, SCHEMA_VERSION)
            cur.execute("DROP TABLE IF EXISTS trigger_schema")

    def close(self) -> None:
        """Close the connection and stop the I/O thread."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        with self._lock:
            self._conn.close()

    def __enter__(self) -> TriggerStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- activations --------------------------------------------------------

    def _status(self, cur: sqlite3.Cursor, name: str) -> str | None:
        row = cur.execute(
            "SELECT status FROM trigger_activations WHERE name = ?", (name,)
        ).fetchone()
        return row[0] if row else None

    def _note_change(self, cur: sqlite3.Cursor, name: str, before: str | None, now: float) -> None:
        # Name who changed a trigger when we know, or when its status moved;
        # a process re-activating at start names no one and keeps the last
        # deliberate change on record.
        initiator = run_initiator.get()
        if initiator is not None or self._status(cur, name) != before:
            cur.execute(
                "UPDATE trigger_activations SET changed_by = ?, changed_at = ? WHERE name = ?",
                (initiator, now, name),
            )

    def activate(
        self,
        trigger_config: TriggerConfig | TriggerSpec,
        dag_nsref: str,
        *,
        keep_disabled: bool = False,
    ) -> bool:
        """Create or update the activation; return whether the trigger is now active.

        With ``keep_disabled`` a trigger stored as disabled stays so (checked in
        the same transaction). Re-activating an active trigger keeps its
        history (``last_run_at``, ``activated_at`` …) while taking the new
        config; activating a disabled one restarts its schedule from now, so a
        deliberate pause is not caught up.
        """
        spec = (
            trigger_config
            if isinstance(trigger_config, TriggerSpec)
            else TriggerSpec.from_config(trigger_config, dag_nsref)
        )
        now = self._now()
        with self._write() as cur:
            before = self._status(cur, spec.name)
            if keep_disabled and before == "disabled":
                return False
            cur.execute(
                "INSERT INTO trigger_activations (name, dag_nsref, trigger_type, status, "
                "last_run_at, created_at, config_json, activated_at) "
                "VALUES (?, ?, ?, 'active', ?, ?, ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET "
                "dag_nsref = excluded.dag_nsref, trigger_type = excluded.trigger_type, "
                "config_json = excluded.config_json, status = 'active', "
                # Qualified: PostgreSQL reads a bare column here as ambiguous.
                "last_run_at = CASE WHEN trigger_activations.status = 'disabled' "
                "THEN excluded.last_run_at ELSE trigger_activations.last_run_at END, "
                "last_checked_at = CASE WHEN trigger_activations.status = 'disabled' "
                "THEN excluded.last_run_at ELSE trigger_activations.last_checked_at END, "
                "activated_at = CASE WHEN trigger_activations.status = 'disabled' "
                "OR trigger_activations.activated_at IS NULL "
                "THEN excluded.activated_at ELSE trigger_activations.activated_at END",
                (spec.name, dag_nsref, spec.type, now, now, spec.to_json(), now),
            )
            self._note_change(cur, spec.name, before, now)
        return True

    def deactivate(self, name: str) -> None:
        """Set the trigger's status to disabled; it stays so until activated again."""
        with self._write() as cur:
            before = self._status(cur, name)
            cur.execute(
                "UPDATE trigger_activations SET status = 'disabled', next_run_at = NULL "
                "WHERE name = ?",
                (name,),
            )
            self._note_change(cur, name, before, self._now())

    def set_enabled(self, name: str, enabled: bool) -> bool:
        """Enable or disable a trigger on record, without its config (e.g. while the
        config file is broken); False when the store has no such trigger. Enabling
        a disabled trigger restarts its schedule from now, as ``activate`` does."""
        now = self._now()
        with self._write() as cur:
            before = self._status(cur, name)
            if before is None:
                return False
            if enabled:
                cur.execute(
                    "UPDATE trigger_activations SET status = 'active', "
                    "last_run_at = CASE WHEN status = 'disabled' THEN ? ELSE last_run_at END, "
                    "activated_at = CASE WHEN status = 'disabled' THEN ? ELSE activated_at END "
                    "WHERE name = ?",
                    (now, now, name),
                )
            else:
                cur.execute(
                    "UPDATE trigger_activations SET status = 'disabled', next_run_at = NULL "
                    "WHERE name = ?",
                    (name,),
                )
            self._note_change(cur, name, before, now)
        return True

    def get_activation(self, name: str) -> dict[str, Any] | None:
        """Every column of the activation, or None."""
        rows = self._read("SELECT * FROM trigger_activations WHERE name = ?", (name,))
        return rows[0] if rows else None

    def get_activations(self) -> list[dict[str, Any]]:
        """Every activation, by name."""
        return self._read("SELECT * FROM trigger_activations ORDER BY name")

    def get_active_poll_triggers(self) -> list[dict[str, Any]]:
        """Activations of type poll with status active."""
        return self._read(
            "SELECT * FROM trigger_activations WHERE trigger_type = 'poll' AND status = 'active'"
        )

    # -- events -------------------------------------------------------------

    def record_event(
        self,
        trigger_name: str,
        payload: dict[str, Any] | None = None,
        run_id: str | None = None,
        status: str = "pending",
    ) -> str:
        """Record an event (a manual fire); returns its event id."""
        event_id = str(uuid.uuid4())
        with self._write() as cur:
            cur.execute(
                "INSERT INTO trigger_events (event_id, trigger_name, fired_at, run_id, "
                "payload_json, status, owner_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    event_id,
                    trigger_name,
                    self._now(),
                    run_id,
                    _json_or_none(payload),
                    status,
                    self.owner_id,
                ),
            )
        return event_id

    def event_status(self, trigger_name: str, dedupe_key: str) -> str | None:
        """The status of the event trigger ``trigger_name`` claimed for ``dedupe_key``."""
        rows = self._read(
            "SELECT status FROM trigger_events WHERE trigger_name = ? AND dedupe_key = ?",
            (trigger_name, dedupe_key),
        )
        return str(rows[0]["status"]) if rows else None

    def get_events(self, trigger_name: str, limit: int | None = None) -> list[dict[str, Any]]:
        """The trigger's events, newest first."""
        sql = (
            "SELECT * FROM trigger_events WHERE trigger_name = ? ORDER BY fired_at DESC, rowid DESC"
        )
        if limit is not None:
            return self._read(sql + " LIMIT ?", (trigger_name, limit))
        return self._read(sql, (trigger_name,))

    def update_last_run(self, name: str, run_id: str) -> None:
        """A run of the trigger finished now: set ``last_run_at``, ``last_checked_at``, ``last_run_id``."""
        now = self._now()
        with self._write() as cur:
            cur.execute(
                "UPDATE trigger_activations SET last_run_at = ?, last_checked_at = ?, "
                "last_run_id = ? WHERE name = ?",
                (now, now, run_id, name),
            )

    def record_check(self, name: str) -> None:
        """A poll function was called (whatever it returned): set ``last_checked_at``."""
        with self._write() as cur:
            cur.execute(
                "UPDATE trigger_activations SET last_checked_at = ? WHERE name = ?",
                (self._now(), name),
            )

    def sweep_unfinished(self) -> int:
        """Mark events left ``running`` or ``queued`` as ``interrupted``; return how many.

        Call it when no other scheduler uses this store (at daemon start).
        """
        with self._write() as cur:
            cur.execute(
                "UPDATE trigger_events SET status = 'interrupted', finished_at = ? "
                "WHERE status IN (?, ?)",
                (self._now(), *UNFINISHED),
            )
            return cur.rowcount

    # -- the scheduler's operations (run on the I/O thread) -------------------

    def tick_cursors(self) -> dict[str, tuple[str, float | None]]:
        """For each activation: (status, the time its schedule continues from).

        That is the latest scheduled tick on record, or the time the trigger
        was (re-)activated, whichever is later.
        """
        rows = self._read(
            "SELECT a.name AS name, a.status AS status, "
            "COALESCE(a.activated_at, a.created_at) AS since, "
            "(SELECT MAX(e.scheduled_at) FROM trigger_events e "
            " WHERE e.trigger_name = a.name AND e.scheduled_at IS NOT NULL) AS last_tick "
            "FROM trigger_activations a"
        )
        out: dict[str, tuple[str, float | None]] = {}
        for r in rows:
            marks = [v for v in (r["since"], r["last_tick"]) if v is not None]
            out[r["name"]] = (r["status"], max(marks) if marks else None)
        return out

    def claim_ticks(
        self, cur: sqlite3.Cursor, claims: list[TickClaim], next_runs: dict[str, float | None]
    ) -> list[str]:
        """Record each claim unless its tick is taken or its trigger is not active.

        Returns, per claim, ``"claimed"``, ``"taken"`` or ``"inactive"``. Also
        writes ``next_run_at`` for the triggers in ``next_runs``.
        """
        names = sorted({c.trigger_name for c in claims})
        active: set[str] = set()
        for i in range(0, len(names), 500):
            chunk = names[i : i + 500]
            marks = ",".join("?" * len(chunk))
            cur.execute(
                f"SELECT name FROM trigger_activations WHERE status = 'active' AND name IN ({marks})",
                chunk,
            )
            active.update(r[0] for r in cur.fetchall())
        now = self._now()
        rows = [claim_row(c, now, self.owner_id) for c in claims if c.trigger_name in active]
        # One statement for the burst; a tick already claimed (the unique index on
        # trigger and time) is ignored, so the rows that hold our fresh event ids
        # are exactly the claims that took.
        before = cur.connection.total_changes
        cur.executemany(
            "INSERT OR IGNORE INTO trigger_events (event_id, trigger_name, fired_at, run_id, "
            "payload_json, status, scheduled_at, finished_at, owner_id, dedupe_key) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        ids = [r[0] for r in rows]
        if cur.connection.total_changes - before == len(rows):
            ours = set(ids)  # every row went in (the usual case): nothing to look up
        else:
            ours = set()
            for i in range(0, len(ids), 500):
                chunk = ids[i : i + 500]
                marks = ",".join("?" * len(chunk))
                cur.execute(
                    f"SELECT event_id FROM trigger_events WHERE event_id IN ({marks})", chunk
                )
                ours.update(r[0] for r in cur.fetchall())
        out = claim_outcomes(claims, active, ours)
        self.set_next_runs(cur, next_runs)
        return out

    def start_event(self, cur: sqlite3.Cursor, event_id: str) -> None:
        """A queued tick starts running."""
        cur.execute(
            "UPDATE trigger_events SET status = 'running', fired_at = ? WHERE event_id = ?",
            (self._now(), event_id),
        )

    def finish_event(self, cur: sqlite3.Cursor, result: TickResult) -> None:
        """Record how a tick or fire ended, and move the activation's run/check times."""
        now = self._now()
        cur.execute(
            "UPDATE trigger_events SET status = ?, run_id = COALESCE(?, run_id), error = ?, "
            "payload_json = COALESCE(?, payload_json), finished_at = ? WHERE event_id = ?",
            (
                result.status,
                result.run_id,
                result.error,
                _json_or_none(result.payload),
                now,
                result.event_id,
            ),
        )
        if result.ran:
            cur.execute(
                "UPDATE trigger_activations SET last_run_at = ?, last_checked_at = ?, "
                "last_run_id = ? WHERE name = ?",
                (now, now, result.run_id, result.trigger_name),
            )
        elif result.checked:
            cur.execute(
                "UPDATE trigger_activations SET last_checked_at = ? WHERE name = ?",
                (now, result.trigger_name),
            )

    def finish_now(self, result: TickResult) -> None:
        """``finish_event`` in its own transaction, on the calling thread."""
        with self._write() as cur:
            self.finish_event(cur, result)

    def set_next_runs(self, cur: sqlite3.Cursor, next_runs: dict[str, float | None]) -> None:
        """Write ``next_run_at`` for each trigger.

        One statement per distinct time (triggers that fired together mostly
        share their next time), up to 500 names each.
        """
        by_time: dict[float | None, list[str]] = {}
        for name, t in next_runs.items():
            by_time.setdefault(t, []).append(name)
        for t, names in by_time.items():
            for i in range(0, len(names), 500):
                chunk = names[i : i + 500]
                marks = ",".join("?" * len(chunk))
                cur.execute(
                    f"UPDATE trigger_activations SET next_run_at = ? WHERE name IN ({marks})",
                    [t, *chunk],
                )

    # -- async access for the scheduler ----------------------------------------

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="lythonic-triggers")
        return self._executor

    async def aread(self, fn: Callable[[], T]) -> T:
        """Run the read ``fn`` on the store's I/O thread."""
        return await asyncio.get_running_loop().run_in_executor(self._pool(), fn)

    def awrite(self, op: Callable[[sqlite3.Cursor], T]) -> asyncio.Future[T]:
        """Run ``op(cursor)`` in a write transaction on the I/O thread.

        Ops queued while a transaction is being written are committed
        together in the next one (one failing op fails its whole batch).
        """
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[T] = loop.create_future()
        self._queue.append((op, fut))
        if not self._writing:
            self._writing = True
            loop.call_soon(self._submit)
        return fut

    def _submit(self) -> None:
        batch, self._queue = self._queue, []
        loop = asyncio.get_running_loop()
        done = loop.run_in_executor(self._pool(), self._write_batch, [op for op, _ in batch])
        done.add_done_callback(lambda f: self._batch_done(f, batch))

    def _write_batch(self, ops: list[Callable[[sqlite3.Cursor], Any]]) -> list[Any]:
        with self._write() as cur:
            return [op(cur) for op in ops]

    def _batch_done(
        self,
        f: asyncio.Future[list[Any]],
        batch: list[tuple[Callable[[sqlite3.Cursor], Any], asyncio.Future[Any]]],
    ) -> None:
        error = f.exception() if not f.cancelled() else asyncio.CancelledError()
        results = f.result() if error is None else None
        if error is not None:
            log.error(
                "trigger store: a write of %d operation(s) failed: %s",
                len(batch),
                error,
                extra=event("trigger_store_write_failed", operations=len(batch), error=str(error)),
            )
        for i, (_, fut) in enumerate(batch):
            if fut.done():
                continue
            if results is not None:
                fut.set_result(results[i])
            else:
                fut.set_exception(error if error is not None else RuntimeError("write failed"))
        if self._queue:
            asyncio.get_running_loop().call_soon(self._submit)
        else:
            self._writing = False


publish("lythonic.compose.trigger", TriggerStore)
