"""`--executor dask` and `lyth executor check` against real Dask clusters."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dask_cluster import dask_cluster

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
LYTH = [sys.executable, "-m", "lythonic.compose.lyth"]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LYTH_")}
    env.update(LYTH_DATA_DIR=str(tmp_path / "data"), LYTH_LOG_LEVEL="WARNING", **extra)
    return env


def test_lyth_run_on_a_local_dask_cluster(tmp_path: Path) -> None:
    """The bundled word_count with --executor dask: a local cluster of worker processes
    runs the steps; the outputs are the local run's."""
    env = _env(tmp_path, LYTH_DASK_WORKERS="2")
    runs = {}
    for executor in ("local", "dask"):
        done = subprocess.run(
            [*LYTH, "run", "word_count", "--json", "--executor", executor],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == 0, done.stderr
        runs[executor] = json.loads(done.stdout)
    assert runs["dask"]["status"] == "completed"
    assert runs["dask"]["outputs"] == runs["local"]["outputs"]


@pytest.fixture
def bare_cluster(tmp_path: Path) -> Iterator[str]:
    """A cluster whose worker cannot import the project's modules."""
    with dask_cluster(tmp_path, project_importable=False) as cluster:
        yield cluster.address


def test_executor_check_names_the_module_a_worker_lacks(tmp_path: Path, bare_cluster: str) -> None:
    env = _env(tmp_path, LYTH_DASK_ADDRESS=bare_cluster)
    for _ in range(100):  # the worker registers with the scheduler
        done = subprocess.run(
            [*LYTH, "executor", "check"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if "0 worker(s)" not in done.stdout:
            break
        time.sleep(0.2)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 worker(s)" in done.stdout
    assert "cannot import examples.pipelines.words: ModuleNotFoundError" in done.stderr
    assert "Traceback" not in done.stderr


def test_executor_dask_without_a_scheduler_is_one_clear_line(tmp_path: Path) -> None:
    env = _env(tmp_path, LYTH_EXECUTOR="dask", LYTH_DASK_ADDRESS="tcp://127.0.0.1:1")
    done = subprocess.run(
        [*LYTH, "run", "word_count"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1
    assert "cannot reach the Dask scheduler (tcp://127.0.0.1:1)" in done.stderr
    assert "Traceback" not in done.stderr
