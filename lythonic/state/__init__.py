"""Pydantic models as SQLite tables: DDL, CRUD, filters, schema evolution.

>>> from pydantic import Field
>>> class Book(DbModel["Book"]):
...     book_id: int = Field(default=-1, description="(PK)")
...     title: str
...     year: int | None = None
>>> with open_sqlite_db(":memory:") as conn:
...     Schema([Book]).create_tables(conn)
...     _ = Book(title="Emma", year=1815).save(conn)
...     [b.title for b in Book.select(conn, gt__year=1800, order_by="-year", limit=10)]
['Emma']

See docs/state.md. Alternative keys live in ``lythonic.state.alt_key`` and
per-user rows in ``lythonic.state.user``.
"""

from lythonic.state._errors import (
    AltKeyError,
    FilterError,
    ModelDefinitionError,
    SchemaMismatchError,
    StateError,
    UserScopeError,
)
from lythonic.state._fields import FieldInfo
from lythonic.state._filters import FILTER_OPERATOR_SQL, FilterOp, FilterOperator
from lythonic.state._model import DbModel, from_multi_model_row
from lythonic.state._schema import DbConfig, DbFile, Schema
from lythonic.state._sqlite import (
    add_missing_column,
    execute_sql,
    logger,
    open_sqlite_db,
    to_sql_datetime,
)

__all__ = [
    "FILTER_OPERATOR_SQL",
    "AltKeyError",
    "DbConfig",
    "DbFile",
    "DbModel",
    "FieldInfo",
    "FilterError",
    "FilterOp",
    "FilterOperator",
    "ModelDefinitionError",
    "Schema",
    "SchemaMismatchError",
    "StateError",
    "UserScopeError",
    "add_missing_column",
    "execute_sql",
    "from_multi_model_row",
    "logger",
    "open_sqlite_db",
    "to_sql_datetime",
]
