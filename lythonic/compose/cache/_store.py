"""The SQLite side of the cache: one table per cached node, plus the pushback table.

A cache table has one column per parameter (the key, typed by its
``KnownType``), ``value_json`` and ``fetched_at`` (epoch seconds). Every
identifier is quoted, so a parameter named ``limit`` or ``order`` works.
``_cache_tables`` records which node owns each table: table names replace
``:`` and ``.`` alike, so two nodes could map to one table, and the second
is refused at mount.
Connections are kept per thread and per file, in WAL mode with a busy
timeout; writes run in ``BEGIN IMMEDIATE`` transactions.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from lythonic._connect import connect_store
from lythonic._public import publish
from lythonic.types import KNOWN_TYPES

__all__ = [
    "CacheTable",
    "CacheTableConflict",
    "pushback_check",
    "pushback_set",
    "quote",
    "thread_connection",
]

_local = threading.local()


def quote(name: str) -> str:
    """An SQL identifier, double-quoted."""
    return '"' + name.replace('"', '""') + '"'


def thread_connection(db_path: Path) -> sqlite3.Connection:
    """This thread's connection to ``db_path`` (the stores' recipe: autocommit, WAL,
    busy timeout, ``synchronous=NORMAL``)."""
    conns: dict[str, sqlite3.Connection] | None = getattr(_local, "conns", None)
    if conns is None:
        conns = _local.conns = {}
    key = str(db_path)
    conn = conns.get(key)
    if conn is None:
        conn = conns[key] = connect_store(key, check_same_thread=True)
    return conn


class _Write:
    """``with _Write(conn):`` — one BEGIN IMMEDIATE … COMMIT (ROLLBACK on error)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        self.conn.execute("ROLLBACK" if exc_type is not None else "COMMIT")


PUSHBACK_DDL = (
    "CREATE TABLE IF NOT EXISTS _pushback "
    "(namespace_prefix TEXT NOT NULL, suppressed_until REAL NOT NULL)"
)


def pushback_set(conn: sqlite3.Connection, namespace_prefix: str, suppressed_until: float) -> None:
    """Replace the pushback (the table holds one row); the caller commits."""
    conn.execute("DELETE FROM _pushback")
    conn.execute(
        "INSERT INTO _pushback (namespace_prefix, suppressed_until) VALUES (?, ?)",
        (namespace_prefix, suppressed_until),
    )


def pushback_check(conn: sqlite3.Connection, namespace_path: str, now: float) -> float | None:
    """``suppressed_until`` of a live pushback covering ``namespace_path``; a prefix
    covers itself and ``prefix.*`` (``market`` does not cover ``marketplace``).

    A read only: an expired row is ignored here and replaced by the next
    ``pushback_set`` (every write happens in a transaction)."""
    row = conn.execute(
        "SELECT namespace_prefix, suppressed_until FROM _pushback WHERE suppressed_until > ?",
        (now,),
    ).fetchone()
    if row is None:
        return None
    prefix, until = row
    if namespace_path == prefix or namespace_path.startswith(prefix + "."):
        return float(until)
    return None


OWNERS_DDL = (
    "CREATE TABLE IF NOT EXISTS _cache_tables (table_name TEXT PRIMARY KEY, nsref TEXT NOT NULL)"
)
_RESERVED = frozenset({"_pushback", "_cache_tables"})


class CacheTableConflict(ValueError):
    """Two cache nodes map to one table of a cache database (raised at mount)."""

    def __init__(self, table: str, nsref: str, owner: str, db_path: Path) -> None:
        if owner == nsref:  # a reserved name
            what = (
                f"cache node '{nsref}' would use table '{table}', which the cache keeps for itself"
            )
        else:
            what = (
                f"cache node '{nsref}' would share table '{table}' with cache node '{owner}' "
                "(':' and '.' both become '__' in table names)"
            )
        super().__init__(
            f"{what} in {db_path}; rename one of the nodes or give it its own cache_db"
        )
        self.table = table
        self.nsref = nsref
        self.owner = owner


