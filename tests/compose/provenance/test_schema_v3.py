"""Provenance schema 3 (`dag_runs.code_json`): stores written at version 2 are migrated
forward keeping every run, on SQLite and PostgreSQL; new runs record their code."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import psycopg

from lythonic.compose.dag_provenance import DagProvenance
from lythonic.compose.dag_runner import DagRunner
from lythonic.compose.namespace import Dag
from lythonic.compose.provenance._schema import SCHEMA_VERSION


def one() -> int:
    return 1


def _run(store: DagProvenance) -> str:
    dag = Dag()
    dag.node(one)
    result = asyncio.run(DagRunner(dag, store).run(dag_nsref="d"))
    store.flush()
    return result.run_id


def test_a_version_2_sqlite_store_gains_code_json_and_keeps_its_runs(tmp_path: Path) -> None:
    """Drop the column and mark the file version 2 (as an older lythonic wrote it): on
    open it is migrated to 3, the old run is there (no code), a new run has its code."""
    db = tmp_path / "dags.db"
    store = DagProvenance(db)
    old = _run(store)
    store.close()
    with sqlite3.connect(db) as conn:
        conn.execute("ALTER TABLE dag_runs DROP COLUMN code_json")
        conn.execute("UPDATE lythonic_schema SET version = 2 WHERE component = 'provenance'")
    store = DagProvenance(db)
    run = store.get_run(old)
    assert run is not None and run["status"] == "completed" and run["code_json"] is None
    new = _run(store)
    code = json.loads(store.get_run(new)["code_json"])  # type: ignore[index]
    assert set(code["steps"]) == {"one"} and len(code["steps"]["one"]) == 16
    store.close()
    with sqlite3.connect(db) as conn:
        version = conn.execute(
            "SELECT version FROM lythonic_schema WHERE component = 'provenance'"
        ).fetchone()
    assert version == (SCHEMA_VERSION,) and SCHEMA_VERSION == 3


def test_a_version_2_postgres_schema_gains_code_json(pg_server: str, pg_schema: str) -> None:
    """The same on PostgreSQL: the column is added, the old run kept."""
    from lythonic.compose.provenance._pg import PgProvenance

    store = PgProvenance(pg_server, schema=pg_schema)
    old = _run(store)
    store.close()
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f"ALTER TABLE {pg_schema}.dag_runs DROP COLUMN code_json")
        conn.execute(
            f"UPDATE {pg_schema}.lythonic_schema SET version = 2 WHERE component = 'provenance'"
        )
    store = PgProvenance(pg_server, schema=pg_schema)
    assert store.get_run(old)["code_json"] is None  # type: ignore[index]
    new = _run(store)
    assert "one" in json.loads(store.get_run(new)["code_json"])["steps"]  # type: ignore[index]
    store.close()
