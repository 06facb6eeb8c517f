"""The pid file: one daemon per data directory, liveness checked by its lock."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lythonic.engine import DaemonAlreadyRunning, PidFile, probe
from lythonic.engine._pidfile import LOCK_FD_ENV


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_acquire_writes_the_pid_and_probe_sees_a_running_daemon(tmp_path: Path) -> None:
    """A held pid file names this process and counts as a running daemon."""
    pid_file = PidFile(tmp_path / "data" / "lyth.pid")
    pid_file.acquire()
    try:
        assert (tmp_path / "data" / "lyth.pid").read_text() == f"{os.getpid()}\n"
        checked = probe(pid_file.path)
        assert (checked.running, checked.pid, checked.stale) == (True, os.getpid(), False)
    finally:
        pid_file.release()
    assert not pid_file.path.exists()
    assert probe(pid_file.path).exists is False


def test_a_second_daemon_is_refused_with_the_first_ones_pid(tmp_path: Path) -> None:
    """While one daemon holds the file, another acquire fails naming its pid."""
    first = PidFile(tmp_path / "lyth.pid")
    first.acquire()
    try:
        with pytest.raises(DaemonAlreadyRunning, match=rf"pid {os.getpid()}.*lyth stop"):
            PidFile(tmp_path / "lyth.pid").acquire()
    finally:
        first.release()


def test_a_stale_file_is_reported_and_replaced(tmp_path: Path) -> None:
    """A file nobody holds (its daemon was killed) is stale; a new daemon takes it over."""
    path = tmp_path / "lyth.pid"
    dead = _dead_pid()
    path.write_text(f"{dead}\n")
    checked = probe(path)
    assert (checked.running, checked.stale, checked.pid) == (False, True, dead)
    pid_file = PidFile(path)
    pid_file.acquire()
    try:
        assert pid_file.replaced_pid == dead
        assert path.read_text() == f"{os.getpid()}\n"
    finally:
        pid_file.release()


def test_a_live_pid_without_the_lock_is_not_a_daemon(tmp_path: Path) -> None:
    """A pid file naming a live process (pid reuse) is not taken for a daemon: the lock decides."""
    path = tmp_path / "lyth.pid"
    path.write_text(f"{os.getppid()}\n")
    checked = probe(path)
    assert checked.running is False and checked.stale is True


def test_release_leaves_a_file_that_is_no_longer_ours(tmp_path: Path) -> None:
    """If the file was replaced meanwhile, release does not delete the new one."""
    path = tmp_path / "lyth.pid"
    pid_file = PidFile(path)
    pid_file.acquire()
    path.unlink()
    path.write_text("12345\n")
    pid_file.release()
    assert path.read_text() == "12345\n"


def test_the_lock_is_passed_to_the_next_program_image(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pass_to_exec names the locked descriptor; acquiring again adopts it without a gap."""
    path = tmp_path / "lyth.pid"
    first = PidFile(path)
    first.acquire()
    monkeypatch.delenv(LOCK_FD_ENV, raising=False)
    first.pass_to_exec()
    fd = int(os.environ[LOCK_FD_ENV])
    assert os.get_inheritable(fd)
    again = PidFile(path)
    again.acquire()  # as the re-executed daemon does: adopts, does not wait for the lock
    try:
        assert again.held and LOCK_FD_ENV not in os.environ
        assert not os.get_inheritable(fd)
        assert probe(path).running
    finally:
        again.release()
