"""Schema (a set of tables), DbFile (a database file holding one) and DbConfig."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from lythonic._public import publish
from lythonic.state._errors import AltKeyError, ModelDefinitionError, SchemaMismatchError
from lythonic.state._migrate import ColumnAdd, plan_table
from lythonic.state._model import DbModel
from lythonic.state._sqlite import add_missing_column, execute_sql, open_sqlite_db
from lythonic.state.alt_key import AltKey

__all__ = ["DbConfig", "DbFile", "Schema"]


class Schema:
    """The tables of one database; list referenced tables first.

    Construction checks every model (annotations, markers, foreign keys of
    alternative keys) and installs each table's alternative-key join chain.

    >>> from pydantic import Field
    >>> class Tag(DbModel["Tag"]):
    ...     tag_id: int = Field(default=-1, description="(PK)")
    ...     label: str = Field(description="(AK)")
    >>> Schema([Tag]).table_map["Tag"] is Tag
    True
    """

    tables: list[type[DbModel[Any]]]
    table_map: dict[str, type[DbModel[Any]]]

    def __init__(self, tables: Sequence[type[DbModel[Any]]]) -> None:
        self.tables = list(tables)
        self.table_map = {}
        for t in self.tables:
            name = t.get_table_name()
            if name in self.table_map:
                raise ModelDefinitionError(f"Schema: two models are named {name!r}")
            self.table_map[name] = t
        self._validate()
        for t in self.tables:
            ak = AltKey.from_model(t)
            if ak is not None:
                ak.build_chain(self.table_map)
                ak.install()

    def _validate(self) -> None:
        for t in self.tables:
            name = t.get_table_name()
            for fi in t.get_field_infos(lambda fi: fi.foreign_key is not None):
                ref_table, ref_field = fi.foreign_key  # type: ignore[misc]
                where = f"{name}.{fi.name}"
                if fi.alt_key:
                    if ref_table == name:
                        raise AltKeyError(f"{where}: self-referential FK in AK is disallowed")
                    if ref_table not in self.table_map:
                        raise AltKeyError(
                            f"{where}: FK references {ref_table!r} which is not in schema"
                        )
                    if AltKey.from_model(self.table_map[ref_table]) is None:
                        raise AltKeyError(
                            f"{where}: FK references {ref_table!r} which has no alternative key"
                        )
                ref = self.table_map.get(ref_table)
                if ref is not None and ref_field not in ref.get_field_map():
                    raise ModelDefinitionError(
                        f"{where}: FK references {ref_table}.{ref_field}, which is not a field of {ref_table}"
                    )

    def check_all_tables_exist(self, conn: sqlite3.Connection) -> bool:
        cursor = conn.cursor()
        execute_sql(cursor, "SELECT name FROM sqlite_master WHERE type='table'")
        existing = {r[0] for r in cursor.fetchall()}
        return all(t.get_table_name() in existing for t in self.tables)

    def plan_migration(self, conn: sqlite3.Connection) -> list[str]:
        """The statements ``create_tables`` would run (none when up to date).

        Raises SchemaMismatchError, listing every problem, when an existing
        table cannot be brought up to date safely.
        """
        return [sql for _, sql in self._plan(conn)]

    def _plan(self, conn: sqlite3.Connection) -> list[tuple[ColumnAdd | None, str]]:
        steps: list[tuple[ColumnAdd | None, str]] = []
        problems: list[str] = []
        for t in self.tables:
            plan = plan_table(conn, t)
            if not plan.exists:
                steps.append((None, t.create_ddl()))
            steps.extend((add, add.sql()) for add in plan.adds)
            problems.extend(plan.problems)
        if problems:
            raise SchemaMismatchError(
                "the database cannot be migrated to the current models safely:\n  - "
                + "\n  - ".join(problems)
                + "\nMigrate these tables by hand (or start a new database file)."
            )
        return steps

    def migrate(self, conn: sqlite3.Connection) -> list[str]:
        """Create missing tables and add missing columns, atomically; the SQL that ran.

        Nothing changes when any table cannot be migrated safely
        (SchemaMismatchError). Commits.
        """
        own_tx = not conn.in_transaction
        cursor = conn.cursor()
        if own_tx:
            # Lock first, then plan: another process may be migrating the same file.
            cursor.execute("BEGIN IMMEDIATE")
        try:
            steps = self._plan(conn)
            for add, sql in steps:
                if add is None:
                    execute_sql(cursor, sql)
                else:
                    add_missing_column(cursor, add.table, add.column, add.decl)
        except BaseException:
            if own_tx:
                conn.rollback()
            raise
        conn.commit()
        return [sql for _, sql in steps]

    def create_tables(self, conn: sqlite3.Connection) -> None:
        """Create the tables that are missing and migrate the others (see ``migrate``)."""
        self.migrate(conn)

    def create_schema(self, path: str | Path) -> None:
        """Open (or create) the database file at ``path`` and ``create_tables`` in it."""
        with open_sqlite_db(path) as conn:
            self.create_tables(conn)


class DbFile:
    """A database file that should hold ``schema``."""

    path: Path
    schema: Schema

    def __init__(self, db_path: Path | str, schema: Schema) -> None:
        self.path = Path(db_path)
        self.schema = schema

    def check(self, ensure: bool = False) -> bool:
        """Whether the file is ready for the schema; with ``ensure``, make it so.

        Without ``ensure`` a missing file, table or column gives False. A
        change that cannot be migrated raises SchemaMismatchError either way.
        """
        if not self.path.exists():
            if not ensure:
                return False
            with self.open() as conn:
                self.schema.create_tables(conn)
            return True
        with self.open() as conn:
            if ensure:
                self.schema.create_tables(conn)
                return True
            return not self.schema.plan_migration(conn)

    def open(self) -> AbstractContextManager[sqlite3.Connection]:
        return open_sqlite_db(self.path)


class DbConfig(BaseModel):
    db_path: Path


publish("lythonic.state", Schema, DbFile, DbConfig)
