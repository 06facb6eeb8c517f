"""A real PostgreSQL server for the tests: Debian's binaries, a temporary cluster.

``initdb`` refuses to run as root, so as root the cluster belongs to the
``postgres`` user and every server command runs through ``runuser``. The
server listens on 127.0.0.1 on a free port, with ``fsync=off`` (a test
database need not survive a power cut). Missing binaries are an error, not a
skip: CI installs Debian's ``postgresql`` (``.ci/run``).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

__all__ = ["PgServer", "find_bin_dir"]


def find_bin_dir() -> Path:
    """Where ``initdb`` and ``pg_ctl`` are (newest Debian PostgreSQL, else on PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise RuntimeError(
        "PostgreSQL is not installed (no initdb): install Debian's `postgresql` "
        "(`.ci/run` does: apt-get install postgresql)"
    )


def _version(path: str) -> int:
    part = Path(path).parts[-3]
    return int(part) if part.isdigit() else 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class PgServer:
    """A PostgreSQL cluster in a temporary directory, started and stopped by hand."""

    def __init__(self) -> None:
        self.bin = find_bin_dir()
        self.root = Path(tempfile.mkdtemp(prefix="lythonic-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.root, "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8")
        self._options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -c fsync=off "
            f"-c synchronous_commit=off -c full_page_writes=off "
            f"-c unix_socket_directories={self.root} -c max_connections=200"
        )
        self.start()

    def start(self) -> None:
        """Start the server (again, after ``halt``: same port, same data)."""
        log = str(self.root / "log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-o", self._options, "-w", "start")

    def halt(self) -> None:
        """Stop the server, keeping its data (``start`` brings it back)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin / tool), *args]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr or done.stdout}")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
