"""`lyth start` as a real process on a temporary directory: triggers, signals, restarts,
hot reload, `lyth status` and `lyth stop`."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

LYTH = [sys.executable, "-m", "lythonic.compose.lyth"]
STEPS = """\
import asyncio


async def tick(label: str = "x") -> str:
    return "v1:" + label


async def nap(seconds: float) -> float:
    await asyncio.sleep(seconds)
    return seconds


def hang(seconds: float = 3600) -> float:
    import time

    time.sleep(seconds)
    return seconds


def plain(label: str = "x") -> str:
    return "plain:" + label


def pid() -> int:
    import os

    return os.getpid()
"""


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LYTH_")}
    env["LYTH_LOG_FORMAT"] = "json"
    return env


def wait_for(what: str, check: Callable[[], Any], timeout: float = 20.0) -> Any:
    """Poll ``check`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def save(path: Path, text: str) -> None:
    """An atomic-rename save, as vim and most IDEs write files."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    tmp.replace(path)


class Project:
    """A config and its `pipes` package in a temporary directory, and its daemons."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.config = root / "lyth.yaml"
        self.data = root / "data"
        (root / "pipes").mkdir()
        (root / "pipes" / "__init__.py").write_text("")
        self.steps = root / "pipes" / "steps.py"
        self.steps.write_text(STEPS)
        self.procs: list[subprocess.Popen[str]] = []

    def write(self, text: str) -> None:
        save(self.config, text)

    def start(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        err = open(self.root / f"daemon{len(self.procs)}.err", "w")  # noqa: SIM115 -- the process owns it
        proc = subprocess.Popen(
            [*LYTH, "start", "-c", str(self.config), *args],
            cwd=self.root,
            env={**_env(), **(env or {})},
            stdout=subprocess.DEVNULL,
            stderr=err,
            text=True,
        )
        err.close()
        self.procs.append(proc)
        return proc

    def lyth(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*LYTH, *args, "-c", str(self.config)],
            cwd=self.root,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def status(self) -> dict[str, Any]:
        return json.loads(self.lyth("status", "--json").stdout)

    def record(self) -> dict[str, Any]:
        try:
            return json.loads((self.data / "lyth.status.json").read_text())
        except (OSError, ValueError):
            return {}

    def runs(self) -> list[dict[str, Any]]:
        db = self.data / "dags.db"
        if not db.exists():
            return []
        try:
            with sqlite3.connect(db) as conn:
                conn.row_factory = sqlite3.Row
                rows = conn.execute(
                    "SELECT run_id, status, error, started_at, finished_at, config_revision, "
                    "initiated_by, sink_outputs_json FROM dag_runs WHERE parent_run_id IS NULL "
                    "ORDER BY started_at"
                ).fetchall()
        except sqlite3.OperationalError:  # the daemon is still creating the tables
            return []
        return [dict(r) for r in rows]

    def events(self) -> list[dict[str, Any]]:
        with sqlite3.connect(self.data / "triggers.db") as conn:
            conn.row_factory = sqlite3.Row
            rows = conn.execute("SELECT * FROM trigger_events ORDER BY scheduled_at").fetchall()
        return [dict(r) for r in rows]

    def log(self) -> list[dict[str, Any]]:
        lines = (self.data / "lyth.log").read_text().splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def running(self, prefix: str) -> dict[str, Any] | None:
        return next(
            (r for r in self.runs() if r["status"] == "running" and r["run_id"].startswith(prefix)),
            None,
        )


PING = """\
dags:
  ping:
    nodes:
      tick: pipes.steps:tick
triggers:
  every_second:
    dag: ping
    cron: "* * * * * *"
    inputs:
      tick: {label: hello}
"""

SLEEPY = """\
dags:
  sleepy:
    nodes:
      nap: pipes.steps:nap
triggers:
  short:
    dag: sleepy
    cron: "*/2 * * * * *"
    inputs:
      nap: {seconds: 1.5}
  long:
    dag: sleepy
    cron: "* * * * * *"
    inputs:
      nap: {seconds: 60}
"""


def test_triggers_fire_status_reports_and_stop_ends_the_daemon(project: Project) -> None:
    """Seconds cron fires once per tick with the config revision; a second daemon is refused;
    status, trigger disable/enable (applied at once) and stop work."""
    project.write(PING)
    proc = project.start()
    runs = wait_for("two scheduled runs", lambda: len(project.runs()) >= 2 and project.runs())
    second = project.start()
    assert second.wait(timeout=30) == 1
    assert (
        f"already running for this data directory (pid {proc.pid}"
        in (project.root / "daemon1.err").read_text()
    )

    status = project.status()
    daemon = status["daemon"]
    assert (daemon["running"], daemon["pid"], daemon["state"]) == (True, proc.pid, "running")
    (trigger,) = status["triggers"]
    assert (trigger["name"], trigger["state"], trigger["cron"]) == (
        "every_second",
        "active",
        "* * * * * *",
    )
    assert trigger["next_utc"] and trigger["next_local"]
    assert {(r["status"], r["config_revision"], r["initiated_by"]) for r in runs} == {
        ("completed", daemon["revision"], "scheduler")
    }
    assert all(r["run_id"].startswith("every_second@") for r in runs)
    assert json.loads(runs[0]["sink_outputs_json"]) == {"tick": "v1:hello"}

    disabled = project.lyth("trigger", "disable", "every_second")
    assert f"the running daemon (pid {proc.pid}) applies this now" in disabled.stderr
    wait_for(
        "the daemon to drop the trigger",
        lambda: any(e["event"] == "trigger states re-read from the store" for e in project.log()),
    )
    count = len(project.runs())
    time.sleep(1.2)
    assert len(project.runs()) == count  # no tick fired while disabled
    project.lyth("trigger", "enable", "every_second")
    wait_for("ticks again", lambda: len(project.runs()) > count)

    stopped = project.lyth("stop")
    assert stopped.returncode == 0, stopped.stderr
    assert stopped.stdout.startswith(f"daemon (pid {proc.pid}) stopped (")
    assert proc.wait(timeout=5) == 0
    assert not (project.data / "lyth.pid").exists()
    after = project.lyth("status")
    assert after.returncode == 1 and after.stdout.startswith("daemon       not running")
    log = project.log()
    scheduled = next(e for e in log if e["event"] == "trigger scheduled")
    assert scheduled["trigger"] == "every_second" and scheduled["next_utc"]
    finished = next(e for e in log if e["event"] == "run finished")
    assert finished["trigger"] == "every_second" and finished["run_id"].startswith("every_")
    assert (finished["status"], finished["revision"]) == ("completed", daemon["revision"])
    ticks = [e["scheduled_at"] for e in project.events()]
    assert len(ticks) == len(set(ticks))


def test_sigterm_drains_runs_in_flight_and_interrupts_the_rest(project: Project) -> None:
    """SIGTERM: a run that ends within the grace period completes, a longer one is interrupted."""
    project.write(SLEEPY)
    proc = project.start("--grace", "3")
    short, long = wait_for(
        "a short and a long run in flight",
        lambda: (s := project.running("short@")) and (lg := project.running("long@")) and (s, lg),
    )
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0
    by_id = {r["run_id"]: r for r in project.runs()}
    assert by_id[short["run_id"]]["status"] == "completed"
    assert by_id[long["run_id"]]["status"] == "interrupted"
    assert "grace period 3s" in by_id[long["run_id"]]["error"]
    assert not [r for r in by_id.values() if r["status"] == "running"]
    record = project.record()
    assert record["state"] == "stopped"
    assert record["exit"]["how"] == "stopped" and long["run_id"] in record["exit"]["interrupted"]
    assert record["exit"]["drained"] >= 1
    assert not (project.data / "lyth.pid").exists()
    event = next(e for e in project.events() if e["run_id"] == long["run_id"])
    assert event["status"] == "interrupted"


def test_a_second_signal_exits_at_once(project: Project) -> None:
    """A second SIGTERM while draining exits immediately (130); the run is left for the sweep."""
    project.write(SLEEPY)
    proc = project.start("--grace", "60")
    wait_for("a long run in flight", lambda: project.running("long@"))
    proc.send_signal(signal.SIGTERM)
    wait_for("the daemon to be stopping", lambda: project.record().get("state") == "stopping")
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 130
    assert time.monotonic() - started < 5
    record = project.record()
    assert record["state"] == "killed" and record["exit"]["left_running"]


def test_kill_9_then_restart_sweeps_the_run_and_fires_no_tick_twice(project: Project) -> None:
    """After kill -9 the next start marks the dead run interrupted before its first tick."""
    project.write(SLEEPY.replace("*/2 * * * * *", "0 0 0 1 1 *"))
    first = project.start()
    lost = wait_for("a long run in flight", lambda: project.running("long@"))
    first.kill()
    first.wait()
    assert (project.data / "lyth.pid").exists()  # left behind: stale

    second = project.start("--grace", "0.5")
    wait_for(
        "a run of the restarted daemon",
        lambda: any(r["started_at"] > lost["started_at"] + 0.5 for r in project.runs()),
    )
    by_id = {r["run_id"]: r for r in project.runs()}
    swept = by_id[lost["run_id"]]
    assert swept["status"] == "interrupted"
    assert f"pid {first.pid}" in swept["error"] and "is gone" in swept["error"]
    later = [r for r in by_id.values() if r["started_at"] > lost["started_at"]]
    assert later and all(swept["finished_at"] <= r["started_at"] for r in later)
    events = [e for e in project.events() if e["trigger_name"] == "long"]
    ticks = [e["scheduled_at"] for e in events]
    assert len(ticks) == len(set(ticks))
    assert next(e for e in events if e["run_id"] == lost["run_id"])["status"] == "interrupted"
    starting = next(e for e in project.log() if e.get("pid") == second.pid)
    assert starting["replaced_stale_pid"] == first.pid
    second.send_signal(signal.SIGINT)
    assert second.wait(timeout=15) == 0


def test_watch_applies_a_valid_edit_and_keeps_the_old_config_on_an_invalid_one(
    project: Project,
) -> None:
    """Atomic-rename edits: a new cron takes effect; a broken edit keeps it, status says where."""
    project.write(PING)
    proc = project.start("--watch")
    wait_for("a run", project.runs)
    first_revision = project.record()["revision"]
    # Editor leftovers and an identical save change nothing.
    (project.root / ".lyth.yaml.swp").write_text("garbage")
    (project.root / "lyth.yaml~").write_text("garbage: [")
    project.write(PING)
    yearly = PING.replace('"* * * * * *"', '"0 0 0 1 1 *"')
    project.write(yearly)
    reloaded = wait_for(
        "the reload", lambda: (r := project.record()).get("revision") != first_revision and r
    )
    assert reloaded["last_reload"]["ok"] and reloaded["last_reload"]["changed"] == ["every_second"]
    log = project.log()
    assert [e["revision"] for e in log if e["event"] == "config reloaded"] == [reloaded["revision"]]
    (trigger,) = project.status()["triggers"]
    assert trigger["cron"] == "0 0 0 1 1 *" and "-01-01T00:00:00" in trigger["next_utc"]

    project.write(yearly.replace("dag: ping", "dag: pong"))
    failed = wait_for(
        "the failed reload", lambda: (r := project.record())["last_reload"]["ok"] is False and r
    )
    assert failed["revision"] == reloaded["revision"]
    shown = project.lyth("status")
    assert shown.returncode == 0
    assert "last reload  FAILED" in shown.stdout
    assert (
        f"  {project.config}:7:10: trigger 'every_second' runs unknown DAG 'pong' "
        "(did you mean 'ping'?)" in shown.stdout
    )
    (trigger,) = project.status()["triggers"]
    assert trigger["cron"] == "0 0 0 1 1 *" and trigger["state"] == "active"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0


def test_watch_restarts_in_place_when_a_module_changes(project: Project) -> None:
    """A module edit restarts the daemon with the same pid and new code; broken code is refused."""
    project.write(PING)
    proc = project.start("--watch")
    wait_for("a v1 run", project.runs)
    save(project.steps, STEPS.replace('"v1:"', '"v22:"'))
    wait_for(
        "a run of the new code",
        lambda: any("v22:" in (r["sink_outputs_json"] or "") for r in project.runs()),
    )
    assert proc.poll() is None
    assert (project.data / "lyth.pid").read_text() == f"{proc.pid}\n"
    record = project.record()
    assert (record["pid"], record["restarts"], record["state"]) == (proc.pid, 1, "running")
    assert project.status()["daemon"]["running"] is True

    save(project.steps, STEPS.replace("async def tick", "async def tick(:"))
    refused = wait_for(
        "the refused module edit",
        lambda: (
            (r := project.record()).get("last_reload", {}).get("cause") == "modules"
            and r["last_reload"]["ok"] is False
            and r
        ),
    )
    assert "steps.py" in refused["last_reload"]["error"] or refused["last_reload"]["errors"]
    count = len(project.runs())
    wait_for("runs to go on", lambda: len(project.runs()) > count)
    assert proc.poll() is None and project.record()["restarts"] == 1
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0


def test_a_store_from_a_newer_lythonic_stops_the_start_with_a_message(project: Project) -> None:
    """An unusable trigger store: exit 1, a one-line reason, no traceback, pid file released."""
    project.write(PING)
    project.data.mkdir()
    with sqlite3.connect(project.data / "triggers.db") as conn:
        conn.execute("CREATE TABLE trigger_schema (version INTEGER NOT NULL)")
        conn.execute("INSERT INTO trigger_schema VALUES (99)")
    proc = project.start()
    assert proc.wait(timeout=30) == 1
    err = (project.root / "daemon0.err").read_text()
    assert f"lyth: cannot open {project.data / 'triggers.db'}:" in err
    assert "schema version 99" in err and "Traceback" not in err
    assert not (project.data / "lyth.pid").exists()
    assert project.record()["exit"]["how"] == "did not start"


def test_a_daemon_killed_right_after_run_finished_keeps_the_run(project: Project) -> None:
    """The daemon logs "run finished" only once the run is committed: killed (SIGKILL)
    the moment that line appears, three times over, every such run stays completed,
    also after the next daemon's start-up sweep."""
    project.write(PING)
    finished: list[str] = []
    for _ in range(3):
        proc = subprocess.Popen(
            [*LYTH, "start", "-c", str(project.config)],
            cwd=project.root,
            env=_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        project.procs.append(proc)
        assert proc.stderr is not None
        for line in proc.stderr:
            entry = json.loads(line) if line.startswith("{") else {}
            if entry.get("event") == "run finished":
                proc.send_signal(signal.SIGKILL)
                finished.append(entry["run_id"])
                break
        proc.wait(timeout=10)
        statuses = {r["run_id"]: r["status"] for r in project.runs()}
        assert statuses[finished[-1]] == "completed"
    proc = project.start()
    wait_for("a fresh run after the sweep", lambda: len(project.runs()) > len(finished))
    statuses = {r["run_id"]: r["status"] for r in project.runs()}
    assert [statuses[r] for r in finished] == ["completed"] * 3


HUNG = """\
dags:
  stuck:
    nodes:
      hang: {ref: pipes.steps:hang, timeout: 0.3s}
  fine:
    nodes:
      plain: pipes.steps:plain
triggers:
  stuck_every_second:
    dag: stuck
    cron: "* * * * * *"
  fine_every_second:
    dag: fine
    cron: "* * * * * *"
"""


def test_hung_sync_steps_never_starve_other_dags_nor_hold_the_stop(project: Project) -> None:
    """Each tick leaves one more thread stuck in a timed-out sync step: more of them
    than the pool has threads, and the other DAG's steps still run; `lyth status`
    counts the abandoned calls per step; SIGTERM ends the daemon within its grace
    period though the threads still run."""
    project.write(HUNG)
    proc = project.start("--grace", "3")
    wait_for(
        "eight abandoned calls",
        lambda: (project.record().get("abandoned") or {}).get("running", 0) >= 8,
        timeout=40,
    )
    runs = project.runs()
    fine = [r for r in runs if r["run_id"].startswith("fine_every_second@")]
    late = fine[-3:]
    assert len(fine) >= 8 and {r["status"] for r in late} == {"completed"}, late
    status = project.lyth("status")
    assert "sync step call(s) still running in threads nobody waits for" in status.stdout
    assert "stuck/hang ×" in status.stdout
    as_json = project.status()["daemon"]["abandoned"]
    assert as_json["running"] >= 8 and as_json["by_step"]["stuck/hang"] >= 8
    proc.send_signal(signal.SIGTERM)
    started = time.monotonic()
    assert proc.wait(timeout=15) == 0
    assert time.monotonic() - started < 3 + 2
    assert not (project.data / "lyth.pid").exists()
    assert project.lyth("status").stdout.startswith("daemon       not running")
    assert any(e["event"] == "step_abandoned" and e["node"] == "hang" for e in project.log())


WHERE = """\
dags:
  where:
    nodes:
      pid: pipes.steps:pid
triggers:
  every_second:
    dag: where
    cron: "* * * * * *"
"""


def test_the_daemon_runs_sync_steps_on_a_dask_cluster(project: Project) -> None:
    """`lyth start --executor dask` (a local cluster of one worker process): the ticks'
    sync steps run in the worker, not the daemon; SIGTERM stops it all cleanly."""
    project.write(WHERE)
    proc = project.start("--executor", "dask", env={"LYTH_DASK_WORKERS": "1"})
    done = wait_for(
        "a run on the cluster",
        lambda: [r for r in project.runs() if r["status"] == "completed"],
        timeout=60,
    )
    ran_in = json.loads(done[0]["sink_outputs_json"])["pid"]
    assert ran_in != proc.pid
    assert any(e.get("event") == "steps run on Dask" for e in project.log())
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) == 0
