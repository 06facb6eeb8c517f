"""Operations targets (issue: operations), with the real `lyth` command:

    .venv/bin/python bench/ops_targets.py      # prints one JSON line

- a DAG with `timeout: 2s` whose step sleeps 10 s: how long after its start the run
  is recorded failed as timed out (and the `lyth run` process's wall time);
- `on_failure`: seconds from the run's recorded end to the hook being called.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONFIG = """\
dags:
  sleepy:
    timeout: 2s
    nodes:
      nap: shop.steps:nap
  broken:
    on_failure: shop.steps:note
    nodes:
      fail: shop.steps:fail
"""
STEPS = """\
import json, os, time


def nap(seconds: float = 10.0) -> float:
    time.sleep(seconds)
    return seconds


def fail() -> int:
    raise ValueError("on purpose")


def note(summary) -> None:
    with open(os.path.join(os.path.dirname(__file__), "hook.json"), "w") as f:
        json.dump({"called_at": time.time(), "run_id": summary.run_id}, f)
"""


def _lyth(root: Path, *args: str) -> tuple[float, dict]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LYTH_")}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "lythonic.compose.lyth", *args, "--json"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return time.perf_counter() - started, json.loads(done.stdout)


def _run_times(root: Path, run_id: str) -> tuple[float, float]:
    with sqlite3.connect(root / "data" / "dags.db") as conn:
        row = conn.execute(
            "SELECT started_at, finished_at FROM dag_runs WHERE run_id = ?", (run_id,)
        ).fetchone()
    return float(row[0]), float(row[1])


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        (root / "shop").mkdir()
        (root / "shop" / "__init__.py").write_text("")
        (root / "shop" / "steps.py").write_text(STEPS)
        (root / "lyth.yaml").write_text(CONFIG)
        wall, result = _lyth(root, "run", "sleepy")
        start, end = _run_times(root, result["run_id"])
        timed_out = {"run_s": end - start, "wall_s": wall, "error": result.get("error")}
        _, failed = _lyth(root, "run", "broken")
        _, end = _run_times(root, failed["run_id"])
        hook = json.loads((root / "shop" / "hook.json").read_text())
        print(json.dumps({"timeout": timed_out, "on_failure_s": hook["called_at"] - end}))


if __name__ == "__main__":
    main()
