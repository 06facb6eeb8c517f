"""Benchmark workloads, written against the API lythonic shares with upstream.

Run by ``bench/run.py`` once per implementation, each in its own process:
``python workloads.py WORKLOAD`` prints one JSON line with the time per
node (or item) and the peak RSS. The same file runs under our package and
under upstream ``lythonic`` from PyPI, so both do exactly the same work.
"""

from __future__ import annotations

import asyncio
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

CHAIN = 1000
FAN = 1000
MAP_ITEMS = 10_000


async def step(x: int) -> int:
    return x + 1


def sync_step(x: int) -> int:
    return x + 1


async def source(x: int) -> int:
    return x


async def branch(x: int) -> float:
    return x * 0.5


async def collect(values: list[float]) -> float:
    return sum(values)


async def make_items(n: int) -> list[int]:
    return list(range(n))


async def inc(x: int) -> int:
    return x + 1


async def square(x: int) -> int:
    return x * x


async def total(values: list[int]) -> int:
    return sum(values)


def sync_inc(x: int) -> int:
    return x + 1


def sync_square(x: int) -> int:
    return x * x


def sync_source(x: int) -> int:
    return x


def sync_nap(x: int) -> int:
    time.sleep(0.01)
    return x


def sync_count(values: list[int]) -> int:
    return len(values)


def _inline(fn):
    from lythonic.compose.namespace import inline

    def wrapped(x: int) -> int:
        return fn(x)

    wrapped.__name__ = wrapped.__qualname__ = f"{fn.__name__}_inline"
    wrapped.__annotations__ = dict(fn.__annotations__)
    return inline(wrapped)


def _node(dag, fn, label):  # upstream's Dag.node dedupes by function, so go via a namespace
    from lythonic.compose.namespace import Namespace

    ns = Namespace()
    return dag.node(ns.register(fn, nsref=f"b:{label}"), label=label)


def build_chain(fn, n: int):
    from lythonic.compose.namespace import Dag

    dag = Dag()
    prev = _node(dag, fn, "n0")
    for i in range(1, n):
        cur = _node(dag, fn, f"n{i}")
        prev >> cur
        prev = cur
    return dag, {"n0": {"x": 0}}


def build_fan():
    from lythonic.compose.namespace import Dag

    dag = Dag()
    src = _node(dag, source, "src")
    sink = _node(dag, collect, "sink")
    for i in range(FAN):
        mid = _node(dag, branch, f"b{i}")
        src >> mid
        mid >> sink
    return dag, {"src": {"x": 2}}


def build_map(items: int, first=inc, second=square):
    from lythonic.compose.namespace import Dag

    sub = Dag()
    _node(sub, first, "inc") >> _node(sub, second, "square")
    dag = Dag()
    _node(dag, make_items, "make") >> dag.map(sub, label="each") >> _node(dag, total, "total")
    return dag, {"make": {"n": items}}


def build_naps():
    """1 source -> 1,000 sync steps that each sleep 10 ms -> 1 sink."""
    from lythonic.compose.namespace import Dag

    dag = Dag()
    src = _node(dag, sync_source, "src")
    sink = _node(dag, sync_count, "sink")
    for i in range(FAN):
        mid = _node(dag, sync_nap, f"nap{i}")
        src >> mid
        mid >> sink
    return dag, {"src": {"x": 1}}


