"""lyth status and lyth stop without a live daemon, and the status text itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from lythonic.cli._daemon_cmds import render_status
from lythonic.engine import DaemonStatus, PidFile, ReloadResult, write_status
from tests.cli.conftest import Invoke

CONFIG = """\
dags:
  ping:
    nodes:
      work: tests.engine.steps:stamp
triggers:
  hourly:
    dag: ping
    cron: "0 * * * *"
"""


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _config(tmp_path: Path, text: str = CONFIG) -> Path:
    config = tmp_path / "lyth.yaml"
    config.write_text(text)
    return config


def test_status_without_a_daemon_exits_1(lyth: Invoke, tmp_path: Path) -> None:
    """Nothing ever ran here: not running, no triggers, exit 1; JSON says the same."""
    config = _config(tmp_path)
    result = lyth("status", "-c", str(config))
    assert result.exit_code == 1
    assert result.stdout.startswith("daemon       not running\n")
    assert "no triggers on record yet" in result.stdout
    data = json.loads(lyth("status", "-c", str(config), "--json").stdout)
    assert data["daemon"]["running"] is False and data["triggers"] == []
    assert data["daemon"]["data_dir"] == str(tmp_path / "data")


def test_status_does_not_trust_a_pid_file_of_a_dead_daemon(lyth: Invoke, tmp_path: Path) -> None:
    """A record saying running and a pid file of a dead process: reported dead and stale."""
    config = _config(tmp_path)
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    dead = _dead_pid()
    (data_dir / "lyth.pid").write_text(f"{dead}\n")
    write_status(
        data_dir / "lyth.status.json",
        DaemonStatus(dead, "2024-05-01T10:00:00+00:00", str(config), str(data_dir), "running"),
    )
    result = lyth("status", "-c", str(config))
    assert result.exit_code == 1
    assert f"pid {dead} died without shutting down" in result.stdout
    assert f"stale pid file: {data_dir / 'lyth.pid'}" in result.stdout
    data = json.loads(lyth("status", "-c", str(config), "--json").stdout)["daemon"]
    assert (data["running"], data["state"], data["stale_pid_file"]) == (False, "dead", True)


def test_status_sees_a_live_daemon_by_its_lock(lyth: Invoke, tmp_path: Path) -> None:
    """With the pid file locked (here by the test itself), status says running, exit 0."""
    config = _config(tmp_path)
    data_dir = tmp_path / "data"
    pid_file = PidFile(data_dir / "lyth.pid")
    pid_file.acquire()
    try:
        write_status(
            data_dir / "lyth.status.json",
            DaemonStatus(
                os.getpid(),
                datetime.now(UTC).isoformat(),
                str(config),
                str(data_dir),
                "running",
                revision="abc123",
            ),
        )
        result = lyth("status", "-c", str(config))
    finally:
        pid_file.release()
    assert result.exit_code == 0, result.stdout
    assert result.stdout.startswith(f"daemon       running (pid {os.getpid()}, up ")
    assert "revision     abc123" in result.stdout


def test_status_works_while_the_config_is_broken(lyth: Invoke, tmp_path: Path) -> None:
    """A config that does not even parse still lets status find its data directory."""
    config = _config(tmp_path, "storage:\n  data_dir: elsewhere\ndags: [unclosed\n")
    assert lyth("status", "-c", str(config)).exit_code == 1
    good = _config(tmp_path, "storage:\n  data_dir: elsewhere\ndags: {}\nnot_a_key: 1\n")
    data = json.loads(lyth("status", "-c", str(good), "--json").stdout)
    assert data["daemon"]["data_dir"] == str(tmp_path / "elsewhere")


def test_stop_without_a_daemon_exits_1_and_cleans_a_stale_pid_file(
    lyth: Invoke, tmp_path: Path
) -> None:
    """No daemon: exit 1; a stale pid file is removed and named."""
    config = _config(tmp_path)
    nothing = lyth("stop", "-c", str(config))
    assert nothing.exit_code == 1 and "no daemon is running for" in nothing.stderr
    (tmp_path / "data").mkdir()
    dead = _dead_pid()
    (tmp_path / "data" / "lyth.pid").write_text(f"{dead}\n")
    stale = lyth("stop", "-c", str(config))
    assert stale.exit_code == 1
    assert f"removed the stale pid file of pid {dead}" in stale.stderr
    assert not (tmp_path / "data" / "lyth.pid").exists()


def _data(**daemon: object) -> dict[str, object]:
    base: dict[str, object] = {
        "running": True,
        "pid": 7,
        "data_dir": "/srv/data",
        "pid_file": "/srv/data/lyth.pid",
        "stale_pid_file": False,
        "state": "running",
        "started_at": "2024-05-01T10:00:00+00:00",
        "config": "/srv/lyth.yaml",
        "revision": "r1",
        "watch": True,
    }
    base.update(daemon)
    return {
        "daemon": base,
        "triggers": [
            {
                "name": "nightly",
                "dag": "etl",
                "state": "active",
                "cron": "30 2 * * *",
                "timezone": "Europe/Berlin",
                "next_utc": "2024-05-02T00:30:00+00:00",
                "in_running_config": True,
                "last_event": {"status": "completed", "run_id": "nightly@20240501T003000Z"},
            }
        ],
        "running_runs": [
            {
                "run_id": "r-9",
                "dag": "etl",
                "started_at": "2024-05-01T10:05:00+00:00",
                "steps_done": 2,
                "steps_running": ["load"],
            }
        ],
    }


def test_status_text_shows_next_fires_in_utc_local_and_the_triggers_zone() -> None:
    """A trigger's next fire appears in UTC, local time and its own time zone; runs are listed."""
    text = render_status(_data(), now=datetime(2024, 5, 1, 10, 10, tzinfo=UTC))
    assert "daemon       running (pid 7, up 10m00s since 2024-05-01 10:00:00 UTC)" in text
    row = next(line for line in text.splitlines() if line.startswith("nightly"))
    assert "2024-05-02 00:30:00" in row and "2024-05-02 02:30:00 CEST" in row
    local = datetime(2024, 5, 2, 0, 30, tzinfo=UTC).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    assert local in row
    assert "completed nightly@20240501T003000Z" in row
    assert "r-9" in text and "load" in text


