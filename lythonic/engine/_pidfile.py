"""The daemon's pid file: one daemon per data directory, and a liveness check that
does not trust the file.

The daemon holds an exclusive ``flock`` on ``<data>/lyth.pid`` for as long as it
runs; the kernel drops the lock when the process ends, however it ends (kill -9
included). So "is a daemon running?" is answered by the lock, not by the pid
written in the file: a pid file left behind, or a pid reused by another
program, is never mistaken for a live daemon. The file holds the pid as text
(upstream's format), so ``kill $(cat data/lyth.pid)`` works.

POSIX only (``flock``), as the daemon's signal handling is. When the daemon
re-executes itself (``os.execv``, to load changed modules),
the locked descriptor is passed to the new program image, so the lock is held
without a gap.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from dataclasses import dataclass
from pathlib import Path

from lythonic._process import pid_alive

__all__ = [
    "LOCK_FD_ENV",
    "PID_FILE",
    "DaemonAlreadyRunning",
    "PidFile",
    "PidProbe",
    "pid_alive",
    "probe",
]

PID_FILE = "lyth.pid"
"""The daemon's pid file, in its data directory."""

LOCK_FD_ENV = "_LYTHONIC_DAEMON_LOCK_FD"
"""Names the locked pid file descriptor a re-executed daemon inherits."""

_ACQUIRE_TRIES = 20  # a `lyth status` probing at that instant holds the lock for microseconds
_ACQUIRE_PAUSE = 0.025


class DaemonAlreadyRunning(RuntimeError):
    """Another live daemon holds the pid file of this data directory."""

    def __init__(self, path: Path, pid: int | None) -> None:
        self.path = path
        self.pid = pid
        who = f"pid {pid}" if pid is not None else "another process"
        super().__init__(
            f"a lyth daemon is already running for this data directory ({who}, {path}); "
            "stop it with `lyth stop`, or use another --data directory"
        )


def _read_pid(path: Path) -> int | None:
    try:
        text = path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


@dataclass(frozen=True, slots=True)
class PidProbe:
    """What the pid file says, checked.

    ``running``: a live daemon holds the file's lock (and its pid exists);
    ``stale``: a pid file is there but nothing holds it (the daemon died
    without cleaning up).
    """

    path: Path
    exists: bool
    pid: int | None
    running: bool

    @property
    def stale(self) -> bool:
        return self.exists and not self.running


def _locked_by_someone(path: Path) -> bool:
    """Whether some process holds the lock of the file at ``path``."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def probe(path: Path) -> PidProbe:
    """Check the pid file at ``path``: is a daemon really running?"""
    if not path.exists():
        return PidProbe(path, False, None, False)
    pid = _read_pid(path)
    running = _locked_by_someone(path) and pid is not None and pid_alive(pid)
    return PidProbe(path, True, pid, running)


class PidFile:
    """The pid file of a running daemon: ``acquire`` at start, ``release`` at exit.

    A second daemon on the same data directory is refused::

        pid_file = PidFile(Path("data/lyth.pid"))
        pid_file.acquire()      # raises DaemonAlreadyRunning while another daemon holds it
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self.replaced_pid: int | None = None
        """The pid of a stale file this daemon replaced (its daemon died)."""

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        """Lock the file and write our pid; raise ``DaemonAlreadyRunning`` if it is taken."""
        if self._adopt_inherited():
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(_ACQUIRE_TRIES):
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            if self._lock(fd):
                self._fd = fd
                break
            os.close(fd)
            time.sleep(_ACQUIRE_PAUSE)
        else:
            raise DaemonAlreadyRunning(self.path, _read_pid(self.path))
        old = _read_pid(self.path)
        if old is not None and old != os.getpid():
            self.replaced_pid = old
        self._write_pid()

    def _lock(self, fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        # The file may have been removed (its daemon exited) after we opened
        # it: then the lock is on an orphan, and the next try opens the new file.
        return self._same_file(fd)

    def _same_file(self, fd: int) -> bool:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return False
        mine = os.fstat(fd)
        return (st.st_dev, st.st_ino) == (mine.st_dev, mine.st_ino)

    def _adopt_inherited(self) -> bool:
        """Take over the descriptor a previous program image of this process locked."""
        text = os.environ.pop(LOCK_FD_ENV, None)
        if not text or not text.isdigit():
            return False
        fd = int(text)
        try:
            if not self._same_file(fd) or _read_pid(self.path) != os.getpid():
                return False
        except OSError:
            return False
        os.set_inheritable(fd, False)
        self._fd = fd
        return True

    def _write_pid(self) -> None:
        assert self._fd is not None
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, f"{os.getpid()}\n".encode(), 0)
        os.fsync(self._fd)

    def pass_to_exec(self) -> None:
        """Keep the lock across ``os.execv``: the descriptor is inherited and named in
        the environment of the new program image."""
        assert self._fd is not None
        os.set_inheritable(self._fd, True)
        os.environ[LOCK_FD_ENV] = str(self._fd)

    def release(self) -> None:
        """Remove the file (if it is still ours) and drop the lock."""
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            if self._same_file(self._fd):
                self.path.unlink()
        with contextlib.suppress(OSError):
            os.close(self._fd)
        self._fd = None
