"""`lyth db status` and `lyth db upgrade [--dry-run]` on SQLite files and on PostgreSQL."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest

from lythonic.cli import _admin_cmds
from lythonic.compose.stores import current_versions
from lythonic.declarative import LythSettings


def _config(root: Path, schema: str = "lythonic") -> Path:
    config = root / "lyth.yaml"
    config.write_text(f"storage:\n  schema: {schema}\ndags: {{}}\n")
    return config


@pytest.fixture(params=["sqlite", "postgres"])
def place(
    request: pytest.FixtureRequest, tmp_path: Path
) -> tuple[Path, LythSettings, str | None, str]:
    """(config, settings, database URL or None, schema): stores in SQLite files or PostgreSQL."""
    url, schema = None, "lythonic"
    if request.param == "postgres":
        url, schema = request.getfixturevalue("pg_server"), request.getfixturevalue("pg_schema")
    config = _config(tmp_path, schema)
    return (
        config,
        LythSettings(config=config, data_dir=tmp_path / "data", storage_url=url),
        url,
        schema,
    )


def test_status_then_a_dry_run_then_the_upgrade(
    place: tuple[Path, LythSettings, str | None, str],
) -> None:
    config, settings, _, _ = place
    before = _admin_cmds.status(config, settings)
    assert before.code == 0 and before.stdout.count("not created yet") == 2
    dry = _admin_cmds.upgrade(config, settings, dry_run=True)
    versions = current_versions()
    assert dry.stdout.count("would ") == 2
    assert f"provenance: create to version {versions['provenance']}" in dry.stdout
    assert f"triggers: create to version {versions['triggers']}" in dry.stdout
    assert _admin_cmds.status(config, settings).stdout == before.stdout  # nothing changed
    done = _admin_cmds.upgrade(config, settings)
    assert done.code == 0 and done.stdout.count("done: ") == 2
    after = _admin_cmds.status(config, settings)
    assert after.code == 0 and after.stdout.count(": current") == 2
    assert _admin_cmds.upgrade(config, settings).stdout == "the stores are current; nothing to do\n"


def test_a_store_newer_than_this_lythonic_is_named_and_refused(
    place: tuple[Path, LythSettings, str | None, str], tmp_path: Path
) -> None:
    config, settings, url, schema = place
    assert _admin_cmds.upgrade(config, settings).code == 0
    bump = "UPDATE {}lythonic_schema SET version = 7 WHERE component = 'provenance'"
    if url is None:
        with sqlite3.connect(tmp_path / "data" / "dags.db") as conn:
            conn.execute(bump.format(""))
    else:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(bump.format(f"{schema}."))
    status = _admin_cmds.status(config, settings)
    assert (
        status.code == 1
        and f"version 7 (this lythonic: {current_versions()['provenance']}): newer than this "
        "lythonic"
        in status.stdout
    )
    refused = _admin_cmds.upgrade(config, settings)
    assert refused.code == 1 and "provenance at " in refused.stderr[0]
