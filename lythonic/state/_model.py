"""DbModel: a pydantic model that is also an SQLite table, with CRUD class methods.

None of the methods commit; the caller owns the transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Generator, Iterator, Sequence
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar
from weakref import WeakKeyDictionary

from pydantic import BaseModel

from lythonic._public import publish
from lythonic.state._ddl import create_table_ddl
from lythonic.state._errors import AltKeyError, FilterError, ModelDefinitionError, StateError
from lythonic.state._fields import FieldInfo
from lythonic.state._filters import Where, build_where, order_limit_sql
from lythonic.state._sqlite import execute_sql, quote_ident


class AltKeyOps(Protocol):
    """What a model asks of its alternative key (``lythonic.state.alt_key.AltKey``)."""

    def resolve(
        self, conn: sqlite3.Connection, *, user_ctx: Any = None, **ak_values: Any
    ) -> int | None: ...

    def to_ak_dict(
        self, conn: sqlite3.Connection, record: Any, *, user_ctx: Any = None
    ) -> dict[str, Any]: ...

    def to_ak_dicts(
        self, conn: sqlite3.Connection, records: Sequence[Any], *, user_ctx: Any = None
    ) -> list[dict[str, Any]]: ...


# Alternative keys are built by lythonic.state.alt_key, a layer above this one:
# importing it hands its builder down here (lythonic.state imports it).
_alt_key_for: Callable[[type[Any]], AltKeyOps | None] | None = None


def provide_alt_keys(builder: Callable[[type[Any]], AltKeyOps | None]) -> None:
    """Install the function that finds a model's alternative key."""
    global _alt_key_for
    _alt_key_for = builder


__all__ = ["DbModel", "from_multi_model_row"]

T = TypeVar("T", bound="DbModel")

# Field infos per model class, built on first use (errors surface then, not at import).
_FIELDS: WeakKeyDictionary[type, tuple[FieldInfo, ...]] = WeakKeyDictionary()


