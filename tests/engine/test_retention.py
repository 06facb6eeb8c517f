"""Day-two operations in a real `lyth start`: `storage.retention` (at start, then daily)
and a DAG's `sla` (late runs to `on_late` and `lyth status`)."""

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


SLA = """\
dags:
  slow:
    sla: 0.5
    on_late: pipes.hooks:late
    nodes:
      nap: pipes.steps:nap
    inputs: {nap: {seconds: 1.5}}
triggers:
  often:
    dag: slow
    cron: "* * * * * *"
"""
HOOKS = """\
import json, os


def late(summary):
    with open(os.path.join(os.path.dirname(__file__), "late.jsonl"), "a") as f:
        f.write(json.dumps(summary.to_dict()) + "\\n")
"""


def test_a_run_past_its_sla_is_reported_once_in_status_and_to_on_late(
    project: Project,
) -> None:
    """A triggered run still going 0.5 s after its tick is late: on_late is called once
    per late run (with status running and late set), and `lyth status` lists it."""
    (project.root / "pipes" / "hooks.py").write_text(HOOKS)
    project.write(SLA)
    proc = project.start()
    out = project.root / "pipes" / "late.jsonl"
    wait_for("two late runs", lambda: out.exists() and len(out.read_text().splitlines()) >= 2)
    assert "late         often@" in project.lyth("status").stdout
    os.kill(proc.pid, signal.SIGTERM)
    assert proc.wait(30) == 0
    seen = [json.loads(line) for line in out.read_text().splitlines()]
    assert len({s["run_id"] for s in seen}) == len(seen)  # once per run
    assert all(s["late"] and s["status"] == "running" and s["trigger"] == "often" for s in seen)
    record = project.record()
    assert {r["run_id"] for r in record["late_runs"]} >= {s["run_id"] for s in seen}
