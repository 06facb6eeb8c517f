"""Per-user scoping: user A can neither read, update nor delete user B's rows."""

from __future__ import annotations

import sqlite3

import pytest
from pydantic import Field

from lythonic.state import Schema, UserScopeError
from lythonic.state.user import User, UserContext, UserInfo, UserOwned


class Profile(UserInfo):
    email: str


class Doc(UserOwned["Doc"]):
    doc_id: int = Field(default=-1, description="(PK)")
    title: str
    slug: str = Field(default="", description="(AK)")


SCHEMA = Schema([User, Doc])


@pytest.fixture
def users(conn: sqlite3.Connection) -> tuple[sqlite3.Connection, UserContext, UserContext]:
    SCHEMA.create_tables(conn)
    alice = User(info=Profile(email="a@example.com")).save(conn)
    bob = User(info=UserInfo()).save(conn)
    a, b = UserContext(user=alice), UserContext(user=bob)
    Doc(title="a1", slug="one").save_with_ctx(a, conn)
    Doc(title="a2", slug="two").save_with_ctx(a, conn)
    Doc(title="b1", slug="one").save_with_ctx(b, conn)
    return conn, a, b


def _all_titles(conn: sqlite3.Connection) -> list[tuple[int, str]]:
    return conn.execute('SELECT "user_id", "title" FROM "Doc" ORDER BY "doc_id"').fetchall()


def test_user_owned_table_ddl() -> None:
    """user_id (an FK to User) is the first column, and alternative keys are unique per user."""
    assert Doc.create_ddl() == (
        'CREATE TABLE IF NOT EXISTS "Doc" ("user_id" INTEGER NOT NULL REFERENCES "User"("user_id"), '
        '"doc_id" INTEGER PRIMARY KEY, "title" TEXT NOT NULL, "slug" TEXT NOT NULL, '
        'UNIQUE ("user_id", "slug"))'
    )


def test_same_alt_key_for_two_users(
    users: tuple[sqlite3.Connection, UserContext, UserContext],
) -> None:
    """Two users can hold the same AK value; the same user cannot hold it twice."""
    conn, a, _ = users
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        Doc(title="dup", slug="one").save_with_ctx(a, conn)


def test_reads_are_scoped(users: tuple[sqlite3.Connection, UserContext, UserContext]) -> None:
    """select, count, exists and load see only the context user's rows."""
    conn, a, b = users
    assert [d.title for d in Doc.select(conn, user_ctx=a, order_by="doc_id")] == ["a1", "a2"]
    assert [d.title for d in Doc.select(conn, user_ctx=b)] == ["b1"]
    assert Doc.select_count(conn, user_ctx=b) == 1
    assert not Doc.exists(conn, user_ctx=b, title="a1")
    assert Doc.load_by_id_with_ctx(conn, b, 1) is None
    loaded = Doc.load_by_id_with_ctx(conn, a, 1)
    assert loaded is not None
    assert loaded.title == "a1"


def test_a_filter_cannot_widen_the_scope(
    users: tuple[sqlite3.Connection, UserContext, UserContext],
) -> None:
    """An explicit user_id filter is ANDed with the scope, never replacing it."""
    conn, a, b = users
    assert Doc.select(conn, user_ctx=b, user_id=a.user.user_id) == []
    assert Doc.select(conn, user_ctx=b, ne__user_id=b.user.user_id) == []
    assert Doc.delete(conn, user_ctx=b, user_id=[a.user.user_id, b.user.user_id]) == 1
    assert [t for _, t in _all_titles(conn)] == ["a1", "a2"]


def test_updates_are_scoped(users: tuple[sqlite3.Connection, UserContext, UserContext]) -> None:
    """B cannot save over A's row (access violation), and a filtered update touches only B's rows."""
    conn, _a, b = users
    stolen = Doc(doc_id=1, title="hacked")
    with pytest.raises(UserScopeError, match="Possible Access violation"):
        stolen.save_with_ctx(b, conn)
    own = Doc(doc_id=3, title="b1-edited", slug="one")
    assert own.update(conn, user_ctx=b, doc_id=3) == 1
    assert Doc(title="x", slug="z").update(conn, user_ctx=b, title="a1") == 0
    assert _all_titles(conn) == [(1, "a1"), (1, "a2"), (2, "b1-edited")]


