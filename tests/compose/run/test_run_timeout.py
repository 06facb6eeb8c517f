"""A run's own deadline (`DagRunner(timeout=...)`, `timeout:` of a DAG in lyth.yaml)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lythonic.compose.dag_provenance import DagProvenance
from lythonic.compose.dag_runner import DagRunner
from lythonic.compose.namespace import Dag

ROOT = Path(__file__).resolve().parents[3]


async def quick() -> int:
    return 1


async def slow(x: int) -> int:
    await asyncio.sleep(30)
    return x


def sleepy(x: int) -> int:
    time.sleep(10)
    return x


@pytest.mark.parametrize("step", [slow, sleepy])
def test_a_run_past_its_timeout_fails_as_timed_out(tmp_path: Path, step: object) -> None:
    """An async step awaiting, or a sync step sleeping in its thread, past the run's
    timeout: the run ends failed ("run timed out after 0.5s") at the deadline, recorded
    so; the step that ran before keeps its output."""
    dag = Dag()
    dag.node(quick) >> dag.node(step)  # type: ignore[arg-type]
    store = DagProvenance(tmp_path / "dags.db")
    started = time.monotonic()
    result = asyncio.run(DagRunner(dag, store, timeout=0.5).run(dag_nsref="d"))
    took = time.monotonic() - started
    store.flush()
    assert result.status == "failed" and result.error == "run timed out after 0.5s"
    assert took < 5  # far before the step would have ended (10-30 s)
    run = store.get_run(result.run_id)
    assert run is not None and run["status"] == "failed" and "timed out" in run["error"]
    assert store.get_node_output(result.run_id, "quick") == "1"
    store.close()


def test_a_run_within_its_timeout_completes() -> None:
    """A timeout the run stays within changes nothing."""
    dag = Dag()
    dag.node(quick)
    result = asyncio.run(DagRunner(dag, timeout=5).run())
    assert result.status == "completed" and result.outputs == {"quick": 1}
    with pytest.raises(ValueError, match="timeout must be positive"):
        DagRunner(dag, timeout=0)


def test_timeout_in_lyth_yaml(tmp_path: Path) -> None:
    """`timeout: 2s` on a DAG whose step sleeps 10 s: `lyth run` exits 1 saying the run
    timed out, well before the step would have ended."""
    config = tmp_path / "lyth.yaml"
    config.write_text(
        "dags:\n  d:\n    timeout: 2s\n    nodes:\n"
        "      a: tests.compose.run.test_run_timeout:quick\n"
        "      b: tests.compose.run.test_run_timeout:sleepy\n"
        "    edges: [a >> b]\n"
    )
    env = {"PATH": "/usr/bin:/bin", "LYTH_ALLOW_IMPORTS": "tests", "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "lythonic.compose.lyth", "run", "d", "-c", str(config), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert time.monotonic() - started < 8
    assert done.returncode == 1
    assert json.loads(done.stdout)["error"] == "run timed out after 2s"
