"""Trigger scheduler benchmark: many seconds-resolution cron triggers on the real clock.

    .venv/bin/python bench/triggers.py                 # 1,000 triggers, ~60 s
    .venv/bin/python bench/triggers.py --triggers 200 --seconds 20

Three phases, each with its own store in a temporary directory and a
one-node async DAG per trigger (no provenance, so the scheduler is measured,
not the run store):

- ``burst``: every trigger on ``*/10 * * * * *`` -- all of them due at the
  same instant every 10 s;
- ``spread``: trigger i on ``{i % 10}/10 * * * * *`` -- a tenth of them due
  every second;
- ``idle``: every trigger on a yearly cron -- nothing due, the loop only sleeps.

Reported per phase: fires, scheduling lateness (node start minus scheduled
time) min/p50/p99/max, the process CPU use over the phase, and the CPU use
while nothing is due: for ``burst`` in the stretches between bursts (from 3 s
after a burst to 1 s before the next), for ``idle`` after the first 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lythonic.compose.namespace import (  # noqa: E402 -- after the path tweak
    Dag,
    DagContext,
    Namespace,
    NsNodeConfig,
    TriggerConfig,
)
from lythonic.compose.trigger import TriggerManager, TriggerStore  # noqa: E402

LATENESS: list[float] = []


async def mark(ctx: DagContext) -> None:
    assert ctx.scheduled_at is not None
    LATENESS.append(time.time() - ctx.scheduled_at.timestamp())


def crons(phase: str, n: int) -> list[str]:
    if phase == "burst":
        return ["*/10 * * * * *"] * n
    if phase == "spread":
        return [f"{i % 10}/10 * * * * *" for i in range(n)]
    return ["0 0 0 1 1 *"] * n


def namespace(cron_list: list[str]) -> Namespace:
    ns = Namespace()
    dag = Dag()
    dag.node(mark)
    triggers = [TriggerConfig(name=f"t{i}", schedule=cron) for i, cron in enumerate(cron_list)]
    ns.register(dag, nsref="bench:mark", config=NsNodeConfig(nsref="bench:mark", triggers=triggers))
    return ns


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


async def run_phase(phase: str, n: int, seconds: float, tmp: Path) -> dict[str, float]:
    LATENESS.clear()
    store = TriggerStore(tmp / f"{phase}.db")
    manager = TriggerManager(namespace(crons(phase, n)), store)
    t_setup = time.perf_counter()
    manager.activate_configured()
    manager.start()
    setup_s = time.perf_counter() - t_setup
    quiet_cpu = quiet_wall = 0.0
    cpu0, wall0 = time.process_time(), time.perf_counter()
    end = wall0 + seconds
    if phase == "idle":
        await asyncio.sleep(2)  # let the loop take in the triggers first
        c, w = time.process_time(), time.perf_counter()
        await asyncio.sleep(max(0.0, end - time.perf_counter()))
        quiet_cpu, quiet_wall = time.process_time() - c, time.perf_counter() - w
    if phase == "burst":
        # Sample the quiet stretch of each 10 s period: from +3 s to +9 s.
        while True:
            now = datetime.now(UTC)
            into = now.second % 10 + now.microsecond / 1e6
            start_in = (3 - into) % 10
            if time.perf_counter() + start_in + 6 > end:
                break
            await asyncio.sleep(start_in)
            c, w = time.process_time(), time.perf_counter()
            await asyncio.sleep(6)
            quiet_cpu += time.process_time() - c
            quiet_wall += time.perf_counter() - w
    await asyncio.sleep(max(0.0, end - time.perf_counter()))
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    await manager.shutdown(grace=5)
    store.close()
    lat = [x * 1000 for x in LATENESS]
    return {
        "fires": len(lat),
        "min_ms": min(lat) if lat else float("nan"),
        "p50_ms": statistics.median(lat) if lat else float("nan"),
        "p99_ms": pct(lat, 99),
        "max_ms": max(lat) if lat else float("nan"),
        "cpu_pct": 100 * cpu / wall,
        "quiet_cpu_pct": 100 * quiet_cpu / quiet_wall if quiet_wall else float("nan"),
        "setup_s": setup_s,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triggers", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=20.0, help="per phase")
    parser.add_argument("--phases", default="burst,spread,idle")
    args = parser.parse_args()
    print(
        f"{args.triggers} triggers, {args.seconds:.0f} s per phase, Python {sys.version.split()[0]}"
    )
    print(
        f"{'phase':<7} {'fires':>6} {'min ms':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} "
        f"{'CPU %':>7} {'quiet CPU %':>12} {'setup s':>8}"
    )
    with tempfile.TemporaryDirectory() as d:
        for phase in args.phases.split(","):
            r = await run_phase(phase, args.triggers, args.seconds, Path(d))
            print(
                f"{phase:<7} {r['fires']:>6.0f} {r['min_ms']:>8.1f} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} "
                f"{r['max_ms']:>8.1f} {r['cpu_pct']:>7.1f} {r['quiet_cpu_pct']:>12.2f} "
                f"{r['setup_s']:>8.2f}",
                flush=True,
            )


if __name__ == "__main__":
    asyncio.run(main())
