"""The provenance tables, their version, and the forward migrations.

The three tables of upstream lythonic (``dag_runs``, ``node_executions``,
``edge_traversals``) keep their names and columns; ours add columns to them
and a ``run_owners`` table (which process runs what, and its heartbeat). The
version lives in ``lythonic_schema`` (one row per store kind), not in
``PRAGMA user_version``, so a file shared with another store stays unambiguous.

A file without a version row is either new or was written by upstream
lythonic (0.0.24 has no ``initiated_by``; 0.0.28 has it); both migrate to the
current version on open. A version newer than ours is refused.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from lythonic._connect import connect_store, schema_version, set_schema_version
from lythonic._public import publish

__all__ = ["SCHEMA_VERSION", "ProvenanceSchemaError", "connect", "ensure_schema"]

SCHEMA_VERSION = 3
"""1: upstream's tables with ours added; 2: ``node_logs`` (what steps logged);
3: ``dag_runs.code_json`` (the code fingerprints of the steps a run ran)."""
COMPONENT = "provenance"


class ProvenanceSchemaError(RuntimeError):
    """The provenance database cannot be used by this version of lythonic."""


_TABLES = [
    """CREATE TABLE IF NOT EXISTS dag_runs (
    run_id TEXT PRIMARY KEY,
    dag_nsref TEXT NOT NULL,
    parent_run_id TEXT,
    status TEXT NOT NULL,
    started_at REAL NOT NULL,
    finished_at REAL,
    source_inputs_json TEXT,
    sink_outputs_json TEXT,
    initiated_by TEXT,
    dag_hash TEXT,
    config_revision TEXT,
    error TEXT,
    owner_id TEXT,
    FOREIGN KEY (parent_run_id) REFERENCES dag_runs(run_id)
)""",
    """CREATE TABLE IF NOT EXISTS node_executions (
    run_id TEXT NOT NULL,
    node_label TEXT NOT NULL,
    status TEXT NOT NULL,
    is_source INTEGER DEFAULT 0,
    is_sink INTEGER DEFAULT 0,
    input_json TEXT,
    output_json TEXT,
    started_at REAL,
    finished_at REAL,
    error TEXT,
    attempt INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (run_id, node_label),
    FOREIGN KEY (run_id) REFERENCES dag_runs(run_id)
)""",
    """CREATE TABLE IF NOT EXISTS edge_traversals (
    run_id TEXT NOT NULL,
    upstream_label TEXT NOT NULL,
    downstream_label TEXT NOT NULL,
    traversed_at REAL NOT NULL,
    PRIMARY KEY (run_id, upstream_label, downstream_label),
    FOREIGN KEY (run_id) REFERENCES dag_runs(run_id)
)""",
    """CREATE TABLE IF NOT EXISTS run_owners (
    owner_id TEXT PRIMARY KEY,
    pid INTEGER NOT NULL,
    hostname TEXT NOT NULL,
    proc_start TEXT,
    started_at REAL NOT NULL,
    heartbeat_at REAL NOT NULL
)""",
    # Version 2: the lines steps logged, per attempt in order (``lyth logs``).
    """CREATE TABLE IF NOT EXISTS node_logs (
    run_id TEXT NOT NULL,
    node_label TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    ts REAL NOT NULL,
    level TEXT NOT NULL,
    logger TEXT NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (run_id, node_label, attempt, seq)
)""",
]

_INDEXES = [
    # Children of a run in start order, and top-level runs (parent NULL) newest first.
    "CREATE INDEX IF NOT EXISTS dag_runs_by_parent ON dag_runs(parent_run_id, started_at)",
    "CREATE INDEX IF NOT EXISTS dag_runs_by_start ON dag_runs(started_at)",
    # Only rows still running are in it: sweeping and "active runs" stay cheap.
    "CREATE INDEX IF NOT EXISTS dag_runs_running ON dag_runs(owner_id) WHERE status = 'running'",
]

# Columns upstream lythonic's tables lack: (table, column, declaration).
_ADDED_COLUMNS = [
    ("dag_runs", "initiated_by", "TEXT"),
    ("dag_runs", "dag_hash", "TEXT"),
    ("dag_runs", "config_revision", "TEXT"),
    ("dag_runs", "error", "TEXT"),
    ("dag_runs", "owner_id", "TEXT"),
    ("dag_runs", "code_json", "TEXT"),
    ("node_executions", "attempt", "INTEGER NOT NULL DEFAULT 1"),
]


def connect(path: Path) -> sqlite3.Connection:
    """A provenance connection: the stores' recipe (``lythonic._connect``)."""
    return connect_store(path)


def ensure_schema(conn: sqlite3.Connection, path: Path) -> int:
    """Create or migrate the tables to ``SCHEMA_VERSION``; returns the version found."""
    found = schema_version(conn, COMPONENT)
    if found == SCHEMA_VERSION:
        return found
    if found is not None and found > SCHEMA_VERSION:
        raise _too_new(path, found)
    conn.execute("BEGIN IMMEDIATE")
    try:
        found = schema_version(conn, COMPONENT)  # another process may have migrated meanwhile
        if found is not None and found > SCHEMA_VERSION:
            raise _too_new(path, found)
        if found != SCHEMA_VERSION:
            _migrate(conn)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return found if found is not None else 0


def _too_new(path: Path, found: int) -> ProvenanceSchemaError:
    return ProvenanceSchemaError(
        f"{path}: the provenance schema is version {found}, newer than this lythonic "
        f"supports (version {SCHEMA_VERSION}); upgrade lythonic, or point dags_db at "
        "another file"
    )


def _migrate(conn: sqlite3.Connection) -> None:
    """From nothing, or from upstream lythonic's tables, to the current version."""
    for ddl in _TABLES:
        conn.execute(ddl)
    for table, column, decl in _ADDED_COLUMNS:
        have = {row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')}
        if column not in have:
            conn.execute(f'ALTER TABLE "{table}" ADD COLUMN "{column}" {decl}')
    for ddl in _INDEXES:
        conn.execute(ddl)
    set_schema_version(conn, COMPONENT, SCHEMA_VERSION)


publish("lythonic.compose.dag_provenance", ProvenanceSchemaError)
