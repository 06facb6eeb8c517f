"""``PgTriggerStore``: the trigger store on PostgreSQL (``pip install lythonic[postgres]``).

The same tables, columns and meanings as ``TriggerStore`` (SQLite), in a
schema of their own (``lythonic`` by default), through psycopg 3 with one
connection: the contract and the statements are ``TriggerStore``'s, passed
through a cursor that speaks PostgreSQL (``%s`` parameters, ``ON CONFLICT DO
NOTHING`` for ``INSERT OR IGNORE``, ``seq`` for SQLite's ``rowid``). Times
are ``DOUBLE PRECISION`` (PostgreSQL's ``REAL`` has 24 bits).

A tick is claimed with ``INSERT … ON CONFLICT DO NOTHING RETURNING``: of
several daemons on one database, exactly one claim of a tick returns its row.
The tables are created (and later upgraded) under a transaction-level
advisory lock, so daemons starting together on an empty database do not race;
a schema written by a newer lythonic is refused.

This store is not yet selected by ``storage.url``: it is the first part of
running several daemons on one PostgreSQL database (see docs/engine.md).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from lythonic.compose.schedule._clock import Clock, SystemClock
from lythonic.compose.schedule._store import (
    COMPONENT,
    SCHEMA_VERSION,
    UNFINISHED,
    TickClaim,
    TriggerStore,
    TriggerStoreError,
    _json_or_none,
)

__all__ = ["PgTriggerStore"]

_DDL = (
    "CREATE TABLE IF NOT EXISTS lythonic_schema ("
    "component TEXT PRIMARY KEY, version INTEGER NOT NULL)",
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
        error TEXT
    )""",
    "CREATE UNIQUE INDEX IF NOT EXISTS trigger_events_tick "
    "ON trigger_events (trigger_name, scheduled_at) WHERE scheduled_at IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS trigger_events_fired ON trigger_events (trigger_name, fired_at)",
)
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_PLACEHOLDER = re.compile(r"\?")


def _postgres(sql: str) -> str:
    """A statement of ``TriggerStore`` (SQLite) as PostgreSQL reads it."""
    if sql.startswith("INSERT OR IGNORE INTO"):
        sql = "INSERT INTO" + sql[len("INSERT OR IGNORE INTO") :] + " ON CONFLICT DO NOTHING"
    sql = sql.replace("rowid", "seq")
    return _PLACEHOLDER.sub("%s", sql.replace("%", "%%"))


class _Cursor:
    """A psycopg cursor behind the part of ``sqlite3.Cursor`` the store uses."""

    def __init__(self, cur: Any) -> None:
        self._cur = cur

    def execute(self, sql: str, args: Sequence[Any] = ()) -> _Cursor:
        self._cur.execute(_postgres(sql), tuple(args))
        return self

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> _Cursor:
        self._cur.executemany(_postgres(sql), [tuple(r) for r in rows])
        return self

    def fetchone(self) -> Any:
        return self._cur.fetchone()

    def fetchall(self) -> list[Any]:
        rows: list[Any] = self._cur.fetchall()
        return rows

    @property
    def rowcount(self) -> int:
        count: int = self._cur.rowcount
        return count

    @property
    def description(self) -> Any:
        return self._cur.description