class DbModel(BaseModel, Generic[T]):
    """A table: the class name is the table name, the fields are the columns.

    Column markers go at the start of ``Field(description=...)``, in any order:
    ``(PK)`` primary key, ``(FK:Table.field)`` foreign key, ``(AK)`` part of
    the alternative key.

    >>> from pydantic import Field
    >>> class Author(DbModel["Author"]):
    ...     author_id: int = Field(default=-1, description="(PK)")
    ...     name: str
    >>> Author.create_ddl()
    'CREATE TABLE IF NOT EXISTS "Author" ("author_id" INTEGER PRIMARY KEY, "name" TEXT NOT NULL)'
    """

    # Set by UserOwned: the column every query of the table is scoped by.
    _user_scope_column: ClassVar[str | None] = None

    # -- introspection -------------------------------------------------------

    @classmethod
    def get_table_name(cls) -> str:
        return cls.__name__

    @classmethod
    def alias(cls, alias: str) -> str:
        """``"Table" AS "alias"``, for hand-written joins."""
        return f"{quote_ident(cls.get_table_name())} AS {quote_ident(alias)}"

    @classmethod
    def columns(cls, alias: str | None = None) -> str:
        """The quoted column list, prefixed by ``alias.`` when given."""
        prefix = "" if alias is None else quote_ident(alias) + "."
        return ", ".join(prefix + quote_ident(fi.name) for fi in cls._fields())

    @classmethod
    def _fields(cls) -> tuple[FieldInfo, ...]:
        fields = _FIELDS.get(cls)
        if fields is None:
            fields = tuple(
                FieldInfo.build(name, info, owner=cls.__name__)
                for name, info in cls.model_fields.items()
            )
            _FIELDS[cls] = fields
        return fields

    @classmethod
    def get_field_infos(
        cls, filter: Callable[[FieldInfo], bool] = lambda _: True
    ) -> Generator[FieldInfo, None, None]:
        yield from (fi for fi in cls._fields() if filter(fi))

    @classmethod
    def get_field_map(cls) -> dict[str, FieldInfo]:
        return {fi.name: fi for fi in cls._fields()}

    @classmethod
    def create_ddl(cls) -> str:
        return create_table_ddl(cls.get_table_name(), cls._fields(), cls._unique_columns())

    @classmethod
    def _unique_columns(cls) -> list[str]:
        """The UNIQUE constraint: the AK fields, per user for user-owned tables."""
        aks = [fi.name for fi in cls._fields() if fi.alt_key]
        scope = cls._user_scope_column
        return [scope, *aks] if aks and scope and scope not in aks else aks

    @classmethod
    def _ensure_pk(cls, purpose: str = "this operation") -> FieldInfo:
        pks = [fi for fi in cls._fields() if fi.primary_key]
        if len(pks) != 1:
            names = ", ".join(fi.name for fi in pks) or "none"
            raise ModelDefinitionError(
                f"{cls.__name__}: {purpose} needs exactly one (PK) field, found {len(pks)} ({names})"
            )
        return pks[0]

    def get_pk_filter(self) -> tuple[dict[str, Any], bool]:
        """(``{pk: value}``, whether the key is set, i.e. not -1)."""
        pks = [fi for fi in type(self)._fields() if fi.primary_key]
        if not pks:
            raise ModelDefinitionError(f"{type(self).__name__}: no field is marked (PK)")
        values = {fi.name: getattr(self, fi.name) for fi in pks}
        return values, all(v != -1 for v in values.values())

    # -- writes -------------------------------------------------------------

    def insert(self, conn: sqlite3.Connection, auto_increment: bool = False) -> None:
        """INSERT this row; with ``auto_increment`` the PK is left to SQLite and read back."""
        cls = type(self)
        pk = cls._ensure_pk("insert(auto_increment=True)") if auto_increment else None
        fields = [fi for fi in cls._fields() if fi is not pk]
        table = quote_ident(cls.get_table_name())
        cursor = conn.cursor()
        if fields:
            names = ", ".join(quote_ident(fi.name) for fi in fields)
            marks = ", ".join("?" * len(fields))
            sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"
        else:
            sql = f"INSERT INTO {table} DEFAULT VALUES"
        execute_sql(cursor, sql, [fi.to_sql_value(self) for fi in fields])
        if pk is not None:
            pk.set_value(self, cursor.lastrowid)

    def save(self, conn: sqlite3.Connection) -> Self:
        """Insert when the PK is -1 (SQLite assigns it), else update by PK or insert."""
        pk_filter, defined = self.get_pk_filter()
        if not defined:
            self.insert(conn, auto_increment=True)
        elif self.update(conn, **pk_filter) == 0:
            self.insert(conn)
        return self

    def update(self, conn: sqlite3.Connection, **filters: Any) -> int:
        """SET every column not named in ``filters`` on the matching rows; the row count."""
        cls = type(self)
        where = cls._where(filters)
        rest = [fi for fi in cls._fields() if fi.name not in where.keys]
        if not rest:
            return cls._count(conn, where)
        assignments = ", ".join(f"{quote_ident(fi.name)} = ?" for fi in rest)
        cursor = conn.cursor()
        execute_sql(
            cursor,
            f"UPDATE {quote_ident(cls.get_table_name())} SET {assignments}{where.sql()}",
            [fi.to_sql_value(self) for fi in rest] + where.args,
        )
        return cursor.rowcount

    @classmethod
    def delete(cls, conn: sqlite3.Connection, **filters: Any) -> int:
        """DELETE the matching rows (all rows without filters); the row count."""
        where = cls._where(filters)
        cursor = conn.cursor()
        execute_sql(
            cursor, f"DELETE FROM {quote_ident(cls.get_table_name())}{where.sql()}", where.args
        )
        return cursor.rowcount

    # -- reads --------------------------------------------------------------

    @classmethod
    def _where(cls, filters: dict[str, Any]) -> Where:
        """The WHERE for keyword filters; subclasses add scoping here."""
        return build_where(cls.__name__, cls.get_field_map(), filters.items())

    @classmethod
    def select(
        cls,
        conn: sqlite3.Connection,
        *,
        order_by: str | Sequence[str] | None = None,
        limit: int | None = None,
        offset: int | None = None,
        **filters: Any,
    ) -> list[Self]:
        """The rows matching ``filters``, e.g. ``Book.select(conn, gt__year=1900, order_by="-year", limit=10)``.

        On a model with a field named ``order_by``, ``limit`` or ``offset``,
        that keyword is ambiguous here and raises ``FilterError``: filter the
        field with ``eq__limit=...``.
        """
        cls._refuse_ambiguous_paging(order_by=order_by, limit=limit, offset=offset)
        where = cls._where(filters)
        tail, tail_args = order_limit_sql(
            cls.__name__, cls.get_field_map(), order_by, limit, offset
        )
        cursor = conn.cursor()
        execute_sql(
            cursor,
            f"SELECT {cls.columns()} FROM {quote_ident(cls.get_table_name())}{where.sql()}{tail}",
            where.args + tail_args,
        )
        return [cls._from_row(row) for row in cursor.fetchall()]

    @classmethod
    def _refuse_ambiguous_paging(cls, **paging: Any) -> None:
        # select_count/exists/delete read `limit=10` as a filter on a field named
        # limit (upstream did so in select too); select must not silently page.
        fields = cls.get_field_map()
        for name, given in paging.items():
            if given is not None and name in fields:
                raise FilterError(
                    f"{cls.__name__}: the model has a field named {name!r}, so "
                    f"select({name}={given!r}) is ambiguous; filter the field with "
                    f"eq__{name}={given!r} (select's {name} argument is not available for "
                    "this model)"
                )

    @classmethod
    def _count(cls, conn: sqlite3.Connection, where: Where) -> int:
        cursor = conn.cursor()
        execute_sql(
            cursor,
            f"SELECT COUNT(*) FROM {quote_ident(cls.get_table_name())}{where.sql()}",
            where.args,
        )
        return int(cursor.fetchone()[0])

    @classmethod
    def select_count(cls, conn: sqlite3.Connection, **filters: Any) -> int:
        return cls._count(conn, cls._where(filters))

    @classmethod
    def exists(cls, conn: sqlite3.Connection, **filters: Any) -> bool:
        return cls.select_count(conn, **filters) > 0

    @classmethod
    def load_by_id(cls, conn: sqlite3.Connection, id: Any) -> Self | None:
        """The row whose single primary key is ``id``, or None."""
        rows = cls.select(conn, **{cls._ensure_pk("load_by_id").name: id})
        return rows[0] if rows else None

    @classmethod
    def _from_row(cls, row: Sequence[Any], fields: Sequence[FieldInfo] | None = None) -> Self:
        fields = cls._fields() if fields is None else fields
        if len(row) != len(fields):
            raise StateError(
                f"{cls.__name__}: a row of {len(row)} values for {len(fields)} columns"
            )
        return cls.model_validate(
            {fi.name: fi.from_sql_value(v) for fi, v in zip(fields, row, strict=True)}
        )

    # -- alternative keys -----------------------------------------------------

    @classmethod
    def _get_alt_key(cls) -> AltKeyOps | None:
        if _alt_key_for is None:  # cannot happen: importing lythonic.state installs it
            raise StateError("alternative keys are not available: import lythonic.state")
        return _alt_key_for(cls)

    @classmethod
    def _ensure_alt_key(cls) -> AltKeyOps:
        ak = cls._get_alt_key()
        if ak is None:
            raise AltKeyError(
                f"{cls.get_table_name()} has no alternative key defined; mark its fields with (AK)"
            )
        return ak

    @classmethod
    def resolve_ak(cls, conn: sqlite3.Connection, **ak_values: Any) -> int | None:
        """The PK of the row with these alternative-key leaf values, or None.

        A ``user_ctx=`` keyword is required when the key reads user-owned tables.
        """
        user_ctx = ak_values.pop("user_ctx", None)
        return cls._ensure_alt_key().resolve(conn, user_ctx=user_ctx, **ak_values)

    @classmethod
    def load_by_ak(cls, conn: sqlite3.Connection, **ak_values: Any) -> Self | None:
        pk = cls.resolve_ak(conn, **ak_values)
        return None if pk is None else cls.load_by_id(conn, pk)

    def to_ak_dict(self, conn: sqlite3.Connection, *, user_ctx: Any = None) -> dict[str, Any]:
        """This row's alternative key, FK parts replaced by the referenced rows' keys."""
        return type(self)._ensure_alt_key().to_ak_dict(conn, self, user_ctx=user_ctx)

    @classmethod
    def to_ak_dicts(
        cls,
        conn: sqlite3.Connection,
        records: Sequence[DbModel[Any]],
        *,
        user_ctx: Any = None,
    ) -> list[dict[str, Any]]:
        return cls._ensure_alt_key().to_ak_dicts(conn, records, user_ctx=user_ctx)


def from_multi_model_row(
    row: Sequence[Any], models: Sequence[type[DbModel[Any]]]
) -> Iterator[DbModel[Any]]:
    """Split a joined row (selected with ``Model.columns(alias)``) into one instance per model."""
    start = 0
    for model in models:
        fields = model._fields()
        yield model._from_row(row[start : start + len(fields)], fields)
        start += len(fields)


publish("lythonic.state", DbModel, from_multi_model_row)
