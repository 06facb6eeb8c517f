"""Schema evolution: safe column additions are applied, unsafe changes refused untouched."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
from pydantic import Field, create_model

from lythonic import utc_now
from lythonic.state import (
    DbFile,
    DbModel,
    Schema,
    SchemaMismatchError,
    StateError,
    add_missing_column,
    open_sqlite_db,
)


class Level(Enum):
    LOW = "low"
    HIGH = "high"


class _GadgetTable(DbModel[Any]):
    """Base of the model versions below: every version maps to table "Gadget"."""

    @classmethod
    def get_table_name(cls) -> str:
        return "Gadget" if cls.model_fields else "_GadgetTable"


def _model(cls_name: str = "Gadget", /, **fields: Any) -> type[DbModel[Any]]:
    """A version of the Gadget model with ``fields`` (name: (annotation, default))."""
    return create_model(cls_name, __base__=_GadgetTable, **fields)


V1 = _model(gadget_id=(int, Field(default=-1, description="(PK)")), name=(str, Field()))


@pytest.fixture
def old_db(db_path: Path) -> Path:
    Schema([V1]).create_schema(db_path)
    with open_sqlite_db(db_path) as conn:
        V1(name="first").save(conn)
        conn.commit()
    return db_path


def _columns(db_path: Path) -> list[tuple[str, str, int, Any]]:
    with open_sqlite_db(db_path) as conn:
        return [(r[1], r[2], r[3], r[4]) for r in conn.execute('PRAGMA table_info("Gadget")')]


def test_missing_nullable_and_defaulted_columns_are_added(old_db: Path) -> None:
    """Opening with a newer model adds nullable and defaulted columns; old rows get NULL/default."""
    v2 = _model(
        gadget_id=(int, Field(default=-1, description="(PK)")),
        name=(str, Field()),
        note=(str | None, None),
        level=(Level, Level.LOW),
        count=(int, Field(default=3)),
        parent_id=(int | None, Field(default=None, description="(FK:Gadget.gadget_id)")),
    )
    schema = Schema([v2])
    with open_sqlite_db(old_db) as conn:
        assert schema.plan_migration(conn) == [
            'ALTER TABLE "Gadget" ADD COLUMN "note" TEXT',
            "ALTER TABLE \"Gadget\" ADD COLUMN \"level\" TEXT NOT NULL CHECK (\"level\" IN ('low', 'high')) DEFAULT 'low'",
            'ALTER TABLE "Gadget" ADD COLUMN "count" INTEGER NOT NULL DEFAULT 3',
            'ALTER TABLE "Gadget" ADD COLUMN "parent_id" INTEGER REFERENCES "Gadget"("gadget_id")',
        ]
    assert DbFile(old_db, schema).check() is False
    assert DbFile(old_db, schema).check(ensure=True) is True
    with open_sqlite_db(old_db) as conn:
        assert schema.plan_migration(conn) == []
        (old,) = v2.select(conn)
        assert old.model_dump() == {
            "gadget_id": 1,
            "name": "first",
            "note": None,
            "level": Level.LOW,
            "count": 3,
            "parent_id": None,
        }
        v2(name="second", note="n", level=Level.HIGH).save(conn)
        assert v2.select_count(conn, level=Level.HIGH) == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"name": (str, Field()), "weight": (float, Field())},
            "new NOT NULL column 'weight' has no static default",
        ),
        (
            {"name": (str, Field()), "at": (datetime, Field(default_factory=utc_now))},
            "'at' has no static default",
        ),
        ({"name": (int, Field())}, "column 'name' is TEXT in the database, INTEGER in the model"),
        (
            {"name": (str | None, None)},
            "column 'name' is nullable in the model but not in the database",
        ),
        (
            {"name": (str, Field(description="(AK)"))},
            r"alternative key \(name\) differs from the UNIQUE",
        ),
        (
            {"name": (str, Field()), "code": (str, Field(default="", description="(AK)"))},
            "new alternative key",
        ),
        (
            {"name": (str, Field(description="(FK:Other.x)"))},
            r"column 'name' references None in the database",
        ),
        ({}, "column 'name' is NOT NULL without default in the database but not in the model"),
    ],
)
def test_unsafe_changes_are_refused(old_db: Path, fields: dict[str, Any], message: str) -> None:
    """Changes that cannot be applied safely raise SchemaMismatchError and change nothing."""
    newer = _model(gadget_id=(int, Field(default=-1, description="(PK)")), **fields)
    before = _columns(old_db)
    with open_sqlite_db(old_db) as conn, pytest.raises(SchemaMismatchError, match=message) as err:
        Schema([newer]).create_tables(conn)
    assert "Gadget: " in str(err.value)
    assert isinstance(err.value, StateError)
    assert _columns(old_db) == before


def test_changed_primary_key_is_refused(old_db: Path) -> None:
    """A different primary key is refused, naming both."""
    newer = _model(gadget_id=(int, Field()), name=(str, Field(description="(PK)")))
    with pytest.raises(
        SchemaMismatchError,
        match=r"primary key is \(gadget_id\) in the database, \(name\) in the model",
    ):
        DbFile(old_db, Schema([newer])).check()


def test_refusal_is_atomic_across_tables(old_db: Path) -> None:
    """When one table cannot migrate, no other table is created or altered."""

    class Fresh(DbModel["Fresh"]):
        fresh_id: int = Field(default=-1, description="(PK)")

    broken = _model(gadget_id=(int, Field(default=-1, description="(PK)")), name=(float, Field()))
    before = _columns(old_db)
    with open_sqlite_db(old_db) as conn, pytest.raises(SchemaMismatchError):
        Schema([Fresh, broken]).create_tables(conn)
    assert _columns(old_db) == before
    with open_sqlite_db(old_db) as conn:
        assert not Schema([Fresh]).check_all_tables_exist(conn)


def test_dropped_nullable_column_is_tolerated(db_path: Path) -> None:
    """A column the model no longer has is ignored when it is nullable."""
    wide = _model(
        gadget_id=(int, Field(default=-1, description="(PK)")),
        name=(str, Field()),
        old=(str | None, None),
    )
    Schema([wide]).create_schema(db_path)
    with open_sqlite_db(db_path) as conn:
        Schema([V1]).create_tables(conn)
        V1(name="x").save(conn)
        assert [g.name for g in V1.select(conn)] == ["x"]


def test_table_created_by_upstream_is_current(db_path: Path) -> None:
    """A table made by upstream lythonic's unquoted DDL needs no migration."""
    with open_sqlite_db(db_path) as conn:
        conn.execute("CREATE TABLE Gadget (gadget_id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        assert Schema([V1]).plan_migration(conn) == []


def test_add_missing_column_is_idempotent(conn: sqlite3.Connection) -> None:
    """add_missing_column adds once and then reports the column as present."""
    conn.execute('CREATE TABLE "order" ("id" INTEGER PRIMARY KEY)')
    cursor = conn.cursor()
    assert add_missing_column(cursor, "order", "group", "TEXT DEFAULT 'x'") is True
    assert add_missing_column(cursor, "order", "group", "TEXT DEFAULT 'x'") is False
    assert [r[1] for r in conn.execute('PRAGMA table_info("order")')] == ["id", "group"]