class PgTriggerStore(TriggerStore):
    """``TriggerStore`` on PostgreSQL at ``url``, its tables in ``schema``; see the
    module docstring. ``url`` takes no password (use ``PGPASSWORD`` or ``~/.pgpass``)."""

    def __init__(self, url: str, *, schema: str = "lythonic", clock: Clock | None = None) -> None:
        import psycopg

        if not _SCHEMA_NAME.match(schema):
            raise TriggerStoreError(
                f"storage schema {schema!r}: use lower-case letters, digits and underscores"
            )
        self.url = url
        self.schema = schema
        self.db_path = url  # type: ignore[assignment]  # what messages name
        self.clock = clock if clock is not None else SystemClock()
        self._lock = threading.RLock()
        try:
            self._pg: Any = psycopg.connect(url, autocommit=True)
        except psycopg.Error as e:
            raise TriggerStoreError(f"cannot connect to PostgreSQL at {_shown(url)}: {e}") from e
        self._executor = None
        self._queue = []
        self._writing = False
        try:
            self._pg.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            self._pg.execute(f'SET search_path TO "{schema}"')
            self._migrate()
        except BaseException:
            self._pg.close()
            raise

    @contextmanager
    def _write(self) -> Iterator[Any]:
        """One write transaction."""
        with self._lock, self._pg.transaction():
            yield _Cursor(self._pg.cursor())

    def _read(self, sql: str, args: Iterable[Any] = ()) -> list[dict[str, Any]]:
        with self._lock:
            cur = self._pg.execute(_postgres(sql), tuple(args))
            if cur.description is None:
                return []
            cols = [d[0] for d in cur.description if d[0] != "seq"]
            keep = [i for i, d in enumerate(cur.description) if d[0] != "seq"]
            return [dict(zip(cols, (row[i] for i in keep), strict=True)) for row in cur.fetchall()]

    def _migrate(self) -> None:
        with self._lock, self._pg.transaction():
            # One daemon at a time creates or upgrades the tables of this schema.
            self._pg.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))", (f"lythonic:{self.schema}",)
            )
            self._pg.execute(_DDL[0])
            row = self._pg.execute(
                "SELECT version FROM lythonic_schema WHERE component = %s", (COMPONENT,)
            ).fetchone()
            version = row[0] if row else None
            if version is not None and version > SCHEMA_VERSION:
                raise TriggerStoreError(
                    f"{_shown(self.url)} schema {self.schema}: trigger tables are at schema "
                    f"version {version}, this lythonic knows version {SCHEMA_VERSION}; upgrade "
                    "lythonic or use another storage.schema"
                )
            if version == SCHEMA_VERSION:
                return
            for ddl in _DDL[1:]:
                self._pg.execute(ddl)
            self._pg.execute(
                "INSERT INTO lythonic_schema (component, version) VALUES (%s, %s) "
                "ON CONFLICT (component) DO UPDATE SET version = excluded.version",
                (COMPONENT, SCHEMA_VERSION),
            )

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        with self._lock:
            self._pg.close()

    def claim_ticks(
        self, cur: Any, claims: list[TickClaim], next_runs: dict[str, float | None]
    ) -> list[str]:
        """As ``TriggerStore.claim_ticks``: ``RETURNING`` names the claims that took."""
        names = sorted({c.trigger_name for c in claims})
        active: set[str] = set()
        if names:
            cur.execute(
                "SELECT name FROM trigger_activations WHERE status = 'active' AND name = ANY(?)",
                (names,),
            )
            active.update(r[0] for r in cur.fetchall())
        now = self._now()
        rows = [
            (
                c.event_id,
                c.trigger_name,
                now,
                c.run_id,
                _json_or_none(c.payload),
                c.status,
                c.scheduled_at,
                None if c.status in UNFINISHED else now,
            )
            for c in claims
            if c.trigger_name in active
        ]
        ours: set[str] = set()
        for i in range(0, len(rows), 500):
            chunk = rows[i : i + 500]
            values = ",".join(["(?, ?, ?, ?, ?, ?, ?, ?)"] * len(chunk))
            cur.execute(
                "INSERT INTO trigger_events (event_id, trigger_name, fired_at, run_id, "
                f"payload_json, status, scheduled_at, finished_at) VALUES {values} "
                "ON CONFLICT DO NOTHING RETURNING event_id",
                [v for row in chunk for v in row],
            )
            ours.update(r[0] for r in cur.fetchall())
        self.set_next_runs(cur, next_runs)
        return [
            "inactive"
            if c.trigger_name not in active
            else "claimed"
            if c.event_id in ours
            else "taken"
            for c in claims
        ]


def _shown(url: str) -> str:
    """``url`` without a password, for messages."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1@", url)
