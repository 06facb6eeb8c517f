"""A run is on record when ``run()``, ``restart()`` or ``replay()`` returns.

The store's writer batches commits (every 50 ms by default). The tests below
give it a 5 s batching interval, so any row the runner did not wait for is
certainly not committed when these checks look: another connection, another
process, or the next process after a ``kill -9`` right after the return.
"""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from lythonic._connect import connect_store
from lythonic.compose.dag_provenance import DagProvenance
from lythonic.compose.dag_runner import DagRunner
from tests.compose.run.durability_steps import two_steps

SLOW_BATCHES = 5.0  # seconds the writer would otherwise wait for more records

ROOT = Path(__file__).resolve().parents[3]


def _rows(path: Path, run_id: str) -> tuple[str | None, dict[str, str]]:
    """The run's status and its steps' statuses, read with a plain sqlite3 connection."""
    conn = sqlite3.connect(path)
    try:
        run = conn.execute("SELECT status FROM dag_runs WHERE run_id = ?", (run_id,)).fetchone()
        nodes = dict(
            conn.execute(
                "SELECT node_label, status FROM node_executions WHERE run_id = ?", (run_id,)
            ).fetchall()
        )
    finally:
        conn.close()
    return (run[0] if run else None), nodes


async def test_every_return_is_visible_to_another_connection_at_once(tmp_path: Path) -> None:
    """run(), restart() and replay() return only once their rows are committed:
    another connection sees them immediately, 20 times in a row."""
    path = tmp_path / "runs.db"
    store = DagProvenance(path, flush_interval=SLOW_BATCHES)
    runner = DagRunner(two_steps(), provenance=store)
    for i in range(20):
        result = await runner.run(source_inputs={"first": {"x": i}})
        assert _rows(path, result.run_id) == (
            "completed",
            {"first": "completed", "second": "completed"},
        )
    failed = await runner.run(source_inputs={"first": {"x": -5}})
    assert _rows(path, failed.run_id)[0] == "failed"
    fresh = DagRunner(two_steps(), provenance=DagProvenance(path, flush_interval=SLOW_BATCHES))
    restarted = await fresh.restart(failed.run_id)  # a fresh store object knows the run
    assert restarted.status == "failed"
    assert _rows(path, failed.run_id)[1] == {"first": "completed", "second": "failed"}
    replayed = await runner.replay(result.run_id, {"second"})
    assert _rows(path, replayed.run_id) == (
        "completed",
        {"first": "skipped", "second": "completed"},
    )
    store.close()


def _run_script(body: str) -> str:
    return (
        "import asyncio, os, signal, subprocess, sys\n"
        "from pathlib import Path\n"
        "from lythonic.compose.dag_provenance import DagProvenance\n"
        "from lythonic.compose.dag_runner import DagRunner\n"
        "from tests.compose.run.durability_steps import two_steps\n"
        "dag = two_steps()\n"
        f"store = DagProvenance(Path(sys.argv[1]), flush_interval={SLOW_BATCHES})\n"
        "runner = DagRunner(dag, provenance=store)\n"
        f"{body}"
    )


_READER = (
    "import sqlite3, sys\n"
    "conn = sqlite3.connect(sys.argv[1])\n"
    "row = conn.execute('SELECT status FROM dag_runs WHERE run_id = ?', (sys.argv[2],)).fetchone()\n"
    "n = conn.execute(\"SELECT count(*) FROM node_executions WHERE run_id = ? AND status = 'completed'\", (sys.argv[2],)).fetchone()[0]\n"
    "print(row[0] if row else 'missing', n)\n"
)

_READ_IN_ANOTHER_PROCESS = _run_script(
    "async def main():\n"
    "    for i in range(int(sys.argv[2])):\n"
    "        result = await runner.run(source_inputs={'first': {'x': i}})\n"
    "        seen = subprocess.run([sys.executable, '-c', sys.argv[3], sys.argv[1], result.run_id],\n"
    "                              capture_output=True, text=True, check=True).stdout.strip()\n"
    "        print(result.run_id, result.status, seen, flush=True)\n"
    "asyncio.run(main())\n"
)


@pytest.mark.slow
def test_another_process_sees_the_run_right_after_return(tmp_path: Path) -> None:
    """A process started right after ``run()`` returned finds the run and its steps."""
    path = tmp_path / "runs.db"
    proc = subprocess.run(
        [sys.executable, "-c", _READ_IN_ANOTHER_PROCESS, str(path), "5", _READER],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.split("\n")[:-1]
    assert len(lines) == 5
    for line in lines:
        _, status, seen, completed = line.split()
        assert (status, seen, completed) == ("completed", "completed", "2"), line


_KILLED_AFTER_RETURN = _run_script(
    "async def main():\n"
    "    for i in range(3):\n"
    "        result = await runner.run(source_inputs={'first': {'x': i}, 'second': {'pause': float(sys.argv[2])}})\n"
    "        print(result.run_id, result.status, flush=True)\n"
    "    os.kill(os.getpid(), signal.SIGKILL)  # the line right after the last return\n"
    "asyncio.run(main())\n"
)


@pytest.mark.slow
def test_kill_9_right_after_return_loses_no_run(tmp_path: Path) -> None:
    """A process killed (SIGKILL) on the line after ``run()`` returned keeps every
    run it was told had completed, with all steps, also when a step took 0.3 s."""
    path = tmp_path / "runs.db"
    for attempt in range(8):
        pause = "0.3" if attempt % 4 == 3 else "0"
        proc = subprocess.run(
            [sys.executable, "-c", _KILLED_AFTER_RETURN, str(path), pause],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == -9, proc.stderr
        reported = [line.split() for line in proc.stdout.splitlines()]
        assert len(reported) == 3
        for run_id, status in reported:
            assert status == "completed"
            assert _rows(path, run_id) == (
                "completed",
                {"first": "completed", "second": "completed"},
            ), f"attempt {attempt}: run {run_id} lost"


async def test_a_store_that_cannot_commit_is_logged_and_the_result_stands(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """When the final commit fails, run() still returns the run's result and logs
    that the run is not on record (it never raises for the store)."""
    path = tmp_path / "runs.db"
    store = DagProvenance(path, flush_interval=SLOW_BATCHES)
    store._writer.close()  # the writer is gone: nothing can be committed any more
    store._writer._stopping = False
    missing = tmp_path / "missing-dir" / "runs.db"
    store._writer._connect = lambda: connect_store(missing)  # and cannot be reopened
    result = await DagRunner(two_steps(), provenance=store).run(source_inputs={"first": {"x": 1}})
    assert result.status == "completed"
    assert any(
        getattr(r, "lythonic_event", None) == "run_not_recorded" and result.run_id in r.getMessage()
        for r in caplog.records
    )


def test_cancelled_run_is_on_record_when_the_cancellation_arrives(tmp_path: Path) -> None:
    """A run cancelled from outside is recorded ``cancelled`` by the time the
    caller sees the cancellation."""
    path = tmp_path / "runs.db"

    async def main() -> str:
        store = DagProvenance(path, flush_interval=SLOW_BATCHES)
        runner = DagRunner(two_steps(), provenance=store)
        task = asyncio.ensure_future(
            runner.run(source_inputs={"first": {"x": 1}, "second": {"pause": 60}}, run_id="r-c")
        )
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return _rows(path, "r-c")[0] or "missing"

    assert asyncio.run(main()) == "cancelled"
