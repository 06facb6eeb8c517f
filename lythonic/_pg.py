"""PostgreSQL under the stores' SQLite statements (psycopg 3, ``pip install lythonic[postgres]``).

The stores keep one set of SQL, written for SQLite; ``PgConnection`` runs it
on PostgreSQL: ``?`` parameters become ``%s``, ``INSERT OR IGNORE`` becomes
``ON CONFLICT DO NOTHING``, ``INSERT OR REPLACE`` an upsert on the table's
key, ``rowid`` the ``seq`` column PostgreSQL tables carry instead, ``instr``
``strpos``, and ``BEGIN IMMEDIATE`` a plain ``BEGIN``. The connection is in
autocommit mode, so the stores' own ``BEGIN``/``COMMIT``/``SAVEPOINT``
statements delimit transactions as they do on SQLite.

>>> to_postgres("SELECT * FROM t WHERE a = ? AND b LIKE 'x%'")
"SELECT * FROM t WHERE a = %s AND b LIKE 'x%%'"
>>> to_postgres("INSERT OR REPLACE INTO run_owners (owner_id, pid) VALUES (?, ?)")
'INSERT INTO run_owners (owner_id, pid) VALUES (%s, %s) ON CONFLICT (owner_id) DO UPDATE SET pid = excluded.pid'
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["PgConnection", "connect_pg", "migrate", "read_pool", "shown_url", "to_postgres"]

# The key of each table an ``INSERT OR REPLACE`` writes to (the conflict target).
_KEYS = {
    "run_owners": ("owner_id",),
    "edge_traversals": ("run_id", "upstream_label", "downstream_label"),
    "node_logs": ("run_id", "node_label", "attempt", "seq"),
}
_REPLACE = re.compile(r"^INSERT OR REPLACE INTO (\w+) \(([^)]*)\)")
_COPY_FROM = 64  # rows: fewer go pipelined (COPY's round trips cost more than it saves)
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@functools.lru_cache(maxsize=512)
def to_postgres(sql: str) -> str:
    """A statement of the SQLite stores as PostgreSQL reads it (see the module docstring)."""
    text = sql.strip()
    if text.upper().startswith("BEGIN IMMEDIATE"):
        return "BEGIN"
    tail = ""
    if text.startswith("INSERT OR IGNORE INTO"):
        text = "INSERT INTO" + text[len("INSERT OR IGNORE INTO") :]
        tail = " ON CONFLICT DO NOTHING"
    else:
        m = _REPLACE.match(text)
        if m is not None:
            table, cols = m.group(1), [c.strip() for c in m.group(2).split(",")]
            key = _KEYS[table]
            sets = ", ".join(f"{c} = excluded.{c}" for c in cols if c not in key)
            text = "INSERT INTO" + text[len("INSERT OR REPLACE INTO") :]
            tail = f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {sets}"
    text = re.sub(r"\browid\b", "seq", text)
    text = re.sub(r"\binstr\(", "strpos(", text)
    return text.replace("%", "%%").replace("?", "%s") + tail


class _Cursor:
    """What the stores use of ``sqlite3.Cursor``, over a psycopg cursor."""

    __slots__ = ("_cur",)

    def __init__(self, cur: Any) -> None:
        self._cur = cur

    def execute(self, sql: str, args: Sequence[Any] = ()) -> _Cursor:
        self._cur.execute(to_postgres(sql), tuple(args))
        return self

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> _Cursor:
        self._cur.executemany(to_postgres(sql), [tuple(r) for r in rows])
        return self

    def fetchone(self) -> Any:
        return self._cur.fetchone() if self._cur.description is not None else None

    def fetchall(self) -> list[Any]:
        if self._cur.description is None:
            return []
        rows: list[Any] = self._cur.fetchall()
        return rows

    def __iter__(self) -> Any:
        return iter(self.fetchall())

    @property
    def rowcount(self) -> int:
        count: int = self._cur.rowcount
        return count

    @property
    def description(self) -> Any:
        return self._cur.description


_ROWS_INSERT = re.compile(r"^INSERT INTO (\w+) \(([^)]*)\) VALUES \([^)]*\)")
_CONFLICT_KEY = re.compile(r" ON CONFLICT ?\(([^)]*)\)")
_ROWS_UPDATE = re.compile(r"^UPDATE (\w+) SET (\w+ = \?(?:, \w+ = \?)*) WHERE (.+)$")
_CONDITION = re.compile(r"^(\w+) = (\?|'[^'%?]*')$")


@dataclass(frozen=True, slots=True)
class _Staged:
    """How many rows of one statement go through a staging table."""

    table: str
    columns: tuple[str, ...]  # the staging table's columns the rows fill, in order
    statement: str  # the set-based statement from the staging table
    key: tuple[int, ...]  # positions in a row of the key (last row per key wins)

    @property
    def stage(self) -> str:
        return _stage(self.table)


def _stage(table: str) -> str:
    return f"lythonic_stage_{table}"


@functools.lru_cache(maxsize=256)
def _staged_plan(sql: str) -> _Staged | None:
    """The staged form of a store statement, or None for a shape it does not know.

    >>> _staged_plan("UPDATE t SET a = ?, b = ? WHERE k = ? AND s = 'running'").statement
    "UPDATE t SET a = s.a, b = s.b FROM lythonic_stage_t s WHERE t.k = s.k AND t.s = 'running'"
    """
    text = sql.strip()
    m = _ROWS_UPDATE.match(text)
    if m is not None:
        table, sets = m.group(1), [c.split(" = ")[0] for c in m.group(2).split(", ")]
        keys: list[str] = []
        conditions: list[str] = []
        for condition in m.group(3).split(" AND "):
            c = _CONDITION.match(condition.strip())
            if c is None:
                return None
            if c.group(2) == "?":
                keys.append(c.group(1))
                conditions.append(f"{table}.{c.group(1)} = s.{c.group(1)}")
            else:
                conditions.append(f"{table}.{c.group(1)} = {c.group(2)}")
        columns = (*sets, *keys)
        if len(set(columns)) < len(columns) or not keys:
            return None
        assignments = ", ".join(f"{c} = s.{c}" for c in sets)
        return _Staged(
            table,
            columns,
            f"UPDATE {table} SET {assignments} FROM {_stage(table)} s WHERE "
            + " AND ".join(conditions),
            tuple(range(len(sets), len(columns))),
        )
    text = to_postgres(text)
    m = _ROWS_INSERT.match(text)
    if m is None:
        return None
    table, names = m.group(1), tuple(c.strip() for c in m.group(2).split(","))
    conflict = _CONFLICT_KEY.search(text)
    key = (
        tuple(names.index(k.strip()) for k in conflict.group(1).split(","))
        if conflict is not None
        else ()
    )
    cols = ", ".join(names)
    return _Staged(
        table,
        names,
        f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {_stage(table)} ORDER BY lythonic_order"
        + text[m.end() :].replace("%%", "%"),
        key,
    )


class PgConnection:
    """What the stores use of ``sqlite3.Connection``, over a psycopg connection."""

    rows_one_by_one = True
    """Rows go as one statement per row (``executemany``, which takes many rows its
    own faster way), not as multi-row ``VALUES`` lists."""

    def __init__(self, conn: Any, url: str = "", schema: str = "") -> None:
        self.raw = conn
        self._url = url
        self._schema = schema
        self._staged_tables: set[str] = set()  # made on this connection

    def cursor(self) -> _Cursor:
        if self.raw.closed and self._url:  # lost earlier: connect again (the server is back?)
            self.raw = _open(self._url, self._schema)
            self._staged_tables = set()
        return _Cursor(self.raw.cursor())

    def lost(self, error: BaseException) -> bool:
        """Whether ``error`` means the server went away (the connection is unusable)."""
        import psycopg

        return bool(self.raw.closed) or isinstance(error, psycopg.OperationalError)

    def notify_runs(self) -> None:
        """Tell listeners (``RunListener``) that runs changed, when the transaction commits.

        One notification per transaction, without a payload: a batch may change
        thousands of runs (the elements of a map), and a NOTIFY each made writing
        twice as slow; a listener looks at its own run when woken."""
        self.execute("SELECT pg_notify(?, '')", (runs_channel(self._schema),))

    def execute(self, sql: str, args: Sequence[Any] = ()) -> _Cursor:
        if sql.startswith("ROLLBACK"):
            self._staged_tables = set()  # one made in the transaction is gone
        return self.cursor().execute(sql, args)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> _Cursor:
        """``sql`` once per row of ``rows``, inside the caller's transaction.

        A few rows go pipelined (psycopg's ``executemany``). Many rows of an
        ``INSERT … VALUES (?, …)`` (with its ``OR IGNORE``/``OR REPLACE``/``ON
        CONFLICT``) or of an ``UPDATE … SET c = ?, … WHERE k = ? [AND c = 'x']`` go
        by ``COPY`` into a temporary staging table and then one set-based
        statement: the server does the same work, and this process spends about a
        fifth of the CPU (20,000 node rows: 0.04 s against 0.2 s of the calling
        thread's time, which a writer thread would otherwise take from the event
        loop under the GIL). As with one statement per row, inserted rows keep
        their order, and of rows naming the same key the last one wins.
        """
        batch = rows if isinstance(rows, list) else list(rows)
        if len(batch) >= _COPY_FROM:
            plan = _staged_plan(sql)
            if plan is not None:
                return self._staged(plan, batch)
        return self.cursor().executemany(sql, batch)

    def _staged(self, plan: _Staged, rows: list[Sequence[Any]]) -> _Cursor:
        if plan.key:
            last = {tuple(row[i] for i in plan.key): row for row in rows}
            if len(last) < len(rows):
                rows = list(last.values())
        cursor = self.cursor()
        cur = cursor._cur
        stage = plan.stage
        if stage not in self._staged_tables:
            # Column types only (no keys, no NOT NULL): rows are checked when they go in.
            cur.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS "
                f"AS SELECT * FROM {plan.table} WITH NO DATA"
            )
            cur.execute(f"ALTER TABLE {stage} ADD COLUMN IF NOT EXISTS lythonic_order BIGSERIAL")
            self._staged_tables.add(stage)
        cur.execute(f"TRUNCATE {stage}")
        with cur.copy(f"COPY {stage} ({', '.join(plan.columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cur.execute(plan.statement)
        return cursor

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        if self.raw.closed:
            return False
        return bool(self.raw.info.transaction_status != TransactionStatus.IDLE)

    def close(self) -> None:
        self.raw.close()


def runs_channel(schema: str) -> str:
    """The ``NOTIFY`` channel on which writers to ``schema`` name the runs they changed
    (``lyth logs --follow`` listens on it).

    >>> runs_channel("lythonic")
    'lythonic_runs_lythonic'
    """
    return f"lythonic_runs_{schema}"[:63]


class RunListener:
    """A connection LISTENing on a schema's runs channel: ``wait(run_id, timeout)``
    returns True as soon as a writer committed a change (to any run: the caller
    looks at its own), False at the timeout (a safety net: a notification is lost
    if the connection drops)."""

    def __init__(self, url: str, schema: str) -> None:
        self.conn = _open(url, schema)
        self.conn.execute(f'LISTEN "{runs_channel(schema)}"')

    def wait(self, run_id: str, timeout: float) -> bool:
        for _ in self.conn.notifies(timeout=timeout, stop_after=1):
            return True
        return False

    def close(self) -> None:
        self.conn.close()


def connect_pg(url: str, schema: str) -> PgConnection:
    """A connection to ``url`` in autocommit mode, its ``search_path`` on ``schema``
    (created if missing). Raises ``ValueError`` for a schema name that is not a plain
    lower-case identifier, ``ConnectionError`` (without the password) when it fails."""

    if not _SCHEMA_NAME.match(schema):
        raise ValueError(
            f"storage schema {schema!r}: use lower-case letters, digits and underscores"
        )
    return PgConnection(_open(url, schema), url, schema)


def _open(url: str, schema: str) -> Any:
    import psycopg

    try:
        # Named, so an operator sees lythonic's connections in pg_stat_activity.
        conn = psycopg.connect(url, autocommit=True, application_name="lythonic")
    except psycopg.Error as e:
        why = "; ".join(line.strip() for line in str(e).splitlines() if line.strip())
        raise ConnectionError(f"cannot connect to PostgreSQL at {shown_url(url)}: {why}") from e
    try:
        # Another process may create it at the same moment (IF NOT EXISTS races).
        with contextlib.suppress(psycopg.errors.UniqueViolation, psycopg.errors.DuplicateSchema):
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        conn.execute(f'SET search_path TO "{schema}"')
    except BaseException:
        conn.close()
        raise
    return conn


def read_pool(url: str, schema: str, *, size: int = 2, timeout: float = 10.0) -> Any:
    """A ``psycopg_pool.ConnectionPool`` of up to ``size`` autocommit connections on
    ``schema`` for reads, one of them opened now; a connection is checked before it is
    handed out (one the server dropped is replaced). Raises ``ConnectionError``
    (without the password) when none can be opened within ``timeout`` seconds."""
    from psycopg_pool import ConnectionPool, PoolTimeout

    def on_schema(conn: Any) -> None:
        conn.execute(f'SET search_path TO "{schema}"')

    pool = ConnectionPool(
        url,
        min_size=1,
        max_size=size,
        kwargs={"autocommit": True, "application_name": "lythonic"},
        configure=on_schema,
        check=ConnectionPool.check_connection,
        timeout=timeout,
        name=f"lythonic reads ({schema})",
        open=False,
    )
    try:
        pool.open(wait=True, timeout=timeout)
    except PoolTimeout as e:
        pool.close()
        raise ConnectionError(
            f"cannot connect to PostgreSQL at {shown_url(url)}: no connection in {timeout:g} s"
        ) from e
    return pool


SCHEMA_TABLE = "CREATE TABLE IF NOT EXISTS lythonic_schema (component TEXT PRIMARY KEY, version INTEGER NOT NULL)"


def migrate(cur: Any, schema: str, component: str, version: int, ddl: Sequence[str]) -> int | None:
    """Inside the caller's transaction: create ``component``'s tables (``ddl``) unless
    ``lythonic_schema`` already records ``version``; one process at a time per schema
    (an advisory lock). Returns the version found; the caller refuses a newer one
    (nothing is changed then)."""
    cur.execute("SELECT pg_advisory_xact_lock(hashtext(?))", (f"lythonic:{schema}",))
    cur.execute(SCHEMA_TABLE)
    row = cur.execute(
        "SELECT version FROM lythonic_schema WHERE component = ?", (component,)
    ).fetchone()
    found = None if row is None else int(row[0])
    if found is None or found < version:
        for statement in ddl:
            cur.execute(statement)
        cur.execute(
            "INSERT INTO lythonic_schema (component, version) VALUES (?, ?) "
            "ON CONFLICT (component) DO UPDATE SET version = excluded.version",
            (component, version),
        )
    return found


def shown_url(url: str) -> str:
    """``url`` without its password, for messages.

    >>> shown_url("postgresql://me:s3cret@db:5432/runs")
    'postgresql://me@db:5432/runs'
    """
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1@", url)
