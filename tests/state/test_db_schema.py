"""Schema, DbFile and the SQLite plumbing: exact DDL, logging, connection handling."""

from __future__ import annotations

import logging
import sqlite3
from datetime import datetime
from enum import Enum, IntEnum
from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, Field

from lythonic.state import (
    DbConfig,
    DbFile,
    DbModel,
    ModelDefinitionError,
    Schema,
    execute_sql,
    open_sqlite_db,
    to_sql_datetime,
)
from lythonic.types import JsonBase


class Genre(Enum):
    NOVEL = "novel"
    POETRY = "poetry"


class Stars(IntEnum):
    ONE = 1
    FIVE = 5


class Dimensions(BaseModel):
    width_mm: int
    height_mm: int


class Extra(JsonBase):
    notes: str = ""


class Publisher(DbModel["Publisher"]):
    publisher_id: int = Field(default=-1, description="(PK)")
    code: str = Field(description="(AK) short code")
    name: str


class Author(DbModel["Author"]):
    author_id: int = Field(default=-1, description="(PK)")
    name: str = Field(description="(AK)")
    born: datetime | None = None


class Book(DbModel["Book"]):
    book_id: int = Field(default=-1, description="(PK)")
    publisher_id: int = Field(description="(AK)(FK:Publisher.publisher_id)")
    isbn: str = Field(description="(AK)")
    author_id: int = Field(description="(FK:Author.author_id)")
    title: str
    genre: Genre
    stars: Stars | None = None
    format: Literal["hardcover", "paperback", "it's complicated"] = "paperback"
    cover: Path | None = None
    size: Dimensions
    extra: Extra | None = None
    price: float = 0.0
    in_print: bool = True


class Review(DbModel["Review"]):
    book_id: int = Field(description="(PK)(FK:Book.book_id)")
    reviewer: str = Field(description="(PK)")
    body: bytes | None = None


LIBRARY = Schema([Publisher, Author, Book, Review])

LIBRARY_DDL = [
    'CREATE TABLE IF NOT EXISTS "Publisher" ("publisher_id" INTEGER PRIMARY KEY, '
    '"code" TEXT NOT NULL, "name" TEXT NOT NULL, UNIQUE ("code"))',
    'CREATE TABLE IF NOT EXISTS "Author" ("author_id" INTEGER PRIMARY KEY, '
    '"name" TEXT NOT NULL, "born" TEXT, UNIQUE ("name"))',
    'CREATE TABLE IF NOT EXISTS "Book" ("book_id" INTEGER PRIMARY KEY, '
    '"publisher_id" INTEGER NOT NULL REFERENCES "Publisher"("publisher_id"), '
    '"isbn" TEXT NOT NULL, '
    '"author_id" INTEGER NOT NULL REFERENCES "Author"("author_id"), '
    '"title" TEXT NOT NULL, '
    "\"genre\" TEXT NOT NULL CHECK (\"genre\" IN ('novel', 'poetry')), "
    '"stars" INTEGER CHECK ("stars" IN (1, 5)), '
    "\"format\" TEXT NOT NULL CHECK (\"format\" IN ('hardcover', 'paperback', 'it''s complicated')), "
    '"cover" TEXT, "size" TEXT NOT NULL, "extra" TEXT, "price" REAL NOT NULL, '
    '"in_print" INTEGER NOT NULL, UNIQUE ("publisher_id", "isbn"))',
    'CREATE TABLE IF NOT EXISTS "Review" ("book_id" INTEGER NOT NULL REFERENCES "Book"("book_id"), '
    '"reviewer" TEXT NOT NULL, "body" BLOB, PRIMARY KEY ("book_id", "reviewer"))',
]


def test_ddl_of_a_realistic_schema() -> None:
    """FKs, AK UNIQUE, CHECK for Enum/IntEnum/Literal, JSON and BLOB columns, composite PK."""
    assert [t.create_ddl() for t in LIBRARY.tables] == LIBRARY_DDL


