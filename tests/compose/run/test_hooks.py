"""Run hooks (on_failure, on_success, on_late) and the DAG's sla, in process and from
lyth.yaml; the example hook posting to a real local HTTP server."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from lythonic.compose.dag_provenance import DagProvenance
from lythonic.compose.dag_runner import DagRunner, RunSummary
from lythonic.compose.namespace import Dag
from lythonic.compose.run import watched_run
from lythonic.declarative import LythSettings, load_config, validate_config

SEEN: list[tuple[str, RunSummary]] = []


async def nap(seconds: float) -> float:
    await asyncio.sleep(seconds)
    return seconds


def explode(x: float) -> float:
    raise ValueError(f"bad value {x}")


def failure_hook(summary: RunSummary) -> None:
    SEEN.append(("failure", summary))


async def success_hook(summary: RunSummary) -> None:
    SEEN.append(("success", summary))


def late_hook(summary: RunSummary) -> None:
    SEEN.append(("late", summary))


def broken_hook(summary: RunSummary) -> None:
    raise RuntimeError("the pager is down")


@pytest.fixture(autouse=True)
def _clear() -> None:
    SEEN.clear()


def _dag(*fns: Any) -> Dag:
    dag = Dag()
    prev = dag.node(fns[0])
    for fn in fns[1:]:
        node = dag.node(fn)
        prev >> node
        prev = node
    return dag


def test_on_failure_gets_the_summary_with_the_failed_step_after_the_run_is_recorded(
    tmp_path: Path,
) -> None:
    """A failed run calls on_failure once with run id, DAG, status, error and the failed
    step; the run is already on record when the hook runs; on_success is not called."""
    store = DagProvenance(tmp_path / "dags.db")
    runner = DagRunner(_dag(nap, explode), store)
    on_record: list[str | None] = []

    def check_recorded(summary: RunSummary) -> None:
        run = store.get_run(summary.run_id)
        on_record.append(run["status"] if run else None)
        failure_hook(summary)

    result = asyncio.run(
        watched_run(
            runner,
            {"nap": {"seconds": 0.01}},
            "d",
            {},
            hooks={"on_failure": check_recorded, "on_success": success_hook},
        )
    )
    assert result.status == "failed" and on_record == ["failed"]
    ((kind, summary),) = SEEN
    assert kind == "failure" and summary.run_id == result.run_id and summary.dag == "d"
    assert summary.status == "failed" and "bad value 0.01" in (summary.error or "")
    assert [(s.step, "bad value" in (s.error or "")) for s in summary.failed_steps] == [
        ("explode", True)
    ]
    assert json.loads(json.dumps(summary.to_dict()))["failed_steps"][0]["step"] == "explode"
    store.close()


def test_a_hook_that_raises_is_logged_and_the_run_stands(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A raising on_success hook is logged (hook_failed, with its error); the result is
    the run's own."""
    runner = DagRunner(_dag(nap))
    with caplog.at_level(logging.ERROR, logger="lythonic.compose.dag_runner"):
        result = asyncio.run(
            watched_run(runner, {"nap": {"seconds": 0}}, "d", {}, hooks={"on_success": broken_hook})
        )
    assert result.status == "completed"
    from lythonic._events import EVENT_KEY

    failed = [r for r in caplog.records if getattr(r, EVENT_KEY, None) == "hook_failed"]
    assert len(failed) == 1 and "the pager is down" in failed[0].getMessage()


def test_sla_fires_on_late_once_for_a_run_still_going(tmp_path: Path) -> None:
    """sla 0.3 s, a run of 1 s: on_late once while it is still running (status
    running, late), then on_success with late set; a run within its sla is not late."""
    runner = DagRunner(_dag(nap))
    hooks = {"on_late": late_hook, "on_success": success_hook}
    result = asyncio.run(
        watched_run(runner, {"nap": {"seconds": 1.0}}, "d", {}, hooks=hooks, sla=0.3)
    )
    assert result.status == "completed"
    assert [(k, s.status, s.late) for k, s in SEEN] == [
        ("late", "running", True),
        ("success", "completed", True),
    ]
    SEEN.clear()
    asyncio.run(watched_run(runner, {"nap": {"seconds": 0}}, "d", {}, hooks=hooks, sla=5))
    assert [(k, s.late) for k, s in SEEN] == [("success", False)]


def test_hooks_and_sla_from_lyth_yaml(tmp_path: Path) -> None:
    """`on_failure`/`on_success`/`on_late` and `sla` of a DAG, and a trigger's hooks,
    are imported when the config loads; a hook outside the allow-list is an error at
    its line; `LoadedConfig.run` calls them."""
    config = tmp_path / "lyth.yaml"
    config.write_text(
        "dags:\n  d:\n    sla: 0.2\n"
        "    on_failure: tests.compose.run.test_hooks:failure_hook\n"
        "    on_late: tests.compose.run.test_hooks:late_hook\n"
        "    nodes:\n      nap: tests.compose.run.test_hooks:nap\n"
        "      explode: tests.compose.run.test_hooks:explode\n"
        "    edges: [nap >> explode]\n"
    )
    settings = LythSettings(allow_imports=["tests.compose.run"])
    cfg = load_config(config, settings=settings)
    result = asyncio.run(cfg.run("d", {"nap": {"seconds": 0.5}}))
    assert result.status == "failed"
    assert [k for k, _ in SEEN] == ["late", "failure"]
    config.write_text(
        config.read_text().replace("tests.compose.run.test_hooks:late_hook", "os:system")
    )
    problems = [str(d) for d in validate_config(config, settings=settings)]
    assert len(problems) == 1 and ":5:14:" in problems[0] and "'os'" in problems[0]


def test_the_example_alert_hook_posts_the_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    """examples/pipelines/alerts.py posts the summary as JSON to $ALERT_WEBHOOK_URL (a real
    local HTTP server here)."""
    from examples.pipelines.alerts import post_summary

    got: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            got.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("ALERT_WEBHOOK_URL", f"http://127.0.0.1:{server.server_port}/hook")
    summary = RunSummary(run_id="r1", dag="etl", status="failed", error="ValueError: x")
    assert post_summary(summary) == 204
    server.shutdown()
    assert got[0]["text"] == "run r1 of etl: failed - ValueError: x"
    assert got[0]["run"]["run_id"] == "r1"
    monkeypatch.delenv("ALERT_WEBHOOK_URL")
    with pytest.raises(RuntimeError, match="ALERT_WEBHOOK_URL is not set"):
        post_summary(summary)