def test_status_text_shows_a_failed_reload_with_every_position() -> None:
    """A failed reload lists each problem as file:line:col and says what keeps running."""
    failed = ReloadResult.failed("watch", [])
    failed.errors = [
        {
            "file": "lyth.yaml",
            "line": 12,
            "column": 9,
            "message": "unknown DAG 'etll'",
            "hint": "did you mean 'etl'?",
        }
    ]
    text = render_status(_data(last_reload=vars(failed)))
    assert "last reload  FAILED at" in text
    assert "  lyth.yaml:12:9: unknown DAG 'etll' (did you mean 'etl'?)" in text
    assert "  the config of revision r1 keeps running" in text


def test_start_with_an_invalid_config_reports_and_does_not_start(
    lyth: Invoke, tmp_path: Path
) -> None:
    """`lyth start` on a broken file: every problem with its position, exit 1, no pid file."""
    config = _config(tmp_path, CONFIG.replace("dag: ping", "dag: pong"))
    result = lyth("start", "-c", str(config), allow_imports="tests.engine")
    assert result.exit_code == 1
    assert f"{config}:7:10: trigger 'hourly' runs unknown DAG 'pong'" in result.stderr
    assert "invalid config; the daemon did not start" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data" / "lyth.pid").exists()


def test_status_without_a_daemon_marks_triggers_gone_from_the_file(
    lyth: Invoke, tmp_path: Path
) -> None:
    """A trigger on record but removed from lyth.yaml is shown `not in config`, not
    `active`, when no daemon runs (the file is read leniently, even when broken)."""
    config = tmp_path / "lyth.yaml"
    config.write_text(
        "dags:\n  ping:\n    nodes:\n      work: tests.engine.steps:stamp\n"
        "triggers:\n  kept:\n    dag: ping\n    cron: '0 * * * *'\n"
        "  dropped:\n    dag: ping\n    cron: '0 0 * * *'\n"
    )
    for name in ("kept", "dropped"):
        assert (
            lyth(
                "trigger", "enable", name, "-c", str(config), allow_imports="tests.engine"
            ).exit_code
            == 0
        )
    # Removed from the file, and the file broken elsewhere (a bad cron): still readable.
    config.write_text(config.read_text().split("  dropped:")[0].replace("0 * * * *", "99 * * * *"))
    result = lyth("status", "-c", str(config), "--json")
    rows = {t["name"]: t["in_running_config"] for t in json.loads(result.stdout)["triggers"]}
    assert rows == {"kept": True, "dropped": False}
    text = lyth("status", "-c", str(config)).stdout
    dropped = next(line for line in text.splitlines() if line.startswith("dropped"))
    assert "not in config" in dropped and "active" not in dropped
