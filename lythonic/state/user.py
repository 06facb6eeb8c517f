"""Per-user rows: every read and write of a ``UserOwned`` table is scoped to one user.

>>> from pydantic import Field
>>> class Note(UserOwned["Note"]):
...     note_id: int = Field(default=-1, description="(PK)")
...     text: str

With ``ctx = UserContext(user=alice)``: ``Note(text="hi").save_with_ctx(ctx, conn)``
stores Alice's note, ``Note.select(conn, user_ctx=ctx)`` lists only hers, and
``Note.load_by_id_with_ctx(conn, ctx, 1)`` finds note 1 only if it is hers.
Calls without ``user_ctx`` raise :class:`UserScopeError`; a row carrying
another user's ``user_id`` is never written under this context.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any, ClassVar, Self, TypeVar

from pydantic import BaseModel, Field

from lythonic import utc_now
from lythonic.state._errors import UserScopeError
from lythonic.state._filters import Where, build_where
from lythonic.state._model import DbModel
from lythonic.types import JsonBase

__all__ = ["User", "UserContext", "UserInfo", "UserOwned"]


class UserInfo(JsonBase):
    """Free-form user details, stored as JSON; subclass it to add fields."""


class User(DbModel["User"]):
    user_id: int = Field(default=-1, description="(PK) Unique identifier for the user")
    info: UserInfo = Field(description="User information object")
    created_at: datetime = Field(
        default_factory=utc_now, description="Date and time when the user was created"
    )


class UserContext(BaseModel):
    """The user on whose behalf user-owned rows are read and written."""

    user: User


def _user_id_of(user_ctx: Any, table: str) -> int:
    """The context's user id, after checking a usable context was given."""
    if user_ctx is None:
        raise UserScopeError(f"{table} is user-owned: pass user_ctx=UserContext(user=...)")
    if not isinstance(user_ctx, UserContext):
        raise UserScopeError(
            f"{table}: user_ctx must be a UserContext, got {type(user_ctx).__name__}"
        )
    user_id = user_ctx.user.user_id
    if user_id == -1:
        raise UserScopeError(f"{table}: the context's user has no user_id yet; save the User first")
    return user_id


UO = TypeVar("UO", bound="UserOwned")


class UserOwned(DbModel[UO]):
    """A table whose rows belong to a user; its first column is ``user_id``."""

    _user_scope_column: ClassVar[str | None] = "user_id"

    user_id: int = Field(default=-1, description="(FK:User.user_id) Reference to the user")

    def save(self, conn: sqlite3.Connection) -> Self:
        raise NotImplementedError(f"{type(self).__name__} is user-owned: use save_with_ctx")

    @classmethod
    def load_by_id(cls, conn: sqlite3.Connection, id: Any) -> Self | None:
        raise NotImplementedError(f"{cls.__name__} is user-owned: use load_by_id_with_ctx")

    def _claim(self, user_ctx: Any) -> None:
        user_id = _user_id_of(user_ctx, type(self).__name__)
        if self.user_id not in (-1, user_id):
            raise UserScopeError(
                f"Possible Access violation: {type(self).__name__} row has user_id={self.user_id}, "
                f"but the context's user is {user_id}"
            )
        self.user_id = user_id

    def insert(
        self,
        conn: sqlite3.Connection,
        auto_increment: bool = False,
        *,
        user_ctx: UserContext | None = None,
    ) -> None:
        """INSERT as the context's user (``user_id`` is set from ``user_ctx``)."""
        self._claim(user_ctx)
        super().insert(conn, auto_increment)

    def save_with_ctx(self, ctx: UserContext, conn: sqlite3.Connection) -> Self:
        """Insert a new row (PK -1) or update this user's row with this PK; returns self."""
        self._claim(ctx)
        pk_filter, defined = self.get_pk_filter()
        if not defined:
            self.insert(conn, auto_increment=True, user_ctx=ctx)
        elif self.update(conn, user_ctx=ctx, **pk_filter) == 0:
            raise UserScopeError(
                f"Possible Access violation: {type(self).__name__} {pk_filter} does not exist "
                f"or belongs to another user than {ctx.user.user_id}"
            )
        return self

    @classmethod
    def _where(cls, filters: dict[str, Any]) -> Where:
        rest = dict(filters)
        user_id = _user_id_of(rest.pop("user_ctx", None), cls.__name__)
        # The scope is one more ANDed clause, so no user filter can widen it.
        pairs = [*rest.items(), ("user_id", user_id)]
        return build_where(cls.__name__, cls.get_field_map(), pairs)

    @classmethod
    def load_by_id_with_ctx(
        cls, conn: sqlite3.Connection, user_ctx: UserContext, id: Any
    ) -> Self | None:
        rows = cls.select(conn, user_ctx=user_ctx, **{cls._ensure_pk("load_by_id").name: id})
        return rows[0] if rows else None

    @classmethod
    def load_by_ak(cls, conn: sqlite3.Connection, **ak_values: Any) -> Self | None:
        """``load_by_ak(conn, user_ctx=ctx, **leaf_values)``, scoped to the context's user."""
        user_ctx = ak_values.get("user_ctx")
        pk = cls.resolve_ak(conn, **ak_values)
        return None if pk is None else cls.load_by_id_with_ctx(conn, user_ctx, pk)  # type: ignore[arg-type]
