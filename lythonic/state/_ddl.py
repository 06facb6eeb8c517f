"""CREATE TABLE text for a model's columns."""

from __future__ import annotations

from collections.abc import Sequence

from lythonic.state._fields import FieldInfo
from lythonic.state._sqlite import quote_ident

__all__ = ["column_decl", "create_table_ddl"]


def column_decl(fi: FieldInfo, *, single_pk: bool = True) -> str:
    """What follows the column name: ``TYPE[ NOT NULL][ PRIMARY KEY][ REFERENCES "T"("f")][ CHECK (...)]``.

    A single primary key is declared on its column (an INTEGER one becomes the
    rowid); the columns of a composite key get NOT NULL instead.
    """
    parts = [fi.ktype.db_type_info.name]
    if not fi.nullable and not (fi.primary_key and single_pk):
        parts.append("NOT NULL")
    if fi.primary_key and single_pk:
        parts.append("PRIMARY KEY")
    if fi.foreign_key is not None:
        table, field = fi.foreign_key
        parts.append(f"REFERENCES {quote_ident(table)}({quote_ident(field)})")
    return " ".join(parts) + fi.check_constraint_ddl()


def create_table_ddl(
    table: str, fields: Sequence[FieldInfo], unique: Sequence[str] | None = None
) -> str:
    """``CREATE TABLE IF NOT EXISTS`` for ``fields``, with composite PK and AK UNIQUE.

    ``unique`` overrides the UNIQUE columns (default: the AK fields).
    """
    pks = [fi.name for fi in fields if fi.primary_key]
    single = len(pks) == 1
    defs = [f"{quote_ident(fi.name)} {column_decl(fi, single_pk=single)}" for fi in fields]
    if len(pks) > 1:
        defs.append(f"PRIMARY KEY ({', '.join(map(quote_ident, pks))})")
    if unique is None:
        unique = [fi.name for fi in fields if fi.alt_key]
    if unique:
        defs.append(f"UNIQUE ({', '.join(map(quote_ident, unique))})")
    return f"CREATE TABLE IF NOT EXISTS {quote_ident(table)} ({', '.join(defs)})"
