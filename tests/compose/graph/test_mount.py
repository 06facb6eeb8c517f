"""Namespace.mount(storage): provenance, caches and logging wired from a StorageConfig."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from lythonic.compose.dag_provenance import DagProvenance
from lythonic.compose.engine import StorageConfig
from lythonic.compose.namespace import Dag, Namespace, NsCacheConfig
from tests.compose.storage.test_engine_config import root_logger  # noqa: F401 -- a shared fixture

counter = {"n": 0}


def lookup(code: str) -> int:
    counter["n"] += 1
    return len(code)


async def double(x: int) -> int:
    return x * 2


@pytest.mark.usefixtures("root_logger")
async def test_mount_records_registered_dag_runs(tmp_path: Path):
    """After mount, a registered DAG's runs are recorded in dags_db and logs go to log_file."""
    ns = Namespace()
    dag = Dag()
    dag.node(double)
    ns.register(dag, nsref="pipes:double")
    storage = StorageConfig(dags_db=tmp_path / "dags.db", log_file=tmp_path / "lyth.log")
    ns.mount(storage)
    assert ns.is_mounted and isinstance(ns._provenance, DagProvenance)
    result = await ns.get("pipes:double")(x=4)
    assert result.outputs == {"double": 8}
    run = ns._provenance.get_run(result.run_id)
    assert run is not None and run["dag_nsref"] == "pipes:double" and run["status"] == "completed"
    assert (tmp_path / "lyth.log").exists()


@pytest.mark.usefixtures("root_logger")
def test_mounting_twice_keeps_one_store_and_one_log_handler(tmp_path: Path):
    """A second mount with the same storage neither opens a second store nor adds a handler."""
    root = logging.getLogger()
    ns = Namespace()
    storage = StorageConfig(dags_db=tmp_path / "dags.db", log_file=tmp_path / "lyth.log")
    ns.mount(storage)
    store, handlers = ns._provenance, len(root.handlers)
    ns.mount(storage)
    assert ns._provenance is store
    assert len(root.handlers) == handlers


def test_mount_wraps_cache_nodes(tmp_path: Path):
    """Cache nodes are wrapped when the storage has a cache_db."""
    counter["n"] = 0
    ns = Namespace()
    ns.register(
        lookup,
        nsref="codes:lookup",
        config=NsCacheConfig(nsref="codes:lookup", min_ttl=1, max_ttl=2),
    )
    ns.mount(StorageConfig(cache_db=tmp_path / "cache.db"))
    node = ns.get("codes:lookup")
    assert node("abc") == node("abc") == 3
    assert counter["n"] == 1


def test_mount_without_cache_db_warns_about_uncached_nodes(caplog):
    """Cache nodes mounted without a cache_db run uncached, and the mount says so."""
    ns = Namespace()
    ns.register(
        lookup,
        nsref="codes:lookup",
        config=NsCacheConfig(nsref="codes:lookup", min_ttl=1, max_ttl=2),
    )
    ns.mount(StorageConfig())
    assert "without a cache_db" in caplog.text and "codes:lookup" in caplog.text


def test_mounting_another_dags_db_closes_the_previous_store(tmp_path: Path):
    """Mounting with a different dags_db closes the store the first mount opened."""
    ns = Namespace()
    ns.mount(StorageConfig(dags_db=tmp_path / "first.db"))
    first = ns._provenance
    first.create_run("r1", "pipes:x", "{}")
    ns.mount(StorageConfig(dags_db=tmp_path / "second.db"))
    assert ns._provenance is not first and ns._provenance.db_path.name == "second.db"
    assert first._closed
    writer = first._writer._thread
    assert writer is None or not writer.is_alive()
    reopened = DagProvenance(tmp_path / "first.db")
    try:
        assert reopened.get_run("r1") is not None  # what was queued was committed first
    finally:
        reopened.close()
        ns._provenance.close()