def test_create_schema_logs_exactly_the_ddl(
    db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """create_schema runs the DDL, each statement logged at DEBUG on lythonic.state."""
    caplog.set_level(logging.DEBUG, logger="lythonic.state")
    LIBRARY.create_schema(db_path)
    executed = [
        r.getMessage().removeprefix("execute: ")
        for r in caplog.records
        if r.name == "lythonic.state" and r.getMessage().startswith("execute: ")
    ]
    assert executed == LIBRARY_DDL
    assert any(r.getMessage() == f"Opening database {db_path}" for r in caplog.records)
    assert all(r.levelno == logging.DEBUG for r in caplog.records if r.name == "lythonic.state")


def test_tables_work_and_reject_bad_choices(db_path: Path) -> None:
    """The created tables store a book with JSON and enum columns and enforce CHECKs."""
    LIBRARY.create_schema(db_path)
    with open_sqlite_db(db_path) as conn:
        p = Publisher(code="PG", name="Penguin").save(conn)
        a = Author(name="Austen").save(conn)
        b = Book(
            publisher_id=p.publisher_id,
            isbn="1",
            author_id=a.author_id,
            title="Emma",
            genre=Genre.NOVEL,
            stars=Stars.FIVE,
            format="it's complicated",
            size=Dimensions(width_mm=110, height_mm=178),
            extra=Extra(notes="first edition"),
        ).save(conn)
        Review(book_id=b.book_id, reviewer="me", body=b"\xff").save(conn)
        conn.commit()
    with open_sqlite_db(db_path) as conn:
        assert Book.select(conn, genre=Genre.NOVEL) == [b]
        assert Review.select(conn) == [Review(book_id=b.book_id, reviewer="me", body=b"\xff")]
        with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
            conn.execute('UPDATE "Book" SET "stars" = 3')


def test_create_schema_twice_is_a_no_op(db_path: Path) -> None:
    """Creating the schema again keeps the data (IF NOT EXISTS, nothing to migrate)."""
    LIBRARY.create_schema(db_path)
    with open_sqlite_db(db_path) as conn:
        Publisher(code="X", name="x").save(conn)
        conn.commit()
        assert LIBRARY.plan_migration(conn) == []
    LIBRARY.create_schema(str(db_path))
    with open_sqlite_db(db_path) as conn:
        assert Publisher.select_count(conn) == 1
        assert LIBRARY.check_all_tables_exist(conn)
        assert not Schema([Publisher, Author, Book, Review, Stub]).check_all_tables_exist(conn)


class Stub(DbModel["Stub"]):
    stub_id: int = Field(default=-1, description="(PK)")


def test_db_file_check(tmp_path: Path) -> None:
    """check() reports readiness; ensure=True creates the file or the missing tables."""
    path = tmp_path / "lib.db"
    db = DbFile(str(path), LIBRARY)
    assert db.path == path
    assert db.check() is False
    assert not path.exists()
    assert db.check(ensure=True) is True
    assert db.check() is True
    bigger = DbFile(path, Schema([*LIBRARY.tables, Stub]))
    assert bigger.check() is False
    assert bigger.check(ensure=True) is True
    with bigger.open() as conn:
        assert bigger.schema.check_all_tables_exist(conn)
    assert DbConfig(db_path="x.db").db_path == Path("x.db")  # type: ignore[arg-type]


def test_schema_checks_fk_targets_and_names() -> None:
    """A FK to a missing field of a table in the schema, or two tables of one name, are refused."""

    class Loan(DbModel["Loan"]):
        loan_id: int = Field(default=-1, description="(PK)")
        book_id: int = Field(description="(FK:Book.book_idd)")

    with pytest.raises(ModelDefinitionError, match=r"Loan.book_id: FK references Book.book_idd"):
        Schema([*LIBRARY.tables, Loan])

    class Other(DbModel["Other"]):
        other_id: int = Field(default=-1, description="(PK)")

        @classmethod
        def get_table_name(cls) -> str:
            return "Book"

    with pytest.raises(ModelDefinitionError, match="two models are named 'Book'"):
        Schema([Book, Other])


def test_open_sqlite_db_closes_and_uses_wal(db_path: Path) -> None:
    """The connection is closed on exit; files use WAL; foreign keys are opt-in."""
    with open_sqlite_db(db_path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("PRAGMA foreign_keys").fetchone() == (0,)
    with pytest.raises(sqlite3.ProgrammingError):
        conn.execute("SELECT 1")
    with open_sqlite_db(db_path, foreign_keys=True) as conn:
        assert conn.execute("PRAGMA foreign_keys").fetchone() == (1,)
    with pytest.raises(RuntimeError), open_sqlite_db(":memory:") as conn:
        raise RuntimeError
    with pytest.raises(sqlite3.ProgrammingError):
        conn.execute("SELECT 1")


def test_foreign_keys_enforced_when_asked(db_path: Path) -> None:
    """With foreign_keys=True a dangling reference is refused by SQLite."""
    LIBRARY.create_schema(db_path)
    with open_sqlite_db(db_path, foreign_keys=True) as conn, pytest.raises(sqlite3.IntegrityError):
        Review(book_id=123, reviewer="x").save(conn)


def test_execute_sql_logs_sql_but_not_values(
    conn: sqlite3.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    """execute_sql logs the statement and the number of arguments, never their values."""
    caplog.set_level(logging.DEBUG, logger="lythonic.state")
    cursor = conn.cursor()
    execute_sql(cursor, "SELECT ?, ?", ["secret-token", 2])
    assert cursor.fetchone() == ("secret-token", 2)
    messages = [r.getMessage() for r in caplog.records]
    assert messages == ["execute: SELECT ?, ? -- with 2 args"]


def test_to_sql_datetime() -> None:
    """Datetimes are stored as ISO 8601 text."""
    assert to_sql_datetime(datetime(2025, 1, 2, 3, 4, 5)) == "2025-01-02T03:04:05"
