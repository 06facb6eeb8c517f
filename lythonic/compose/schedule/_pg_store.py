"""``PgTriggerStore``: the trigger store on PostgreSQL (``pip install lythonic[postgres]``).

The same tables, columns and meanings as ``TriggerStore`` (SQLite), in a
schema of their own (``lythonic`` by default), through psycopg 3 with one
connection: the contract and the statements are ``TriggerStore``'s, passed
through a connection that speaks PostgreSQL (``lythonic._pg``). Times
are ``DOUBLE PRECISION`` (PostgreSQL's ``REAL`` has 24 bits).

A tick is claimed with ``INSERT … ON CONFLICT DO NOTHING RETURNING``: of
several daemons on one database, exactly one claim of a tick returns its row.
The tables are created (and later upgraded) under a transaction-level
advisory lock, so daemons starting together on an empty database do not race;
a schema written by a newer lythonic is refused.

``storage.url`` selects it (``lythonic.compose.stores.open_triggers``); several
daemons may share one schema (docs/engine.md, PostgreSQL).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from lythonic._pg import connect_pg, migrate, shown_url
from lythonic.compose.schedule._clock import Clock, SystemClock
from lythonic.compose.schedule._store import (
    COMPONENT,
    DEDUPE_INDEX,
    SCHEMA_VERSION,
    TickClaim,
    TriggerStore,
    TriggerStoreError,
    claim_outcomes,
    claim_row,
)

__all__ = ["PgTriggerStore"]

_DDL = (
    """CREATE TABLE IF NOT EXISTS trigger_activations (
        name TEXT PRIMARY KEY,
        dag_nsref TEXT NOT NULL,
        trigger_type TEXT NOT NULL,
        status TEXT NOT NULL,
        last_run_at DOUBLE PRECISION,
        next_run_at DOUBLE PRECISION,
        last_run_id TEXT,
        created_at DOUBLE PRECISION NOT NULL,
        config_json TEXT,
        changed_by TEXT,
        changed_at DOUBLE PRECISION,
        last_checked_at DOUBLE PRECISION,
        activated_at DOUBLE PRECISION
    )""",
    """CREATE TABLE IF NOT EXISTS trigger_events (
        seq BIGSERIAL UNIQUE,
        event_id TEXT PRIMARY KEY,
        trigger_name TEXT NOT NULL REFERENCES trigger_activations(name),
        fired_at DOUBLE PRECISION NOT NULL,
        run_id TEXT,
        payload_json TEXT,
        status TEXT NOT NULL,
        scheduled_at DOUBLE PRECISION,
        finished_at DOUBLE PRECISION,
        error TEXT,
        owner_id TEXT
    )""",
    # Version 2.
    "ALTER TABLE trigger_events ADD COLUMN IF NOT EXISTS owner_id TEXT",
    "CREATE UNIQUE INDEX IF NOT EXISTS trigger_events_tick "
    "ON trigger_events (trigger_name, scheduled_at) WHERE scheduled_at IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS trigger_events_fired ON trigger_events (trigger_name, fired_at)",
    # Version 3.
    "ALTER TABLE trigger_events ADD COLUMN IF NOT EXISTS dedupe_key TEXT",
    DEDUPE_INDEX,
)


class PgTriggerStore(TriggerStore):
    """``TriggerStore`` on PostgreSQL at ``url``, its tables in ``schema``; see the
    module docstring. ``url`` takes no password (use ``PGPASSWORD`` or ``~/.pgpass``)."""

    def __init__(self, url: str, *, schema: str = "lythonic", clock: Clock | None = None) -> None:
        try:
            conn = connect_pg(url, schema)
        except (ValueError, ConnectionError) as e:
            raise TriggerStoreError(str(e)) from None
        self.url = url
        self.schema = schema
        self.db_path = shown_url(url)  # type: ignore[assignment]  # what messages name
        self.clock = clock if clock is not None else SystemClock()
        self._lock = threading.RLock()
        self._conn = conn  # type: ignore[assignment]  # sqlite3's API, on PostgreSQL
        self._executor = None
        self._queue = []
        self._writing = False
        try:
            self._migrate()
        except BaseException:
            conn.close()
            raise

    @contextmanager
    def _write(self) -> Iterator[Any]:
        """One write transaction, taken in turn with every other scheduler on this schema
        (a transaction-level advisory lock): trigger writes are small and few, and in
        turn no two daemons' claims and finishes can deadlock on each other's rows."""
        with super()._write() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(hashtext(?))", (f"lythonic:t:{self.schema}",))
            yield cur

    def _read(self, sql: str, args: Iterable[Any] = ()) -> list[dict[str, Any]]:
        return [{k: v for k, v in row.items() if k != "seq"} for row in super()._read(sql, args)]

    def _migrate(self) -> None:
        with self._write() as cur:
            found = migrate(cur, self.schema, COMPONENT, SCHEMA_VERSION, _DDL)
            if found is not None and found > SCHEMA_VERSION:
                raise TriggerStoreError(
                    f"{self.db_path} schema {self.schema}: trigger tables are at schema "
                    f"version {found}, this lythonic knows version {SCHEMA_VERSION}; upgrade "
                    "lythonic or use another storage.schema"
                )

    def sweep_unfinished(self) -> int:
        """Mark events a dead daemon left unfinished ``interrupted``; how many.

        Several daemons may share this database, so the run store's sweep (which
        knows each process and whether it is alive) runs first and drops the
        ``run_owners`` rows of those gone. An event left ``running`` or ``queued``
        is swept once the process that claimed it has no row there any more; one
        claimed by a live process never is, even before its run's first record is
        written. An event that names no process (a manual fire) is swept when its
        run is not ``running`` in ``dag_runs``.
        """
        with self._write() as cur:
            have_runs = cur.execute("SELECT to_regclass('dag_runs') IS NOT NULL").fetchone()[0]
            if not have_runs:  # no run store in this schema: no run can be going
                cur.execute(
                    "UPDATE trigger_events SET status = 'interrupted', finished_at = ? "
                    "WHERE status = 'running'",
                    (self._now(),),
                )
                return cur.rowcount
            cur.execute(
                "UPDATE trigger_events SET status = 'interrupted', finished_at = ? "
                "WHERE status IN ('running', 'queued') AND ("
                "(owner_id IS NOT NULL AND NOT EXISTS "
                "(SELECT 1 FROM run_owners o WHERE o.owner_id = trigger_events.owner_id)) "
                "OR (owner_id IS NULL AND status = 'running' AND NOT EXISTS "
                "(SELECT 1 FROM dag_runs r WHERE r.run_id = trigger_events.run_id "
                "AND r.status = 'running')))",
                (self._now(),),
            )
            return cur.rowcount

    def claim_ticks(
        self, cur: Any, claims: list[TickClaim], next_runs: dict[str, float | None]
    ) -> list[str]:
        """As ``TriggerStore.claim_ticks``: ``RETURNING`` names the claims that took.

        Several daemons may share the store: the triggers' rows are locked for the
        transaction (claims of one trigger go one at a time), and a tick that would
        start a run while a run of its trigger is going elsewhere follows the
        trigger's ``overlap`` there too: with ``skip``, ``queue`` or ``replace``
        (which cannot reach another daemon's run) it is recorded ``skipped`` and
        comes back ``busy``; with ``allow`` it runs.
        """
        names = sorted({c.trigger_name for c in claims})
        active: set[str] = set()
        busy: set[str] = set()
        if names:
            cur.execute(
                "SELECT name FROM trigger_activations "
                "WHERE status = 'active' AND name = ANY(?) ORDER BY name FOR UPDATE",
                (names,),
            )
            active.update(r[0] for r in cur.fetchall())
            guarded = sorted(
                {c.trigger_name for c in claims if c.overlap != "allow" and c.status == "running"}
            )
            if guarded:
                cur.execute(
                    "SELECT DISTINCT trigger_name FROM trigger_events "
                    "WHERE trigger_name = ANY(?) AND status = 'running'",
                    (guarded,),
                )
                busy.update(r[0] for r in cur.fetchall())
        now = self._now()
        held = {
            c.event_id
            for c in claims
            if c.trigger_name in busy and c.overlap != "allow" and c.status == "running"
        }
        claims = [
            dataclasses.replace(c, run_id=None, status="skipped") if c.event_id in held else c
            for c in claims
        ]
        rows = [claim_row(c, now, self.owner_id) for c in claims if c.trigger_name in active]
        ours: set[str] = set()
        for i in range(0, len(rows), 500):
            chunk = rows[i : i + 500]
            values = ",".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(chunk))
            cur.execute(
                "INSERT INTO trigger_events (event_id, trigger_name, fired_at, run_id, "
                f"payload_json, status, scheduled_at, finished_at, owner_id, dedupe_key) VALUES {values} "
                "ON CONFLICT DO NOTHING RETURNING event_id",
                [v for row in chunk for v in row],
            )
            ours.update(r[0] for r in cur.fetchall())
        self.set_next_runs(cur, next_runs)
        return claim_outcomes(claims, active, ours, held)
