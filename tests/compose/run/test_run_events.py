"""What the runner logs and records about failures: constant event names with the
run, DAG and step as fields; attempt numbers as they happened; tracebacks that
show the user's frames."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from lythonic.compose.dag_provenance import DagProvenance
from lythonic.compose.dag_runner import DagRunner
from lythonic.compose.namespace import Dag
from lythonic.logs import configure_logging


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    out = io.StringIO()
    configure_logging(fmt="json", stream=out, level="INFO")
    yield out
    for h in list(root.handlers):
        if h not in handlers:
            root.removeHandler(h)
            h.close()
    root.setLevel(level)


def _events(out: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]


def words() -> list[str]:
    return ["a", "bad", "c"]


def check_word(w: str) -> str:
    if w == "bad":
        raise ValueError(f"cannot take {w!r}")
    return w


def slow_sync(x: int) -> int:
    import time

    time.sleep(2)
    return x


async def test_a_map_elements_failure_names_run_dag_step_and_parent(json_log: io.StringIO) -> None:
    """The child run's failure is one ``node_failed`` event with its run id, DAG path,
    step, attempt and the parent run's id; at INFO without a traceback."""
    sub = Dag()
    sub.node(check_word)
    dag = Dag()
    dag.node(words) >> dag.map(sub, label="each")
    result = await DagRunner(dag).run(dag_nsref="checks")
    assert result.status == "failed"
    (failed,) = [e for e in _events(json_log) if e["event"] == "node_failed"]
    assert failed["node"] == "check_word" and failed["dag"] == "checks/each[1]"
    assert failed["parent_run_id"] == result.run_id and failed["run_id"] != result.run_id
    assert failed["attempt"] == 1 and failed["error"] == "ValueError: cannot take 'bad'"
    assert failed["level"] == "error" and "exception" not in failed
    assert "Node 'check_word' failed in run" in str(failed["message"])


async def test_at_debug_the_traceback_shows_the_users_frames_only(json_log: io.StringIO) -> None:
    """With DEBUG on, the failure carries a traceback of the user's code: no frames of
    lythonic, asyncio or the thread pool."""
    logging.getLogger().setLevel(logging.DEBUG)
    dag = Dag()
    dag.node(check_word)
    await DagRunner(dag).run(source_inputs={"check_word": {"w": "bad"}})
    (failed,) = [e for e in _events(json_log) if e["event"] == "node_failed"]
    text = json.dumps(failed["exception"])
    assert "check_word" in text and "cannot take" in text
    assert "lythonic/compose" not in text and "concurrent/futures" not in text
    assert "asyncio" not in text


async def test_retries_log_constant_events_and_store_the_real_attempt(
    tmp_path: Path, json_log: io.StringIO
) -> None:
    """Each retry is a ``node_retry`` event; a step timing out on its third attempt is
    recorded with attempt 3, as its error message says."""
    store = DagProvenance(tmp_path / "runs.db")
    dag = Dag()
    dag.node(slow_sync, retries=2, retry_backoff=0.0, timeout=0.1)
    result = await DagRunner(dag, provenance=store).run(source_inputs={"slow_sync": {"x": 1}})
    assert result.status == "failed" and "(attempt 3 of 3)" in (result.error or "")
    (row,) = store.get_node_executions(result.run_id)
    assert (row["status"], row["attempt"]) == ("failed", 3)
    events = _events(json_log)
    assert [e["attempt"] for e in events if e["event"] == "node_retry"] == [1, 2]
    (failed,) = [e for e in events if e["event"] == "node_failed"]
    assert failed["attempt"] == 3
    store.close()
    await asyncio.sleep(0)
