"""`storage.retention` applied by a real `lyth start` (at start, then daily)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3

import pytest

from tests.engine.test_daemon import Project, wait_for

pytestmark = pytest.mark.slow

CONFIG = """\
storage:
  retention: 30d
dags:
  ping:
    nodes:
      tick: pipes.steps:tick
"""


def _run_ids(project: Project) -> set[str]:
    with sqlite3.connect(project.data / "dags.db") as conn:
        return {r[0] for r in conn.execute("SELECT run_id FROM dag_runs")}


def test_the_daemon_deletes_runs_older_than_storage_retention(project: Project) -> None:
    """Runs older than `retention: 30d` are gone soon after `lyth start`, logged once;
    younger runs stay."""
    project.write(CONFIG)
    runs = []
    for _ in range(3):
        done = project.lyth("run", "ping", "--json")
        assert done.returncode == 0, done.stderr
        runs.append(json.loads(done.stdout)["run_id"])
    with sqlite3.connect(project.data / "dags.db") as conn:
        conn.executemany(
            "UPDATE dag_runs SET started_at = started_at - 40 * 86400 WHERE run_id = ?",
            [(r,) for r in runs[:2]],
        )
    proc = project.start()
    wait_for("the old runs gone", lambda: _run_ids(project) == {runs[2]})
    wait_for(
        "the log line",
        lambda: any(e["event"] == "old runs deleted (storage.retention)" for e in project.log()),
    )
    os.kill(proc.pid, signal.SIGTERM)
    assert proc.wait(30) == 0
