"""SQLite plumbing: connections, logged execution, identifier and literal quoting."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from lythonic._connect import BUSY_TIMEOUT_S, enable_wal
from lythonic._events import event
from lythonic._public import publish

__all__ = [
    "add_missing_column",
    "execute_sql",
    "logger",
    "open_sqlite_db",
    "quote_ident",
    "sql_literal",
    "to_sql_datetime",
]

logger = logging.getLogger("lythonic.state")


def quote_ident(name: str) -> str:
    """``name`` as an SQL identifier: double-quoted, inner quotes doubled.

    >>> quote_ident("order"), quote_ident('a"b')
    ('"order"', '"a""b"')
    """
    return '"' + name.replace('"', '""') + '"'


def sql_literal(value: Any) -> str:
    """``value`` (None, bool, int, float, str or bytes) as an SQL literal, for DDL only.

    >>> sql_literal("it's"), sql_literal(True), sql_literal(None)
    ("'it''s'", '1', 'NULL')
    """
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, bytes):
        return "X'" + value.hex() + "'"
    raise TypeError(f"no SQL literal for {type(value).__name__}: {value!r}")


def execute_sql(cursor: sqlite3.Cursor, sql: str, *args: Any) -> None:
    """Log ``sql`` at DEBUG on logger ``lythonic.state``, then execute it.

    Values go in ``args`` (placeholders) and are never logged, only counted.
    """
    params = args[0] if args else None
    if params and hasattr(params, "__len__"):
        logger.debug("execute: %s -- with %d args", sql, len(params), extra=event("sql", sql=sql))
    else:
        logger.debug("execute: %s", sql, extra=event("sql", sql=sql))
    cursor.execute(sql, *args)


def add_missing_column(cursor: sqlite3.Cursor, table: str, column: str, decl: str) -> bool:
    """Add ``column`` to ``table`` unless it is there; True when it was added.

    For tables created by an older version of their code. ``table`` and
    ``column`` are quoted; ``decl`` (e.g. ``"TEXT"`` or ``"INTEGER NOT NULL
    DEFAULT 0"``) is pasted into the SQL as is, so it must be a literal of
    your code, never user input.
    """
    execute_sql(cursor, f"PRAGMA table_info({quote_ident(table)})")
    if column in {row[1] for row in cursor.fetchall()}:
        return False
    execute_sql(cursor, f"ALTER TABLE {quote_ident(table)} ADD COLUMN {quote_ident(column)} {decl}")
    return True


def to_sql_datetime(dt: datetime) -> str:
    """The text form a datetime is stored in (ISO 8601)."""
    return dt.isoformat()


def _is_memory(db_name: str | Path) -> bool:
    name = str(db_name)
    return name in ("", ":memory:") or (name.startswith("file:") and "mode=memory" in name)


@contextmanager
def open_sqlite_db(
    db_name: str | Path, *, foreign_keys: bool = False
) -> Iterator[sqlite3.Connection]:
    """Open (or create) an SQLite database; the connection is closed on exit.

    Nothing is committed for you. A file database is switched to WAL mode
    (readers do not block the writer) and waits up to ``BUSY_TIMEOUT_S`` for
    locks. ``foreign_keys=True`` turns on SQLite's FK enforcement, which is
    off by default, as in upstream lythonic.

    >>> with open_sqlite_db(":memory:") as conn:
    ...     conn.execute("SELECT 1").fetchone()
    (1,)
    """
    logger.debug("Opening database %s", db_name, extra=event("db_open", db=str(db_name)))
    conn = sqlite3.connect(db_name, timeout=BUSY_TIMEOUT_S)
    try:
        if not _is_memory(db_name):
            try:
                enable_wal(conn, BUSY_TIMEOUT_S)
            except sqlite3.OperationalError as e:  # read-only media, network mounts
                logger.debug(
                    "WAL mode not enabled for %s: %s",
                    db_name,
                    e,
                    extra=event("wal_unavailable", store=str(db_name), error=str(e)),
                )
        if foreign_keys:
            conn.execute("PRAGMA foreign_keys=ON")
        yield conn
    finally:
        conn.close()


publish("lythonic.state", open_sqlite_db, execute_sql, to_sql_datetime, add_missing_column)
