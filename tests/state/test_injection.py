"""SQL injection attempts through values, filter names, ordering and key lookups fail safely."""

from __future__ import annotations

import sqlite3

import pytest
from pydantic import Field

from lythonic.state import DbModel, FilterError, Schema


class Account(DbModel["Account"]):
    account_id: int = Field(default=-1, description="(PK)")
    name: str = Field(description="(AK)")
    balance: int = 0


ATTACKS = [
    "x' OR '1'='1",
    "x'; DROP TABLE Account; --",
    'x" OR "1"="1',
    "x') OR 1=1 --",
]


@pytest.fixture
def bank(conn: sqlite3.Connection) -> sqlite3.Connection:
    Schema([Account]).create_tables(conn)
    Account(name="alice", balance=10).save(conn)
    Account(name="bob", balance=20).save(conn)
    return conn


def _intact(conn: sqlite3.Connection) -> None:
    rows = conn.execute('SELECT "name", "balance" FROM "Account" ORDER BY "account_id"').fetchall()
    assert rows[:2] == [("alice", 10), ("bob", 20)]


@pytest.mark.parametrize("attack", ATTACKS)
def test_values_are_data(bank: sqlite3.Connection, attack: str) -> None:
    """Hostile values match nothing, delete nothing and are stored verbatim."""
    assert Account.select(bank, name=attack) == []
    assert Account.select(bank, name=[attack, "nobody"]) == []
    assert Account.delete(bank, name=attack) == 0
    assert Account.resolve_ak(bank, name=attack) is None
    saved = Account(name=attack).save(bank)
    loaded = Account.load_by_id(bank, saved.account_id)
    assert loaded is not None
    assert loaded.name == attack
    _intact(bank)


@pytest.mark.parametrize(
    "key",
    [
        "name = name OR 1=1 --",
        "gt__name) OR (1",
        'name" OR "1"="1',
        "eq__name; DROP TABLE Account",
        "1=1 OR name",
    ],
)
def test_filter_names_are_checked(bank: sqlite3.Connection, key: str) -> None:
    """A filter key that is not a field (with an optional operator prefix) is refused."""
    with pytest.raises(FilterError, match="Account"):
        Account.select(bank, **{key: "alice"})
    with pytest.raises(FilterError):
        Account.delete(bank, **{key: "alice"})
    _intact(bank)


@pytest.mark.parametrize(
    "order", ["name; DROP TABLE Account", "name DESC", '"name"', "-balance, name"]
)
def test_order_by_names_are_checked(bank: sqlite3.Connection, order: str) -> None:
    """order_by accepts field names only."""
    with pytest.raises(FilterError, match="cannot order by"):
        Account.select(bank, order_by=order)
    _intact(bank)


def test_typed_fields_reject_hostile_text(bank: sqlite3.Connection) -> None:
    """A hostile string for an int field cannot be coerced and raises FilterError."""
    with pytest.raises(FilterError, match=r"Account\.balance"):
        Account.select(bank, balance="1 OR 1=1")
    with pytest.raises(FilterError):
        Account.select(bank, limit="1; DROP TABLE Account")  # type: ignore[arg-type]
    _intact(bank)
