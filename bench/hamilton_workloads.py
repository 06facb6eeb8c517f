"""The def-step workloads written for Apache Hamilton's driver (its own venv).

``python hamilton_workloads.py WORKLOAD`` prints one JSON line like
``workloads.py``: time per node (or item) and peak RSS.

- ``W5``: a chain of 1,000 plain functions, ``n{i}(n{i-1}) = n{i-1} + 1``.
- ``W6``: map over 1,000 items with two functions each (``Parallelizable`` /
  ``Collect``, the synchronous task executor); Hamilton's dynamic execution
  costs about a millisecond per item, so 10,000 items would take minutes.
"""

from __future__ import annotations

import json
import resource
import statistics
import sys
import time
import types

CHAIN = 1000
MAP_ITEMS = 1000


def _chain_module() -> types.ModuleType:
    source = ["def n0(x: int) -> int:\n    return x + 1\n"]
    for i in range(1, CHAIN):
        source.append(f"def n{i}(n{i - 1}: int) -> int:\n    return n{i - 1} + 1\n")
    return _module("hamilton_chain", "\n".join(source))


_MAP_SOURCE = """
from hamilton.htypes import Collect, Parallelizable


def item(n: int) -> Parallelizable[int]:
    for i in range(n):
        yield i


def inc(item: int) -> int:
    return item + 1


def square(inc: int) -> int:
    return inc * inc


def total(square: Collect[int]) -> int:
    return sum(square)
"""


def _map_module() -> types.ModuleType:
    return _module("hamilton_map", _MAP_SOURCE)


def _module(name: str, source: str) -> types.ModuleType:
    """A module made from ``source`` and registered, as Hamilton reads functions
    from modules it can find."""
    module = types.ModuleType(name)
    sys.modules[name] = module
    exec(compile(source, f"<{name}>", "exec"), module.__dict__)
    return module


def _median(fn, repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(name: str) -> dict:
    from hamilton import driver

    if name == "W5":
        sys.setrecursionlimit(20_000)  # Hamilton walks a 1,000-deep chain recursively
        dr = driver.Builder().with_modules(_chain_module()).build()
        last = f"n{CHAIN - 1}"
        secs = _median(lambda: dr.execute([last], inputs={"x": 0}), 5)
        units = CHAIN
    elif name == "W6":
        from hamilton.execution import executors

        dr = (
            driver.Builder()
            .with_modules(_map_module())
            .enable_dynamic_execution(allow_experimental_mode=True)
            .with_local_executor(executors.SynchronousLocalTaskExecutor())
            .build()
        )
        secs = _median(lambda: dr.execute(["total"], inputs={"n": MAP_ITEMS}), 3)
        units = MAP_ITEMS
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
