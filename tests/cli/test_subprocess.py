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

# Runs the `lyth` script argv[1] with the rest of argv, with Python's own SIGINT
# handler: a process started while SIGINT is ignored (a test run in the
# background: `make test &`) passes that on, and Python then never raises
# KeyboardInterrupt. (A preexec_fn could reset it, but is unsafe in a process
# with threads, and a test process has store writer threads.) It writes
# _IN_MAIN to stderr when lyth's main() starts loading its commands (the first
# import of a lythonic.cli submodule): a signal sent before could land while
# the interpreter itself is still starting, which a slow machine makes likely.
# Given a module name first, it sends itself SIGINT as that module starts loading.
_IN_MAIN = "<lyth main>"
_LYTH_IN_PROCESS = f"""
import os, runpy, signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)
interrupt_at = sys.argv[1]
def _mark(event, args, done=[]):
    if event != "import":
        return
    if not done and args[0].startswith("lythonic.cli."):
        done.append(True)
        os.write(2, b"{_IN_MAIN}\\n")
    if args[0] == interrupt_at:
        os.kill(os.getpid(), signal.SIGINT)
sys.addaudithook(_mark)
sys.argv = sys.argv[2:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


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


def _has_a_run(db: Path) -> bool:
    """True once the store at ``db`` holds a run (False while it is being created)."""
    if not db.exists():
        return False
    try:
        with sqlite3.connect(db) as conn:
            return bool(conn.execute("SELECT count(*) FROM dag_runs").fetchone()[0])
    except sqlite3.OperationalError:  # no such table yet, or locked while the schema is made
        return False


def _start_run(
    tmp_path: Path, step: str, interrupt_at: str = "", program: str = LYTH
) -> subprocess.Popen[str]:
    """`lyth run wait` of a one-step DAG running ``step``, with SIGINT at its default
    (and sent as ``interrupt_at`` starts loading); returns once lyth's main() has
    started loading its commands."""
    config = tmp_path / "lyth.yaml"
    config.write_text(
        f"dags:\n  wait:\n    nodes:\n      nap: {STEPS}:{step}\n    inputs:\n      nap: {{s: x}}\n"
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _LYTH_IN_PROCESS,
            interrupt_at,
            program,
            "run",
            "wait",
            "-c",
            str(config),
        ],
        cwd=ROOT,
        # The config lives outside the repository: make its test modules importable.
        env=_env(LYTH_ALLOW_IMPORTS="tests.declarative.fixtures", PYTHONPATH=str(ROOT)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    first = proc.stderr.readline()  # the child writes it at once, or ends (then "")
    assert first == _IN_MAIN + "\n", first + proc.communicate(timeout=20)[1]
    return proc


def _wait_for_a_run(db: Path, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and proc.poll() is None and not _has_a_run(db):
        time.sleep(0.05)


def _finish(proc: subprocess.Popen[str]) -> tuple[str, float]:
    """Wait for a process that interrupts itself: stderr, and seconds it took."""
    started = time.monotonic()
    _, err = proc.communicate(timeout=20)
    return err, time.monotonic() - started


def _interrupt(proc: subprocess.Popen[str], signals: int = 1) -> tuple[str, float]:
    """Send SIGINT ``signals`` times: stderr, and seconds from the signal to the exit."""
    try:
        for _ in range(signals):
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        sent = time.monotonic()
        _, err = proc.communicate(timeout=20)
        return err, time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.slow
@pytest.mark.parametrize(("step", "signals"), [("slow", 1), ("slow_sync", 1), ("slow_sync", 2)])
def test_interrupt_exits_130_at_once_and_records_the_run(
    tmp_path: Path, step: str, signals: int
) -> None:
    """Ctrl-C (once, or twice in a row) during an async step or a sync one sleeping 30 s in
    its thread: exit 130 at once, no traceback, the run recorded cancelled."""
    proc = _start_run(tmp_path, step)
    db = tmp_path / "data" / "dags.db"
    _wait_for_a_run(db, proc)
    err, took = _interrupt(proc, signals)
    assert proc.returncode == 130, err
    assert took < 10, f"exit took {took:.1f}s: it waited for the step"  # the step sleeps 30 s
    assert "lyth: interrupted" in err and "Traceback" not in err
    if signals == 1:  # a second signal may cut the recording short: a later sweep ends it
        assert "recorded as cancelled" in err
        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT status FROM dag_runs").fetchall() == [("cancelled",)]
            statuses = conn.execute("SELECT status FROM node_executions").fetchall()
            assert statuses == [("interrupted",)]


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.0, 0.05, 0.15])
def test_interrupt_while_starting_exits_130_without_a_traceback(
    tmp_path: Path, delay: float
) -> None:
    """Ctrl-C while lyth is still importing its modules (`delay` seconds after main() began
    loading them, which takes ~0.3 s): exit 130, one line, no traceback."""
    proc = _start_run(tmp_path, "slow")
    time.sleep(delay)
    err, _ = _interrupt(proc)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert err.strip().startswith("lyth: interrupted"), err


@pytest.mark.slow
@pytest.mark.parametrize(
    "module",
    [
        "asyncio.queues",  # inside `import asyncio` while lyth loads its commands
        "typer._adapters",  # inside typer's parsing, which imports it on first use
        "lythonic._process",  # what leaving the process needs
        "lythonic.declarative._load",  # what the command goes on to use (loaded lazily)
    ],
)
def test_interrupt_inside_an_import_exits_130_with_one_line(tmp_path: Path, module: str) -> None:
    """Ctrl-C landing inside the import of `module`: exit 130, one line, no traceback (not a
    NameError from a half-imported asyncio, nor typer's silent exit 130)."""
    proc = _start_run(tmp_path, "slow", interrupt_at=module)
    err, _ = _interrupt(proc, signals=0)
    assert proc.returncode == 130, err
    assert err.strip() == "lyth: interrupted", err


_HUNG = f"""version: 1
dags:
  stuck:
    nodes:
      text: {STEPS}:text
      hang: {{ref: {STEPS}:slow_sync, timeout: 1s}}
    edges: [text >> hang]
    inputs: {{hang: {{seconds: 3600}}}}
  siblings:
    nodes:
      text: {STEPS}:text
      split: {STEPS}:words
      each: {{map: one}}
    edges: [text >> split >> each]
    inputs: {{text: {{value: first second third}}}}
  one:
    nodes:
      work: {STEPS}:fail_first_else_sleep
"""


@pytest.mark.slow
@pytest.mark.parametrize(("dag", "step"), [("stuck", "hang"), ("siblings", "each")])
def test_a_run_left_with_a_stuck_sync_step_exits_at_once(
    tmp_path: Path, dag: str, step: str
) -> None:
    """`lyth run` prints the failure and exits 1 right away, although a worker thread
    still runs a step nobody waits for (a timed-out step, a map sibling of a failed
    element): no waiting for the thread, no "Exception ignored" at exit."""
    config = tmp_path / "lyth.yaml"
    config.write_text(_HUNG)
    started = time.monotonic()
    ran = _lyth(
        "run",
        dag,
        "-c",
        str(config),
        "-d",
        str(tmp_path / "data"),
        LYTH_ALLOW_IMPORTS="tests.declarative.fixtures",
        PYTHONPATH=str(ROOT),
    )
    took = time.monotonic() - started
    assert ran.returncode == 1, ran.stderr
    assert f"step '{step}' failed" in ran.stderr
    assert "Exception ignored" not in ran.stderr and "Traceback" not in ran.stderr
    assert took < 15, f"lyth run took {took:.1f}s: it waited for the stuck thread"


@pytest.mark.slow
@pytest.mark.parametrize("interrupt_at", ["", "lythonic.cli._runs_app"])
def test_the_upstream_module_path_handles_ctrl_c_like_lyth(
    tmp_path: Path, interrupt_at: str
) -> None:
    """`python -m lythonic.compose.lyth` (upstream's entry point) is `lyth`: a Ctrl-C
    while its commands load, or during a run, exits 130 with one line, no traceback."""
    entry = tmp_path / "upstream_entry.py"
    entry.write_text(
        "import runpy\nrunpy.run_module('lythonic.compose.lyth', run_name='__main__')\n"
    )
    proc = _start_run(tmp_path, "slow", interrupt_at, program=str(entry))
    if interrupt_at:
        err, _ = _finish(proc)
    else:
        _wait_for_a_run(tmp_path / "data" / "dags.db", proc)
        err, _ = _interrupt(proc)
    assert proc.returncode == 130, err
    assert "lyth: interrupted" in err and "Traceback" not in err