class CacheTable:
    """The table of one cached callable: key columns by parameter, in signature order."""

    def __init__(self, name: str, params: Sequence[tuple[str, Any]]) -> None:
        self.name = name
        self.params = [p for p, _ in params]
        self._to_db = [KNOWN_TYPES.resolve_type(ann).db.map_to for _, ann in params]
        self._db_types = [KNOWN_TYPES.resolve_type(ann).db_type_info.name for _, ann in params]
        table = quote(name)
        cols = [quote(p) for p in self.params]
        where = " AND ".join(f"{c} = ?" for c in cols)
        self._select = f"SELECT value_json, fetched_at FROM {table}" + (
            f" WHERE {where}" if cols else ""
        )
        names = ", ".join([*cols, "value_json", "fetched_at"])
        marks = ", ".join("?" * (len(cols) + 2))
        self._upsert = f"INSERT OR REPLACE INTO {table} ({names}) VALUES ({marks})"
        self._table = table

    def ddl(self) -> str:
        lines = [
            f"    {quote(p)} {t} NOT NULL" for p, t in zip(self.params, self._db_types, strict=True)
        ]
        lines += ["    value_json TEXT NOT NULL", "    fetched_at REAL NOT NULL"]
        if self.params:
            lines.append(f"    PRIMARY KEY ({', '.join(quote(p) for p in self.params)})")
        return f"CREATE TABLE IF NOT EXISTS {self._table} (\n" + ",\n".join(lines) + "\n)"

    def create(self, db_path: Path, owner: str | None = None) -> None:
        """Create the table (and the pushback table); ``owner`` (the node's nsref)
        claims it, and a table another node claimed raises ``CacheTableConflict``."""
        with _Write(thread_connection(db_path)) as conn:
            if owner is not None:
                if self.name in _RESERVED:
                    raise CacheTableConflict(self.name, owner, owner, db_path)
                conn.execute(OWNERS_DDL)
                conn.execute(
                    "INSERT OR IGNORE INTO _cache_tables (table_name, nsref) VALUES (?, ?)",
                    (self.name, owner),
                )
                (claimed,) = conn.execute(
                    "SELECT nsref FROM _cache_tables WHERE table_name = ?", (self.name,)
                ).fetchone()
                if claimed != owner:
                    raise CacheTableConflict(self.name, owner, claimed, db_path)
            conn.execute(self.ddl())
            conn.execute(PUSHBACK_DDL)

    def key(self, arguments: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(f(arguments[p]) for p, f in zip(self.params, self._to_db, strict=True))

    def lookup(self, db_path: Path, key: tuple[Any, ...]) -> tuple[str, float] | None:
        row = thread_connection(db_path).execute(self._select, key).fetchone()
        return None if row is None else (row[0], float(row[1]))

    def store(
        self, db_path: Path, key: tuple[Any, ...], value_json: str, fetched_at: float
    ) -> None:
        with _Write(thread_connection(db_path)) as conn:
            if not self.params:  # no key: the table holds at most one row
                conn.execute(f"DELETE FROM {self._table}")
            conn.execute(self._upsert, (*key, value_json, fetched_at))

    def delete(self, db_path: Path, arguments: Mapping[str, Any]) -> int:
        """Delete the rows matching ``arguments`` (all rows when empty); how many."""
        cols, values = [], []
        for p, f in zip(self.params, self._to_db, strict=True):
            if p in arguments:
                cols.append(f"{quote(p)} = ?")
                values.append(f(arguments[p]))
        sql = f"DELETE FROM {self._table}" + (f" WHERE {' AND '.join(cols)}" if cols else "")
        with _Write(thread_connection(db_path)) as conn:
            return conn.execute(sql, values).rowcount

    def pushback_check(self, db_path: Path, namespace_path: str, now: float) -> float | None:
        return pushback_check(thread_connection(db_path), namespace_path, now)

    def pushback_set(self, db_path: Path, prefix: str, until: float) -> None:
        with _Write(thread_connection(db_path)) as conn:
            pushback_set(conn, prefix, until)


publish("lythonic.compose.cached", CacheTableConflict)
