"""The one SQLite connection recipe of lythonic's stores, and their schema versions.

Provenance, trigger and cache stores open their files the same way:
autocommit (each store issues ``BEGIN IMMEDIATE`` itself, so two processes on
one file queue up instead of failing), WAL (readers never block the writer),
a busy timeout on every statement, and ``synchronous=NORMAL`` (in WAL mode a
committed transaction survives the death of the process; only an OS crash
or a power cut can lose the last commits).

Switching a fresh file to WAL needs a lock that SQLite does not wait for
under the busy timeout: two processes creating one store at the same moment
would see "database is locked". ``connect_store`` retries it until the busy
timeout has passed, as every other statement waits.

Each store kind keeps its version in one row of ``lythonic_schema``.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

from lythonic._events import event
from lythonic._filesystem import check_store_directory

__all__ = [
    "BUSY_TIMEOUT_S",
    "SCHEMA_TABLE_DDL",
    "connect_store",
    "enable_wal",
    "is_busy",
    "schema_version",
    "set_schema_version",
]

log = logging.getLogger("lythonic.state")

BUSY_TIMEOUT_S = 30.0
"""Seconds a statement waits for another writer's lock before "database is locked"."""

SCHEMA_TABLE_DDL = (
    "CREATE TABLE IF NOT EXISTS lythonic_schema "
    "(component TEXT PRIMARY KEY, version INTEGER NOT NULL)"
)

_warned_no_wal: set[str] = set()


def is_busy(error: BaseException) -> bool:
    """Whether ``error`` is SQLite's "database is locked/busy" (worth waiting for)."""
    text = str(error).lower()
    return isinstance(error, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


def connect_store(
    path: Path | str,
    *,
    busy_timeout: float = BUSY_TIMEOUT_S,
    check_same_thread: bool = False,
) -> sqlite3.Connection:
    """Open ``path`` with the recipe of the module docstring.

    A file on a network file system is warned about or refused first
    (``lythonic._filesystem``).
    """
    check_store_directory(path)
    conn = sqlite3.connect(
        str(path),
        timeout=busy_timeout,
        isolation_level=None,
        check_same_thread=check_same_thread,
    )
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        mode = enable_wal(conn, busy_timeout)
        if mode != "wal" and str(path) not in _warned_no_wal:  # e.g. a network file system
            _warned_no_wal.add(str(path))
            log.warning(
                "%s: WAL mode unavailable (journal_mode=%s); concurrent writers will wait longer",
                path,
                mode,
                extra=event("wal_unavailable", store=str(path), journal_mode=mode),
            )
        conn.execute("PRAGMA synchronous = NORMAL")
    except BaseException:
        conn.close()
        raise
    return conn


def enable_wal(conn: sqlite3.Connection, busy_timeout: float) -> str:
    """Switch ``conn``'s file to WAL, waiting out other processes' locks for up to
    ``busy_timeout`` seconds; the journal mode the file ends up in."""
    deadline = time.monotonic() + busy_timeout
    delay = 0.005
    while True:
        try:
            row = conn.execute("PRAGMA journal_mode = WAL").fetchone()
            return str(row[0]).lower() if row else ""
        except sqlite3.OperationalError as e:
            if not is_busy(e) or time.monotonic() + delay > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


def schema_version(conn: sqlite3.Connection, component: str) -> int | None:
    """The version ``component`` recorded in ``lythonic_schema``; None when absent."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'lythonic_schema'"
    ).fetchone()
    if exists is None:
        return None
    row = conn.execute(
        "SELECT version FROM lythonic_schema WHERE component = ?", (component,)
    ).fetchone()
    return None if row is None else int(row[0])


def set_schema_version(conn: sqlite3.Connection, component: str, version: int) -> None:
    """Record ``component``'s version (inside the caller's transaction)."""
    conn.execute(SCHEMA_TABLE_DDL)
    conn.execute(
        "INSERT OR REPLACE INTO lythonic_schema (component, version) VALUES (?, ?)",
        (component, version),
    )
