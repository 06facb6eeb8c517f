"""lythonic._pg: the stores' SQLite statements on a real PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lythonic._pg import PgConnection, connect_pg

_TABLE = (
    "CREATE TABLE edge_traversals (seq BIGSERIAL UNIQUE, run_id TEXT NOT NULL, "
    "upstream_label TEXT NOT NULL, downstream_label TEXT NOT NULL, "
    "traversed_at DOUBLE PRECISION NOT NULL, "
    "PRIMARY KEY (run_id, upstream_label, downstream_label))"
)
_REPLACE = (
    "INSERT OR REPLACE INTO edge_traversals "
    "(run_id, upstream_label, downstream_label, traversed_at) VALUES (?, ?, ?, ?)"
)


@pytest.fixture
def conn(pg_server: str, pg_schema: str) -> Iterator[PgConnection]:
    c = connect_pg(pg_server, pg_schema)
    c.execute(_TABLE)
    yield c
    c.close()


def _rows(conn: PgConnection) -> list[tuple[object, ...]]:
    return [
        tuple(r)
        for r in conn.execute(
            "SELECT run_id, upstream_label, downstream_label, traversed_at "
            "FROM edge_traversals ORDER BY seq"
        ).fetchall()
    ]


@pytest.mark.parametrize("count", [3, 500])  # pipelined, and by COPY
def test_executemany_keeps_order_values_and_the_last_of_a_key(
    conn: PgConnection, count: int
) -> None:
    """Many rows go in as one-by-one statements would: in their order, values exact
    (text with quotes, tabs, newlines and backslashes; floats to the last bit), a key
    given twice ends with its last row."""
    rows = [(f"r{i}", "a\t'b'\\n\nc", f"d{i % 7}", 0.1 * i + 1 / 3) for i in range(count)]
    conn.execute("BEGIN")
    conn.executemany(_REPLACE, rows)
    conn.execute("COMMIT")
    assert _rows(conn) == rows
    again = [(*rows[0][:3], 99.5), (*rows[1][:3], 1.0), (*rows[0][:3], 42.25)] + [
        (f"n{i}", "u", "d", float(i)) for i in range(count)
    ]
    conn.execute("BEGIN")
    conn.executemany(_REPLACE, again)
    conn.execute("COMMIT")
    got = {r[:3]: r[3] for r in _rows(conn)}
    assert got[rows[0][:3]] == 42.25 and got[rows[1][:3]] == 1.0
    assert len(got) == 2 * count


def test_executemany_after_a_rolled_back_transaction(conn: PgConnection) -> None:
    """The staging table made in a transaction that rolled back is made again."""
    rows = [(f"r{i}", "u", "d", float(i)) for i in range(100)]
    conn.execute("BEGIN")
    conn.executemany(_REPLACE, rows)
    conn.execute("ROLLBACK")
    assert _rows(conn) == []
    conn.execute("BEGIN")
    conn.executemany(_REPLACE, rows)
    conn.execute("COMMIT")
    assert _rows(conn) == rows


def test_executemany_refuses_a_bad_row_like_a_statement_would(conn: PgConnection) -> None:
    """A row breaking a constraint (here NOT NULL) fails the insert, by COPY too."""
    import psycopg

    rows: list[tuple[object, ...]] = [(f"r{i}", "u", "d", float(i)) for i in range(100)]
    rows[50] = ("r50", "u", "d", None)
    conn.execute("BEGIN")
    with pytest.raises(psycopg.errors.NotNullViolation):
        conn.executemany(_REPLACE, rows)
    conn.execute("ROLLBACK")
    assert _rows(conn) == []


@pytest.mark.parametrize("count", [3, 500])
def test_many_updates_match_one_statement_per_row(conn: PgConnection, count: int) -> None:
    """An ``UPDATE … WHERE k = ? AND c = 'x'`` for many rows changes exactly the rows
    one statement per row would (the literal condition holds; the last row of a key wins)."""
    rows = [(f"r{i}", "u", "done" if i % 2 else "running", float(i)) for i in range(count)]
    conn.execute("BEGIN")
    conn.executemany(_REPLACE, rows)
    conn.execute("COMMIT")
    updates = [(f"r{i}", 7.0, f"r{i}") for i in range(count)] + [("last", -1.0, "r1")]
    conn.execute("BEGIN")
    conn.executemany(
        "UPDATE edge_traversals SET upstream_label = ?, traversed_at = ? "
        "WHERE run_id = ? AND downstream_label = 'running'",
        updates,
    )
    conn.execute("COMMIT")
    got = {r[0]: (r[1], r[3]) for r in _rows(conn)}
    for i in range(count):
        expected = (f"r{i}", 7.0) if i % 2 == 0 else ("u", float(i))
        assert got[f"r{i}"] == expected


def test_an_update_setting_its_own_key_goes_one_by_one(conn: PgConnection) -> None:
    """A shape the staging table cannot hold (a column both set and matched) runs as
    one statement per row, in order."""
    rows = [(f"r{i}", "u", "d", float(i)) for i in range(100)]
    conn.execute("BEGIN")
    conn.executemany(_REPLACE, rows)
    conn.execute("COMMIT")
    conn.execute("BEGIN")
    conn.executemany(
        "UPDATE edge_traversals SET run_id = ? WHERE run_id = ?",
        [(f"s{i}", f"r{i}") for i in range(100)] + [("t0", "s0")],
    )
    conn.execute("COMMIT")
    ids = [r[0] for r in _rows(conn)]
    assert ids == ["t0", *(f"s{i}" for i in range(1, 100))]
