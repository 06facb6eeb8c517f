"""Schema evolution: compare a model with its existing table and plan safe changes.

Safe: adding a column that is nullable or has a static default. Everything
else (a new NOT NULL column without default, a changed type, nullability,
primary key, alternative key or foreign key, a dropped NOT NULL column) is
refused with :class:`SchemaMismatchError`, before anything is changed.
CHECK constraints (Literal/Enum choices) are not compared.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any, NamedTuple

from pydantic_core import PydanticUndefined

from lythonic.state._ddl import column_decl
from lythonic.state._fields import FieldInfo
from lythonic.state._sqlite import quote_ident, sql_literal

if TYPE_CHECKING:
    from lythonic.state._model import DbModel

__all__ = ["ColumnAdd", "TablePlan", "plan_table"]


class ColumnAdd(NamedTuple):
    table: str
    column: str
    decl: str

    def sql(self) -> str:
        return f"ALTER TABLE {quote_ident(self.table)} ADD COLUMN {quote_ident(self.column)} {self.decl}"


class TablePlan(NamedTuple):
    exists: bool
    adds: list[ColumnAdd]
    problems: list[str]


def _pragma(conn: sqlite3.Connection, pragma: str, arg: str) -> list[Any]:
    # Read-only introspection, not logged: the log shows the statements that change things.
    return conn.execute(f"PRAGMA {pragma}({quote_ident(arg)})").fetchall()


def _unique_sets(conn: sqlite3.Connection, table: str) -> set[frozenset[str]]:
    sets: set[frozenset[str]] = set()
    for _seq, name, unique, origin, *_ in _pragma(conn, "index_list", table):
        if unique and origin == "u":
            sets.add(frozenset(row[2] for row in _pragma(conn, "index_info", name)))
    return sets


def _new_column(model: type[DbModel[Any]], fi: FieldInfo) -> ColumnAdd | str:
    """The ADD COLUMN for a field the table lacks, or why it cannot be added."""
    table = model.get_table_name()
    if fi.primary_key or fi.alt_key:
        role = "primary key" if fi.primary_key else "alternative key (UNIQUE)"
        return f"new {role} column {fi.name!r} cannot be added to an existing table"
    decl = column_decl(fi)
    if fi.nullable:
        return ColumnAdd(table, fi.name, decl)
    default = model.model_fields[fi.name].default
    if default is PydanticUndefined or default is None:
        return (
            f"new NOT NULL column {fi.name!r} has no static default for the existing rows; "
            f"give it a default (not a default_factory) or make it `{fi.ktype.name} | None`"
        )
    try:
        literal = sql_literal(fi.ktype.db.map_to(default))
    except TypeError as e:
        return f"new column {fi.name!r}: its default cannot be written as SQL ({e})"
    return ColumnAdd(table, fi.name, f"{decl} DEFAULT {literal}")


def plan_table(conn: sqlite3.Connection, model: type[DbModel[Any]]) -> TablePlan:
    """What it takes to bring ``model``'s existing table up to date, or why it cannot be."""
    table = model.get_table_name()
    rows = _pragma(conn, "table_info", table)
    if not rows:
        return TablePlan(False, [], [])
    columns = {r[1]: r for r in rows}  # cid, name, type, notnull, dflt_value, pk
    fields = list(model.get_field_infos())
    adds: list[ColumnAdd] = []
    problems: list[str] = []

    db_pk = [r[1] for r in sorted(rows, key=lambda r: r[5]) if r[5]]
    model_pk = [fi.name for fi in fields if fi.primary_key]
    if set(db_pk) != set(model_pk):
        problems.append(
            f"primary key is ({', '.join(db_pk)}) in the database, ({', '.join(model_pk)}) in the model"
        )

    fks = {r[3]: (r[2], r[4]) for r in _pragma(conn, "foreign_key_list", table)}
    for fi in fields:
        col = columns.get(fi.name)
        if col is None:
            add = _new_column(model, fi)
            if isinstance(add, ColumnAdd):
                adds.append(add)
            else:
                problems.append(add)
            continue
        want_type = fi.ktype.db_type_info.name
        if str(col[2]).upper() != want_type:
            problems.append(
                f"column {fi.name!r} is {col[2]} in the database, {want_type} in the model"
            )
        if not fi.primary_key and bool(col[3]) == fi.nullable:
            now = "nullable" if fi.nullable else "NOT NULL"
            problems.append(f"column {fi.name!r} is {now} in the model but not in the database")
        if fks.get(fi.name) != fi.foreign_key:
            problems.append(
                f"column {fi.name!r} references {fks.get(fi.name)} in the database, {fi.foreign_key} in the model"
            )
    names = {fi.name for fi in fields}
    for name, col in columns.items():
        if name not in names and col[3] and col[4] is None and not col[5]:
            problems.append(
                f"column {name!r} is NOT NULL without default in the database but not in the model, "
                "so inserts would fail"
            )
    ak = frozenset(model._unique_columns())
    uniques = _unique_sets(conn, table)
    if (ak and ak not in uniques) or any(u != ak for u in uniques):
        problems.append(
            f"alternative key ({', '.join(sorted(ak))}) differs from the UNIQUE constraints "
            f"in the database {sorted(sorted(u) for u in uniques)}"
        )
    return TablePlan(True, adds, [f"{table}: {p}" for p in problems])
