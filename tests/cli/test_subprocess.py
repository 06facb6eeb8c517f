"""The installed `lyth` script in real processes: exit codes, streams, interrupts."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli.conftest import ROOT, STEPS

LYTH = str(Path(sys.executable).parent / "lyth")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LYTH_")}
    env.update(extra)
    return env


def _lyth(*args: str, cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LYTH, *args],
        cwd=cwd,
        env=_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.slow
def test_validate_and_run_the_bundled_config(tmp_path: Path) -> None:
    """From the repository root: validate is silent, run prints the run and records it."""
    valid = _lyth("validate")
    assert (valid.returncode, valid.stdout, valid.stderr) == (0, "", "")
    ran = _lyth("run", "word_count", "--data", str(tmp_path))
    assert ran.returncode == 0, ran.stderr
    assert " of word_count: completed in " in ran.stdout.splitlines()[0]
    with sqlite3.connect(tmp_path / "dags.db") as conn:
        rows = conn.execute(
            "SELECT dag_nsref, status FROM dag_runs WHERE parent_run_id IS NULL"
        ).fetchall()
    assert rows == [("word_count", "completed")]


@pytest.mark.slow
def test_invalid_file_exit_1_with_position_and_no_traceback() -> None:
    """A broken file: exit 1, FILE:LINE:COL on stderr, no traceback, nothing on stdout."""
    broken = ROOT / "tests" / "declarative" / "fixtures" / "broken" / "python_tag.yaml"
    result = _lyth("validate", str(broken))
    assert result.returncode == 1 and result.stdout == ""
    assert f"{broken}:6:12: tag '!!python/object/apply:os.system' is not allowed" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (ROOT / "LYTH_TAG_MARKER").exists()


@pytest.mark.slow
def test_usage_error_exit_2() -> None:
    """An unknown option is a usage error: exit 2."""
    assert _lyth("validate", "--no-such-option").returncode == 2


@pytest.mark.slow
def test_interrupt_exits_130_and_records_the_run(tmp_path: Path) -> None:
    """SIGINT during a run: exit 130, and the run is not left 'running' in the store."""
    config = tmp_path / "lyth.yaml"
    config.write_text(
        f"dags:\n  wait:\n    nodes:\n      nap: {STEPS}:slow\n    inputs:\n      nap: {{s: x}}\n"
    )
    proc = subprocess.Popen(
        [LYTH, "run", "wait", "-c", str(config)],
        cwd=ROOT,
        # The config lives outside the repository: make its test modules importable.
        env=_env(LYTH_ALLOW_IMPORTS="tests.declarative.fixtures", PYTHONPATH=str(ROOT)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    db = tmp_path / "data" / "dags.db"
    deadline = time.monotonic() + 20
    try:
        while time.monotonic() < deadline:
            if db.exists():
                with sqlite3.connect(db) as conn:
                    if conn.execute("SELECT count(*) FROM dag_runs").fetchone()[0]:
                        break
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    with sqlite3.connect(db) as conn:
        (status,) = conn.execute("SELECT status FROM dag_runs").fetchone()
    assert status in ("cancelled", "interrupted")
