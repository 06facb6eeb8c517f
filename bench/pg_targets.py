"""PostgreSQL run store against SQLite (issue: PostgreSQL stores), each in a fresh process.

    .venv/bin/python bench/pg_targets.py            # starts a PostgreSQL server, prints JSON

A map of 100,000 items with a ``def`` step each, every run recorded: wall
seconds and peak RSS with ``DagProvenance`` (SQLite) and with ``PgProvenance``
on a local PostgreSQL server (Debian's, started in a temporary directory as
the tests do: ``fsync=off``).
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


def numbers(n: int) -> list[int]:
    return list(range(n))


def twice(x: int) -> int:
    return 2 * x


def one(backend: str, target: str) -> dict[str, float]:
    from lythonic.compose.dag_provenance import DagProvenance
    from lythonic.compose.dag_runner import DagRunner
    from lythonic.compose.namespace import Dag
    from lythonic.compose.provenance._pg import PgProvenance

    dag = Dag()
    src = dag.node(numbers, "items")
    sub = Dag()
    sub.node(twice, "twice")
    src >> dag.map(sub, "each")
    prov = PgProvenance(target, schema="bench") if backend == "pg" else DagProvenance(Path(target))
    try:
        started = time.perf_counter()
        result = asyncio.run(DagRunner(dag, prov).run({"items": {"n": ITEMS}}))
        assert result.status == "completed", result.error
        seconds = time.perf_counter() - started
    finally:
        prov.close()
    return {"seconds": seconds, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    if len(sys.argv) == 3:
        print(json.dumps(one(sys.argv[1], sys.argv[2])))
        return
    from tests.pg_server import PgServer

    server = PgServer()
    try:
        out = {}
        with tempfile.TemporaryDirectory() as d:
            for backend, target in (("sqlite", str(Path(d) / "runs.db")), ("pg", server.url)):
                done = subprocess.run(
                    [sys.executable, __file__, backend, target],
                    capture_output=True,
                    text=True,
                    timeout=900,
                    check=True,
                )
                out[backend] = json.loads(done.stdout.strip().splitlines()[-1])
        print(json.dumps(out))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
