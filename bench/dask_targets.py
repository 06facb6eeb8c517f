"""Dask executor targets (issue: steps on a Dask cluster), each in a fresh process.

    .venv/bin/python bench/dask_targets.py cpu     # 40 x 100 ms pure-Python calls
    .venv/bin/python bench/dask_targets.py map     # map of 100,000 items, SQLite provenance

Prints one JSON line. ``cpu``: seconds with the default (thread) executor,
with ``DaskExecutor`` on a 2-process local cluster, and with plain Dask
(``client.map`` on a cluster of the same shape) as the peer. ``map``: wall
seconds, Dask tasks sent and the driver's peak RSS for a map of 100,000
items with a ``def`` step each on 2 worker processes, every run recorded in
SQLite; and the same map with the default executor.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dask_steps import ITEMS, SPIN, numbers, spin, spins, twice

from lythonic.compose.dag_provenance import DagProvenance
from lythonic.compose.dag_runner import DagRunner
from lythonic.compose.executor import DaskExecutor, LocalExecutor
from lythonic.compose.namespace import Dag


def _cpu_dag() -> Dag:
    dag = Dag()
    src = dag.node(spins, "calls")
    sub = Dag()
    sub.node(spin, "spin")
    src >> dag.map(sub, "each")
    return dag


async def _cpu(executor: object) -> float:
    dag = _cpu_dag()
    started = time.perf_counter()
    result = await DagRunner(dag, executor=executor).run({"calls": {"n": 40}})  # type: ignore[arg-type]
    assert result.status == "completed", result.error
    return time.perf_counter() - started


def cpu() -> dict[str, float]:
    local = LocalExecutor()
    try:
        threads = asyncio.run(_cpu(local))
    finally:
        local.close()
    with DaskExecutor(workers=2) as executor:
        asyncio.run(_cpu(executor))  # warm the workers (imports)
        dask = asyncio.run(_cpu(executor))
        client = executor._client
        client.gather(client.map(spin, [SPIN] * 2, pure=False))
        started = time.perf_counter()
        client.gather(client.map(spin, [SPIN] * 40, pure=False))
        plain = time.perf_counter() - started
    return {"threads_s": threads, "ours_dask_s": dask, "plain_dask_s": plain}


async def _map(executor: object, db: Path) -> float:
    dag = Dag()
    src = dag.node(numbers, "items")
    sub = Dag()
    sub.node(twice, "twice")
    src >> dag.map(sub, "each")
    prov = DagProvenance(db)
    try:
        started = time.perf_counter()
        result = await DagRunner(dag, prov, executor=executor).run({"items": {"n": ITEMS}})  # type: ignore[arg-type]
        assert result.status == "completed", result.error
        assert len(result.outputs["each"]) == ITEMS
        return time.perf_counter() - started
    finally:
        prov.close()


def map_() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as d:
        with DaskExecutor(workers=2) as executor:
            seconds = asyncio.run(_map(executor, Path(d) / "dask.db"))
            tasks = executor.tasks_sent
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        local = LocalExecutor()
        try:
            threads = asyncio.run(_map(local, Path(d) / "local.db"))
        finally:
            local.close()
    return {"ours_dask_s": seconds, "tasks": tasks, "driver_rss_mb": rss, "threads_s": threads}


if __name__ == "__main__":
    which = sys.argv[1]
    print(json.dumps(cpu() if which == "cpu" else map_()))
