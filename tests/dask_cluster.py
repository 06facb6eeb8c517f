"""A Dask scheduler and one worker started with the `dask` commands, as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_SCHEDULER_OPTIONS = ("--port", "0", "--dashboard-address", ":0")


@dataclass
class Cluster:
    address: str
    scheduler: subprocess.Popen[bytes]
    worker: subprocess.Popen[bytes]


@contextmanager
def dask_cluster(tmp_path: Path, *, project_importable: bool) -> Iterator[Cluster]:
    """A scheduler and a one-thread worker in ``tmp_path``; the worker can import this
    repository's modules (``tests``, ``examples``) only if ``project_importable``."""
    dask = Path(sys.executable).with_name("dask")
    info = tmp_path / "scheduler.json"
    home = tmp_path / "cluster"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if project_importable:
        env["PYTHONPATH"] = str(ROOT)
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler = subprocess.Popen(
        [str(dask), "scheduler", "--scheduler-file", str(info), *_SCHEDULER_OPTIONS],
        cwd=home,
        env=env,
        **quiet,  # type: ignore[call-overload]
    )
    worker = None
    try:
        for _ in range(600):
            if info.exists() and info.stat().st_size:
                break
            time.sleep(0.05)
        address = json.loads(info.read_text())["address"]
        worker = subprocess.Popen(
            [str(dask), "worker", address, "--nthreads", "1", "--no-dashboard"],
            cwd=home,
            env=env,
            **quiet,  # type: ignore[call-overload]
        )
        yield Cluster(address, scheduler, worker)
    finally:
        for proc in (worker, scheduler):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(30)