def test_deletes_are_scoped(users: tuple[sqlite3.Connection, UserContext, UserContext]) -> None:
    """B deleting A's row by id, or everything, removes only B's rows."""
    conn, _a, b = users
    assert Doc.delete(conn, user_ctx=b, doc_id=1) == 0
    assert Doc.delete(conn, user_ctx=b) == 1
    assert [t for _, t in _all_titles(conn)] == ["a1", "a2"]


def test_insert_is_scoped(users: tuple[sqlite3.Connection, UserContext, UserContext]) -> None:
    """insert needs a context and refuses a row forged with another user's id."""
    conn, a, b = users
    with pytest.raises(UserScopeError, match="Doc is user-owned: pass user_ctx"):
        Doc(title="x").insert(conn, auto_increment=True)
    forged = Doc(title="forged", user_id=a.user.user_id)
    with pytest.raises(UserScopeError, match="row has user_id=1, but the context's user is 2"):
        forged.insert(conn, auto_increment=True, user_ctx=b)
    with pytest.raises(UserScopeError):
        forged.save_with_ctx(b, conn)
    Doc(title="b2").insert(conn, auto_increment=True, user_ctx=b)
    assert _all_titles(conn)[-1] == (2, "b2")
    assert len(_all_titles(conn)) == 4


def test_unscoped_calls_are_refused(
    users: tuple[sqlite3.Connection, UserContext, UserContext],
) -> None:
    """Every call path without user_ctx fails: filters, save, load_by_id, AK lookups."""
    conn, a, _ = users
    for call in (
        lambda: Doc.select(conn),
        lambda: Doc.select_count(conn, title="a1"),
        lambda: Doc.exists(conn),
        lambda: Doc.delete(conn),
        lambda: Doc(title="x").update(conn, doc_id=1),
        lambda: Doc.resolve_ak(conn, slug="one"),
        lambda: Doc(doc_id=1, title="a1").to_ak_dict(conn),
    ):
        with pytest.raises(AssertionError, match="user_ctx"):
            call()
    with pytest.raises(NotImplementedError, match="save_with_ctx"):
        Doc(title="x").save(conn)
    with pytest.raises(NotImplementedError, match="load_by_id_with_ctx"):
        Doc.load_by_id(conn, 1)
    with pytest.raises(UserScopeError, match="must be a UserContext"):
        Doc.select(conn, user_ctx=a.user)
    with pytest.raises(UserScopeError, match="has no user_id yet"):
        Doc.select(conn, user_ctx=UserContext(user=User(info=UserInfo())))


def test_alt_key_lookups_are_scoped(
    users: tuple[sqlite3.Connection, UserContext, UserContext],
) -> None:
    """resolve_ak/load_by_ak/to_ak_dict only see the context user's rows."""
    conn, a, b = users
    assert Doc.resolve_ak(conn, user_ctx=b, slug="two") is None
    assert Doc.resolve_ak(conn, user_ctx=b, slug="one") == 3
    doc = Doc.load_by_ak(conn, user_ctx=a, slug="one")
    assert doc is not None
    assert doc.title == "a1"
    assert doc.to_ak_dict(conn, user_ctx=a) == {"slug": "one"}
    with pytest.raises(Exception, match="no row with doc_id=1"):
        doc.to_ak_dict(conn, user_ctx=b)


def test_save_with_ctx_returns_the_row(
    users: tuple[sqlite3.Connection, UserContext, UserContext],
) -> None:
    """save_with_ctx returns the saved row, with its PK and user_id set."""
    conn, a, _ = users
    doc = Doc(title="new")
    assert doc.save_with_ctx(a, conn) is doc
    assert (doc.doc_id, doc.user_id) == (4, a.user.user_id)
    doc.title = "renamed"
    assert doc.save_with_ctx(a, conn) is doc
    assert Doc.load_by_id_with_ctx(conn, a, 4) == doc


def test_user_info_keeps_its_subclass(
    users: tuple[sqlite3.Connection, UserContext, UserContext],
) -> None:
    """User.info stored as JSON loads back as the UserInfo subclass that was saved."""
    conn, a, _ = users
    loaded = User.load_by_id(conn, a.user.user_id)
    assert loaded is not None
    assert isinstance(loaded.info, Profile)
    assert loaded.info.email == "a@example.com"
    assert loaded.created_at == a.user.created_at
