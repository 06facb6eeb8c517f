"""Offline forensics targets (issue: offline forensics), against real stores:

    .venv/bin/python bench/forensics_targets.py      # prints one JSON line

- ``lyth diff`` of two runs with a 100,000-element map (two elements differ, one
  element only in the first run): wall seconds and peak RSS of the diff alone,
  in a fresh process, and whether the counts are exact;
- ``lyth replay RUN --node STEP --isolated`` of a step whose recorded input is
  10 MB: seconds from the command's start until the step is called (interpreter,
  config, store, decoding the input), median of 3;
- log capture on the chain benchmark (1,000 ``def`` steps recorded in SQLite) with
  capture on (``LYTH_NODE_LOGS=info``) against off, medians of 7 alternating runs;
  and the same chain with every step logging one INFO line (each line a row);
- ``lyth logs`` of a run with 1,000,000 stored lines: seconds from the command's
  start to its first line on stdout.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

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


BIG_STEPS = """\
import time


def make(n: int = 10_000_000) -> str:
    return "z" * n


def measure(text: str) -> float:
    return time.time()
"""
BIG_CONFIG = """\
dags:
  big_input:
    nodes:
      make: bigsteps:make
      measure: bigsteps:measure
    edges:
      - make >> measure
"""


def replay_start(root: Path) -> float:
    """Median seconds from `lyth replay --isolated` starting until the step is called."""
    (root / "bigsteps.py").write_text(BIG_STEPS)
    (root / "lyth.yaml").write_text(BIG_CONFIG)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LYTH_")}
    env["LYTH_ALLOW_IMPORTS"] = "bigsteps"
    lyth = [sys.executable, "-m", "lythonic.compose.lyth"]
    done = subprocess.run(
        [*lyth, "run", "big_input", "--json"], cwd=root, env=env, capture_output=True, text=True
    )
    run_id = json.loads(done.stdout)["run_id"]
    took = []
    for _ in range(3):
        started = time.time()
        proc = subprocess.run(
            [*lyth, "replay", run_id, "--node", "measure", "--isolated", "--json"],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
        )
        called = json.loads(proc.stdout)["output"]
        took.append(called - started)
    return sorted(took)[1]


_CHAT = logging.getLogger("bench.chatty")


def chatty(x: int = 0) -> int:
    _CHAT.info("step got %d", x)
    return x + 1


def quiet(x: int = 0) -> int:
    return x + 1


def capture_cost(root: Path, fn: Any) -> dict[str, float]:
    """µs per step of a 1,000-step chain of ``fn``, capture on and off."""
    from lythonic.compose.dag_provenance import DagProvenance
    from lythonic.compose.dag_runner import DagRunner
    from lythonic.compose.namespace import Dag
    from lythonic.compose.provenance import set_capture_level

    _CHAT.setLevel(logging.INFO)
    dag = Dag()
    prev = dag.node(fn, "s0")
    for i in range(1, 1000):
        node = dag.node(fn, f"s{i}")
        prev >> node
        prev = node
    times: dict[str, list[float]] = {"info": [], "off": []}
    for rep in range(7):
        for mode in ("info", "off") if rep % 2 else ("off", "info"):
            set_capture_level(mode)
            store = DagProvenance(root / f"chain-{fn.__name__}-{mode}-{rep}.db")
            started = time.perf_counter()
            asyncio.run(DagRunner(dag, store).run())
            store.flush()
            times[mode].append((time.perf_counter() - started) / 1000 * 1e6)
            store.close()
    set_capture_level("info")
    on, off = sorted(times["info"])[3], sorted(times["off"])[3]
    return {"kept_us": on, "off_us": off, "overhead": on / off - 1}


def first_line(root: Path) -> float:
    """Seconds until `lyth logs` prints the first of a run's 1,000,000 lines."""
    from lythonic.compose.dag_provenance import DagProvenance

    data = root / "data"
    data.mkdir()
    db = data / "dags.db"
    store = DagProvenance(db)
    store.begin_run("noisy", "noisy", {})
    store.end_run("noisy", "completed")
    store.close()
    conn = sqlite3.connect(db)
    conn.executemany(
        "INSERT INTO node_logs VALUES (?, ?, 1, ?, ?, 'INFO', 'bench', ?)",
        (
            ("noisy", f"step{i % 10}", i, 1_700_000_000 + i / 1000, f"line {i} " + "x" * 60)
            for i in range(1_000_000)
        ),
    )
    conn.commit()
    conn.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LYTH_")}
    took = []
    for _ in range(3):
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "lythonic.compose.lyth", "logs", "noisy", "-d", str(data)],
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert proc.stdout is not None
        proc.stdout.readline()
        took.append(time.perf_counter() - started)
        proc.kill()
        proc.wait()
    return sorted(took)[1]


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
        out = json.loads(proc.stdout.strip().splitlines()[-1])
        root = Path(d) / "replay"
        root.mkdir()
        out["replay_start_s"] = replay_start(root)
        out["capture"] = capture_cost(Path(d), quiet)
        out["capture_lines"] = capture_cost(Path(d), chatty)
        lines = Path(d) / "lines"
        lines.mkdir()
        out["logs_first_line_s"] = first_line(lines)
        print(json.dumps(out))


if __name__ == "__main__":
    main()
