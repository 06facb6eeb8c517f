"""`lyth backfill`: a daily trigger over 30 days, once; stopped halfway by Ctrl-C and
started again, it finishes the rest — with real processes and stores."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

LYTH = [sys.executable, "-m", "lythonic.compose.lyth"]
CONFIG = """\
dags:
  ping:
    nodes:
      tick: shop.steps:tick
triggers:
  daily:
    dag: ping
    cron: "0 6 * * *"
    timezone: Europe/Berlin
    inputs: {tick: {label: from-trigger}}
"""
STEPS = """\
import time


def tick(label: str) -> str:
    time.sleep(0.15)
    return label
"""
WINDOW = ["--from", "2026-11-01", "--to", "2026-11-30"]


def _project(root: Path) -> None:
    (root / "shop").mkdir()
    (root / "shop" / "__init__.py").write_text("")
    (root / "shop" / "steps.py").write_text(STEPS)
    (root / "lyth.yaml").write_text(CONFIG)


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("LYTH_")}


def _lyth(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LYTH, *args], cwd=root, env=_env(), capture_output=True, text=True, timeout=120
    )


def _runs(root: Path) -> list[tuple[str, str]]:
    db = root / "data" / "dags.db"
    if not db.exists():
        return []
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT run_id, status FROM dag_runs WHERE parent_run_id IS NULL"
        ).fetchall()


def test_a_backfill_runs_each_tick_once_and_resumes_after_ctrl_c(tmp_path: Path) -> None:
    """--dry-run lists the 30 daily ticks of November (06:00 Berlin) and runs nothing;
    a backfill interrupted by SIGINT after some runs exits 130; the same command again
    finishes the rest (the interrupted tick resumed), so there are exactly 30 runs, one
    per tick, with the tick's time as `scheduled_at` and the daemon's run ids; a third
    backfill runs nothing."""
    _project(tmp_path)
    dry = _lyth(tmp_path, "backfill", "daily", *WINDOW, "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    planned = json.loads(dry.stdout)["ticks"]
    assert len(planned) == 30 and {t["action"] for t in planned} == {"run"}
    assert planned[0]["run_id"] == "daily@20261101T050000Z"  # 06:00 in Berlin (CET)
    assert _runs(tmp_path) == []
    proc = subprocess.Popen(
        [*LYTH, "backfill", "daily", *WINDOW],
        cwd=tmp_path,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while sum(s == "completed" for _, s in _runs(tmp_path)) < 8:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "run the same command again" in err
    first = len(_runs(tmp_path))
    assert 8 <= first < 30
    done = _lyth(tmp_path, "backfill", "daily", *WINDOW)
    assert done.returncode == 0, [x for x in done.stdout.splitlines() if "skip" not in x]
    runs = _runs(tmp_path)
    assert len(runs) == 30 and {s for _, s in runs} == {"completed"}
    assert sorted(r for r, _ in runs) == sorted(t["run_id"] for t in planned)
    with sqlite3.connect(tmp_path / "data" / "triggers.db") as conn:
        stamps = conn.execute("SELECT run_id, scheduled_at FROM trigger_events").fetchall()
    from datetime import datetime

    assert sorted(stamps) == sorted(
        (t["run_id"], datetime.fromisoformat(t["scheduled_at"]).timestamp()) for t in planned
    )
    again = _lyth(tmp_path, "backfill", "daily", *WINDOW, "--json")
    assert again.returncode == 0
    assert {t["action"] for t in json.loads(again.stdout)["ticks"]} == {"skip"}
    assert len(_runs(tmp_path)) == 30
    with sqlite3.connect(tmp_path / "data" / "triggers.db") as conn:
        events = conn.execute(
            "SELECT status, COUNT(*) FROM trigger_events GROUP BY status"
        ).fetchall()
    assert events == [("completed", 30)]


def test_rerun_failed_and_force(tmp_path: Path) -> None:
    """A failed tick is skipped by default and restarted with --rerun-failed; --force
    runs completed ticks again (still one run per tick); an event trigger or an unknown
    trigger is a usage error."""
    _project(tmp_path)
    window = ["--from", "2026-11-01", "--to", "2026-11-03"]
    assert _lyth(tmp_path, "backfill", "daily", *window).returncode == 0
    db = tmp_path / "data"
    failed = "daily@20261102T050000Z"
    with sqlite3.connect(db / "triggers.db") as conn:
        conn.execute("UPDATE trigger_events SET status = 'failed' WHERE run_id = ?", (failed,))
    with sqlite3.connect(db / "dags.db") as conn:  # as a run whose step raised leaves it
        conn.execute("UPDATE dag_runs SET status = 'failed' WHERE run_id = ?", (failed,))
        conn.execute("UPDATE node_executions SET status = 'failed' WHERE run_id = ?", (failed,))
    plain = json.loads(_lyth(tmp_path, "backfill", "daily", *window, "--json").stdout)
    assert [t["action"] for t in plain["ticks"]] == ["skip", "skip", "skip"]
    rerun = json.loads(
        _lyth(tmp_path, "backfill", "daily", *window, "--rerun-failed", "--json").stdout
    )
    assert [t["action"] for t in rerun["ticks"]] == ["skip", "rerun", "skip"]
    assert rerun["ticks"][1]["status"] == "completed"
    forced = _lyth(tmp_path, "backfill", "daily", *window, "--force", "--json")
    assert [t["status"] for t in json.loads(forced.stdout)["ticks"]] == ["completed"] * 3
    assert len(_runs(tmp_path)) == 3
    unknown = _lyth(tmp_path, "backfill", "dayly", *window)
    assert unknown.returncode == 2 and "did you mean 'daily'" in unknown.stderr
