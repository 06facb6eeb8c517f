"""Opening a data directory's run and trigger stores: one place for every command.

``lyth`` commands, the daemon and ``Namespace.mount`` open their stores here,
so an unusable store (unreadable, written by a newer lythonic, on a network
file system the settings refuse, a database that cannot be reached) fails the
same way everywhere: a ``StoreUnavailable`` whose message names the store
and the reason, which the CLI prints as one line (exit 1).

A store is a SQLite file (a ``Path``) or a schema of a PostgreSQL database
(``PgLocation``, from ``storage.url`` / ``LYTH_STORAGE_URL``).
"""

from __future__ import annotations

import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Union

from lythonic._pg import shown_url

if TYPE_CHECKING:
    from lythonic.compose.provenance import DagProvenance
    from lythonic.compose.schedule import TriggerStore
    from lythonic.compose.schedule._clock import Clock

__all__ = [
    "PgLocation",
    "StoreLocation",
    "StoreUnavailable",
    "current_versions",
    "open_provenance",
    "open_triggers",
    "store_versions",
]


@dataclass(frozen=True)
class PgLocation:
    """The stores' tables in ``schema`` of the PostgreSQL database at ``url``."""

    url: str
    schema: str = "lythonic"

    def exists(self) -> bool:
        """As ``Path.exists``: a database is there (whether it can be reached, opening tells)."""
        return True

    def __str__(self) -> str:
        return f"{shown_url(self.url)} (schema {self.schema})"


StoreLocation = Union[Path, PgLocation]  # noqa: UP007 -- a runtime alias
"""Where a store is: a SQLite file, or a PostgreSQL schema."""


class StoreUnavailable(Exception):
    """A store cannot be opened; ``str()`` is ``cannot open <store>: <reason>``."""

    def __init__(self, path: StoreLocation, error: BaseException) -> None:
        super().__init__(f"cannot open {path}: {error}")
        self.path = path
        self.error = error


def _db_errors() -> tuple[type[BaseException], ...]:
    # psycopg only when something imported it already (a PostgreSQL store did): a
    # SQLite store cannot raise its errors, and importing it costs ~50 ms of start-up.
    psycopg = sys.modules.get("psycopg")
    if psycopg is None:
        return (sqlite3.Error, OSError)
    return (sqlite3.Error, OSError, psycopg.Error)


def open_provenance(path: StoreLocation) -> DagProvenance:
    """The run store (provenance) at ``path``: a SQLite file or a PostgreSQL schema."""
    from lythonic.compose.provenance import DagProvenance, ProvenanceSchemaError

    try:
        if isinstance(path, PgLocation):
            from lythonic.compose.provenance._pg import PgProvenance

            return PgProvenance(path.url, schema=path.schema)
        return DagProvenance(path)
    except ImportError as e:
        raise StoreUnavailable(path, _no_extra(e)) from e
    except Exception as e:
        if isinstance(e, (ProvenanceSchemaError, *_db_errors())):
            raise StoreUnavailable(path, e) from e
        raise


def open_triggers(path: StoreLocation, *, clock: Clock | None = None) -> TriggerStore:
    """The trigger store (activations, one event per tick) at ``path``."""
    from lythonic.compose.schedule import TriggerStore, TriggerStoreError

    try:
        if isinstance(path, PgLocation):
            from lythonic.compose.schedule._pg_store import PgTriggerStore

            return PgTriggerStore(path.url, schema=path.schema, clock=clock)
        return TriggerStore(path, clock=clock)
    except ImportError as e:
        raise StoreUnavailable(path, _no_extra(e)) from e
    except Exception as e:
        if isinstance(e, (TriggerStoreError, *_db_errors())):
            raise StoreUnavailable(path, e) from e
        raise


def _no_extra(e: ImportError) -> Exception:
    return RuntimeError(f"PostgreSQL needs psycopg: pip install 'lythonic[postgres]' ({e})")


def store_versions(runs: StoreLocation, triggers: StoreLocation) -> dict[str, int | None]:
    """The schema version each store records (``provenance``, ``triggers``), read
    without creating or changing anything; None where nothing is recorded yet."""
    from lythonic._connect import schema_version

    out: dict[str, int | None] = {}
    for component, where in (("provenance", runs), ("triggers", triggers)):
        if isinstance(where, PgLocation):
            out[component] = _pg_version(where, component)
        elif not where.exists():
            out[component] = None
        else:
            conn = sqlite3.connect(f"file:{where}?mode=ro", uri=True)
            try:
                out[component] = schema_version(conn, component)
            except sqlite3.Error as e:
                raise StoreUnavailable(where, e) from e
            finally:
                conn.close()
    return out


def current_versions() -> dict[str, int]:
    """The schema version of each store this lythonic writes."""
    from lythonic.compose.provenance._schema import SCHEMA_VERSION as PROVENANCE
    from lythonic.compose.schedule._store import SCHEMA_VERSION as TRIGGERS

    return {"provenance": PROVENANCE, "triggers": TRIGGERS}


def _pg_version(where: PgLocation, component: str) -> int | None:
    import psycopg

    from lythonic._pg import connect_pg

    try:
        conn = connect_pg(where.url, where.schema)
    except (ValueError, ConnectionError) as e:
        raise StoreUnavailable(where, e) from None
    try:
        exists = conn.execute("SELECT to_regclass('lythonic_schema') IS NOT NULL").fetchone()[0]
        if not exists:
            return None
        row = conn.execute(
            "SELECT version FROM lythonic_schema WHERE component = ?", (component,)
        ).fetchone()
        return None if row is None else int(row[0])
    except psycopg.Error as e:
        raise StoreUnavailable(where, e) from e
    finally:
        conn.close()
