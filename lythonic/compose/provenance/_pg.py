"""``PgProvenance``: the run store on PostgreSQL (``pip install lythonic[postgres]``).

``DagProvenance`` with its connections on PostgreSQL: the same tables,
columns, values (the same JSON text) and meanings, the same writer thread
with batched multi-row upserts, the same reads, owners, heartbeats and
sweeps, through ``lythonic._pg`` (the stores' statements, as PostgreSQL reads
them). Times are ``DOUBLE PRECISION``; ``edge_traversals`` has a ``seq``
column for insertion order (SQLite's ``rowid``). Tables live in a schema of
their own (``lythonic`` by default), created or upgraded under an advisory
lock; a schema written by a newer lythonic is refused.

Connections: one for the writer thread, and a pool (``psycopg_pool``) of up
to two for reads, opened at the first read; the connection that checks the
schema at open is closed once it has.

``storage.url`` selects it (``lythonic.compose.stores.open_provenance``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from lythonic._pg import (
    PgConnection,
    RunListener,
    connect_pg,
    migrate,
    read_pool,
    shown_url,
)
from lythonic.compose.provenance._schema import (
    COMPONENT,
    SCHEMA_VERSION,
    ProvenanceSchemaError,
)
from lythonic.compose.provenance._sqlite import DagProvenance, inherited

__all__ = ["PgProvenance"]

T = TypeVar("T")

_DDL = (
    """CREATE TABLE IF NOT EXISTS dag_runs (
    run_id TEXT PRIMARY KEY,
    dag_nsref TEXT NOT NULL,
    parent_run_id TEXT,
    status TEXT NOT NULL,
    started_at DOUBLE PRECISION NOT NULL,
    finished_at DOUBLE PRECISION,
    source_inputs_json TEXT,
    sink_outputs_json TEXT,
    initiated_by TEXT,
    dag_hash TEXT,
    config_revision TEXT,
    error TEXT,
    owner_id TEXT
)""",
    """CREATE TABLE IF NOT EXISTS node_executions (
    run_id TEXT NOT NULL,
    node_label TEXT NOT NULL,
    status TEXT NOT NULL,
    is_source INTEGER DEFAULT 0,
    is_sink INTEGER DEFAULT 0,
    input_json TEXT,
    output_json TEXT,
    started_at DOUBLE PRECISION,
    finished_at DOUBLE PRECISION,
    error TEXT,
    attempt INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (run_id, node_label)
)""",
    """CREATE TABLE IF NOT EXISTS edge_traversals (
    seq BIGSERIAL UNIQUE,
    run_id TEXT NOT NULL,
    upstream_label TEXT NOT NULL,
    downstream_label TEXT NOT NULL,
    traversed_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (run_id, upstream_label, downstream_label)
)""",
    """CREATE TABLE IF NOT EXISTS run_owners (
    owner_id TEXT PRIMARY KEY,
    pid INTEGER NOT NULL,
    hostname TEXT NOT NULL,
    proc_start TEXT,
    started_at DOUBLE PRECISION NOT NULL,
    heartbeat_at DOUBLE PRECISION NOT NULL
)""",
    # Version 2.
    """CREATE TABLE IF NOT EXISTS node_logs (
    run_id TEXT NOT NULL,
    node_label TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    ts DOUBLE PRECISION NOT NULL,
    level TEXT NOT NULL,
    logger TEXT NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (run_id, node_label, attempt, seq)
)""",
    "CREATE INDEX IF NOT EXISTS dag_runs_by_parent ON dag_runs(parent_run_id, started_at)",
    "CREATE INDEX IF NOT EXISTS dag_runs_by_start ON dag_runs(started_at)",
    "CREATE INDEX IF NOT EXISTS dag_runs_running ON dag_runs(owner_id) WHERE status = 'running'",
    # Version 3.
    "ALTER TABLE dag_runs ADD COLUMN IF NOT EXISTS code_json TEXT",
)


class PgProvenance(DagProvenance):
    """``DagProvenance`` on PostgreSQL at ``url`` (no password in it: use
    ``PGPASSWORD`` or ``~/.pgpass``), its tables in ``schema``; see the module docstring.

    Once it has written, it keeps its ``run_owners`` row fresh (heartbeat) for as
    long as it is open, runs in flight or not: ``live_owners`` then lists the
    processes (daemons, ``lyth run``) using the database.
    """

    _always_beat = True

    def __init__(
        self,
        url: str,
        *,
        schema: str = "lythonic",
        clock: Callable[[], float] = time.time,
        heartbeat_interval: float = 5.0,
        stale_after: float = 60.0,
        flush_interval: float = 0.2,
        max_pending: int = 50_000,
    ) -> None:
        self.url = url
        self.schema = schema
        self.db_path = shown_url(url)  # type: ignore[assignment]  # what messages name
        self._start(clock, heartbeat_interval, stale_after, flush_interval, max_pending)
        self._reader.close()  # it checked the schema; reads take the pool's
        self._reader = None
        self._pool: Any = None

    def __repr__(self) -> str:
        return f"PgProvenance({self.db_path!r}, schema={self.schema!r})"

    def _connect(self) -> PgConnection:
        try:
            return connect_pg(self.url, self.schema)
        except (ValueError, ConnectionError) as e:
            raise ProvenanceSchemaError(str(e)) from None

    def _read(self, fn: Callable[[Any], T]) -> T:
        """``fn`` on a connection of the read pool (reads may run side by side)."""
        self._flush_for_read()
        pool = self._pool
        if pool is None:
            with self._read_lock:
                if self._pool is None:
                    try:
                        self._pool = read_pool(self.url, self.schema)
                    except ConnectionError as e:
                        raise ProvenanceSchemaError(str(e)) from None
                pool = self._pool
        with pool.connection() as raw:
            return fn(PgConnection(raw))

    def _forget_reads(self) -> None:
        super()._forget_reads()
        inherited.append(self._pool)  # the pool's threads are not in this process
        self._pool = None

    def vacuum(self) -> bool:
        """Nothing to do: PostgreSQL's autovacuum reclaims deleted rows."""
        return False

    def run_listener(self) -> RunListener:
        """A LISTEN connection: writers NOTIFY the runs each commit changed."""
        try:
            return RunListener(self.url, self.schema)
        except ConnectionError as e:
            raise ProvenanceSchemaError(str(e)) from None

    def close(self) -> None:
        super().close()
        with self._read_lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None

    def _ensure_schema(self, conn: Any) -> None:
        conn.execute("BEGIN")
        try:
            found = migrate(conn, self.schema, COMPONENT, SCHEMA_VERSION, _DDL)
            if found is not None and found > SCHEMA_VERSION:
                raise ProvenanceSchemaError(
                    f"{self.db_path} schema {self.schema}: the provenance schema is version "
                    f"{found}, newer than this lythonic supports (version {SCHEMA_VERSION}); "
                    "upgrade lythonic, or use another storage.schema"
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