def plain_pool_naps() -> None:
    """The same 1,000 naps on a plain ThreadPoolExecutor as large as our default pool."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(32, (os.cpu_count() or 1) + 4)) as pool:
        assert len(list(pool.map(sync_nap, range(FAN)))) == FAN


async def _run(dag, inputs, provenance=None):
    from lythonic.compose.dag_runner import DagRunner

    runner = DagRunner(dag, provenance=provenance) if provenance else DagRunner(dag)
    result = await runner.run(source_inputs=inputs, dag_nsref="bench:dag")
    assert result.status == "completed", result
    if hasattr(provenance, "aflush"):  # ours batches writes: count them until committed
        await provenance.aflush()
    return result


async def plain_chain() -> None:
    x = 0
    for _ in range(CHAIN):
        x = await asyncio.create_task(step(x))


async def plain_threads() -> None:
    loop = asyncio.get_running_loop()
    x = 0
    for _ in range(CHAIN):
        x = await loop.run_in_executor(None, sync_step, x)


def _timed(make_coro, repeat: int) -> float:
    """Median seconds of ``repeat`` runs on one event loop (after one warm-up)."""

    async def go() -> list[float]:
        await make_coro()
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            await make_coro()
            times.append(time.perf_counter() - t0)
        return times

    return statistics.median(asyncio.run(go()))


def _provenance(tmp: str):
    from lythonic.compose.dag_provenance import DagProvenance

    return DagProvenance(Path(tmp) / f"runs-{time.monotonic_ns()}.db")


def main(name: str) -> dict:
    units = CHAIN
    if name == "W1":
        dag, inputs = build_chain(step, CHAIN)
        secs = _timed(lambda: _run(dag, inputs), 15)
    elif name == "W2":
        dag, inputs = build_fan()
        units = FAN
        secs = _timed(lambda: _run(dag, inputs), 15)
    elif name == "W3":
        dag, inputs = build_map(MAP_ITEMS)
        units = MAP_ITEMS
        secs = _timed(lambda: _run(dag, inputs), 3)
    elif name == "W5":
        dag, inputs = build_chain(sync_step, CHAIN)
        secs = _timed(lambda: _run(dag, inputs), 5)
    elif name == "W5-inline":
        dag, inputs = build_chain(_inline(sync_step), CHAIN)
        secs = _timed(lambda: _run(dag, inputs), 5)
    elif name == "W6":
        dag, inputs = build_map(MAP_ITEMS, sync_inc, sync_square)
        units = MAP_ITEMS
        secs = _timed(lambda: _run(dag, inputs), 3)
    elif name == "W6-inline":
        dag, inputs = build_map(MAP_ITEMS, _inline(sync_inc), _inline(sync_square))
        units = MAP_ITEMS
        secs = _timed(lambda: _run(dag, inputs), 3)
    elif name == "W7":
        dag, inputs = build_chain(sync_step, CHAIN)
        with tempfile.TemporaryDirectory() as tmp:
            secs = _timed(lambda: _run(dag, inputs, _provenance(tmp)), 3)
    elif name == "W8":
        dag, inputs = build_naps()
        units = FAN
        secs = _timed(lambda: _run(dag, inputs), 2)
    elif name == "plain-pool-naps":
        units = FAN
        t0 = time.perf_counter()
        plain_pool_naps()
        secs = time.perf_counter() - t0
    elif name == "W4-chain":
        dag, inputs = build_chain(step, CHAIN)
        with tempfile.TemporaryDirectory() as tmp:
            secs = _timed(lambda: _run(dag, inputs, _provenance(tmp)), 3)
    elif name == "W4-map":
        units = 1000
        dag, inputs = build_map(units)
        with tempfile.TemporaryDirectory() as tmp:
            secs = _timed(lambda: _run(dag, inputs, _provenance(tmp)), 3)
    elif name == "W4-map-100k":
        units = 100_000
        dag, inputs = build_map(units)
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            asyncio.run(_run(dag, inputs, _provenance(tmp)))
            secs = time.perf_counter() - t0
    elif name == "plain-chain":
        secs = _timed(plain_chain, 15)
    elif name == "plain-threads":
        secs = _timed(plain_threads, 5)
    elif name == "import3":
        t0 = time.perf_counter()
        import lythonic.compose.dag_provenance
        import lythonic.compose.dag_runner
        import lythonic.compose.namespace

        return {"workload": name, "ms": (time.perf_counter() - t0) * 1000}
    elif name == "import":
        t0 = time.perf_counter()
        import lythonic.compose.namespace  # noqa: F401

        return {"workload": name, "ms": (time.perf_counter() - t0) * 1000}
    else:
        raise SystemExit(f"unknown workload {name!r}")
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "workload": name,
        "us_per_unit": secs / units * 1e6,
        "seconds": secs,
        "peak_rss_mb": peak_kb / 1024,
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))
