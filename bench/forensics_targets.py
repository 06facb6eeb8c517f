"""Offline forensics targets (issue: offline forensics), against real stores:

    .venv/bin/python bench/forensics_targets.py      # prints one JSON line

``lyth diff`` of two runs with a 100,000-element map (two elements differ, one
element only in the first run): wall seconds and peak RSS of the diff alone,
in a fresh process, and whether the counts are exact.
"""

from __future__ import annotations

import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ITEMS = 100_000


def numbers(n: int, odd: int | None = None) -> list[int]:
    changed = () if odd is None else (odd, odd + 1)
    return [i + (1 if i in changed else 0) for i in range(n)]


def twice(x: int) -> int:
    return 2 * x


def record(db: Path) -> None:
    from lythonic.compose.dag_provenance import DagProvenance
    from lythonic.compose.dag_runner import DagRunner
    from lythonic.compose.namespace import Dag

    dag = Dag()
    sub = Dag()
    sub.node(twice, "twice")
    dag.node(numbers, "items") >> dag.map(sub, "each")
    store = DagProvenance(db)
    try:
        for run_id, inputs in (("a", {"n": ITEMS}), ("b", {"n": ITEMS - 1, "odd": 500})):
            result = asyncio.run(
                DagRunner(dag, store).run({"items": inputs}, dag_nsref="big", run_id=run_id)
            )
            assert result.status == "completed", result.error
    finally:
        store.close()


def diff(db: Path) -> dict[str, float]:
    from lythonic.compose.dag_provenance import DagProvenance
    from lythonic.forensics import diff_runs

    store = DagProvenance(db)
    started = time.perf_counter()
    a, b = store.inspect_run("a", children=False), store.inspect_run("b", children=False)
    assert a is not None
    assert b is not None
    result = diff_runs(store, a, b)
    seconds = time.perf_counter() - started
    store.close()
    (each,) = result.children
    exact = (each.equal, each.differ, each.only_a, each.only_b) == (ITEMS - 3, 2, 1, 0)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "seconds": seconds,
        "rss_mb": rss,
        "exact": exact,
        "summary": each.summary(),
        "examples": each.examples[:5],
    }


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "diff":
        print(json.dumps(diff(Path(sys.argv[2]))))
        return
    with tempfile.TemporaryDirectory() as d:
        db = Path(d) / "dags.db"
        record(db)
        proc = subprocess.run(
            [sys.executable, __file__, "diff", str(db)], capture_output=True, text=True, check=True
        )
        print(proc.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
