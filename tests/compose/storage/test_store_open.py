"""Two processes opening a fresh store file at the same moment both succeed.

Switching a new file to WAL takes a lock SQLite does not wait for under the
busy timeout; the stores retry it like any statement that meets a lock.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
TRIALS = 25

_OPENER = """
import os, sys, time
from pathlib import Path
from lythonic.compose.dag_provenance import DagProvenance
from lythonic.compose.trigger import TriggerStore

folder, kinds = Path(sys.argv[1]), sys.argv[2].split(",")
print("ready", flush=True)
for i in range(int(sys.argv[3])):
    for kind in kinds:
        go = folder / f"go-{kind}-{i}"
        while not go.exists():
            time.sleep(0.0002)
        store = (DagProvenance if kind == "provenance" else TriggerStore)(folder / f"{kind}-{i}.db")
        store.close()
        print("ok", kind, i, flush=True)
"""


@pytest.mark.slow
def test_simultaneous_first_opens_never_fail(tmp_path: Path) -> None:
    """25 times each for the provenance and the trigger store, two processes open a
    new file at the same instant: no "database is locked", both get the schema."""
    kinds = ["provenance", "triggers"]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _OPENER, str(tmp_path), ",".join(kinds), str(TRIALS)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for _ in range(2)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        for i in range(TRIALS):
            for kind in kinds:
                (tmp_path / f"go-{kind}-{i}").touch()
                for proc in procs:
                    assert proc.stdout is not None
                    line = proc.stdout.readline().strip()
                    assert line == f"ok {kind} {i}", (
                        line,
                        proc.stderr.read() if proc.poll() is not None else "",
                    )  # type: ignore[union-attr]
        for proc in procs:
            assert proc.wait(timeout=60) == 0
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
