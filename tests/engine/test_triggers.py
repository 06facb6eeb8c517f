"""ConfigTriggers: the triggers of a lyth.yaml snapshot, scheduled on a fake clock."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lythonic.compose.dag_provenance import SCHEDULER, DagProvenance
from lythonic.compose.provenance._store import initiated_by
from lythonic.compose.trigger import TriggerStore
from lythonic.engine import ConfigTriggers, EngineRecorder
from lythonic.testing import FakeClock
from tests.engine import steps
from tests.engine.conftest import Compile

T0 = datetime(2024, 1, 1, tzinfo=UTC)

V1 = """\
dags:
  job:
    nodes:
      work: tests.engine.steps:stamp
    inputs:
      work: {label: from_dag, extra: 1}
triggers:
  hourly:
    dag: job
    cron: "0 * * * *"
    inputs:
      work: {label: from_trigger}
"""
SLOW = """\
dags:
  job:
    nodes:
      work: tests.engine.steps:slow
triggers:
  hourly:
    dag: job
    cron: "0 * * * *"
    inputs:
      work: {label: from_trigger}
"""


class Env:
    def __init__(self, tmp_path: Path) -> None:
        self.clock = FakeClock(T0)
        steps.CLOCK[:] = [self.clock]
        self.store = TriggerStore(tmp_path / "triggers.db", clock=self.clock)
        self.provenance = DagProvenance(tmp_path / "dags.db")

    def runs(self) -> list[dict[str, object]]:
        self.provenance.flush()
        runs = self.provenance.get_recent_runs(50, top_level_only=True, children=False)
        out = []
        for r in sorted(runs, key=lambda r: r.run_id):
            row = self.provenance.get_run(r.run_id) or {}
            out.append(
                {
                    "run_id": r.run_id,
                    "status": r.status,
                    "revision": r.config_revision,
                    "by": r.initiated_by,
                    "outputs": json.loads(row.get("sink_outputs_json") or "null"),
                }
            )
        return out


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Env]:
    e = Env(tmp_path)
    yield e
    e.store.close()
    e.provenance.close()


async def test_a_config_trigger_runs_its_dag_with_the_snapshot(env: Env, compiled: Compile) -> None:
    """Ticks run the file's DAG: DAG inputs overlaid by the trigger's, the revision recorded."""
    cfg = compiled(V1)
    manager = ConfigTriggers(cfg, env.store, env.provenance)
    assert manager.activate_configured().activated == ["hourly"]
    manager.start()
    await env.clock.advance(hours=2)
    await manager.drain()
    await manager.shutdown()
    runs = env.runs()
    assert [r["run_id"] for r in runs] == [
        "hourly@20240101T010000Z",
        "hourly@20240101T020000Z",
    ]
    assert {(r["status"], r["revision"], r["by"]) for r in runs} == {
        ("completed", cfg.revision, SCHEDULER)
    }
    assert runs[0]["outputs"] == {"work": "v1:from_trigger:1"}
    assert steps.SEEN[0][1] == datetime(2024, 1, 1, 1, tzinfo=UTC)


async def test_swap_changes_schedules_and_runs_in_flight_keep_their_snapshot(
    env: Env, compiled: Compile
) -> None:
    """After a swap new ticks run the new DAG and revision; a run in flight finishes on the old."""
    old = compiled(SLOW)
    new = compiled(
        V1.replace("tests.engine.steps:stamp", "tests.engine.steps:stamp_v2").replace(
            'cron: "0 * * * *"', 'cron: "30 * * * *"\n    overlap: allow'
        )
        + '  added:\n    dag: job\n    cron: "45 * * * *"\n'
    )
    recorder = EngineRecorder(env.provenance)
    manager = ConfigTriggers(old, env.store, recorder)
    manager.activate_configured()
    manager.start()
    await env.clock.advance(hours=1)  # hourly@01:00 starts and waits 90 minutes
    assert recorder.in_flight == {"hourly@20240101T010000Z"}
    diff = manager.swap(new)
    assert (diff.added, diff.changed, diff.removed) == (["added"], ["hourly"], [])
    await env.clock.advance(hours=1)  # 01:30 and 01:45 run v2; the 01:00 run is still going
    await env.clock.advance(hours=1)
    await manager.drain()
    await manager.shutdown()
    by_id = {r["run_id"]: r for r in env.runs()}
    assert by_id["hourly@20240101T010000Z"]["outputs"] == {"work": "slow:from_trigger"}
    assert by_id["hourly@20240101T010000Z"]["revision"] == old.revision
    assert by_id["hourly@20240101T013000Z"]["outputs"] == {"work": "v2:from_trigger:1"}
    assert by_id["hourly@20240101T013000Z"]["revision"] == new.revision
    assert by_id["added@20240101T014500Z"]["outputs"] == {"work": "v2:from_dag:1"}
    assert "hourly@20240101T020000Z" not in by_id  # the old schedule is gone


async def test_a_removed_trigger_stops_and_loses_its_next_fire(env: Env, compiled: Compile) -> None:
    """Removing a trigger from the config stops it; the store no longer shows a next fire."""
    cfg = compiled(V1 + '  other:\n    dag: job\n    cron: "15 * * * *"\n')
    manager = ConfigTriggers(cfg, env.store, env.provenance)
    manager.activate_configured()
    manager.start()
    await env.clock.advance(minutes=20)
    diff = manager.swap(compiled(V1))
    assert diff.removed == ["other"]
    await env.clock.advance(hours=1, minutes=10)
    await manager.drain()
    await manager.shutdown()
    ran = [r["run_id"] for r in env.runs()]
    assert ran == ["hourly@20240101T010000Z", "other@20240101T001500Z"]
    assert (env.store.get_activation("other") or {})["next_run_at"] is None


async def test_fire_takes_a_payload_of_step_inputs(env: Env, compiled: Compile) -> None:
    """fire() with a payload runs the DAG with those step inputs over the DAG's own."""
    manager = ConfigTriggers(compiled(V1), env.store, env.provenance)
    manager.activate_configured()
    with initiated_by("manual"):
        result = await manager.fire("hourly", {"work": {"label": "given"}})
    assert result.status == "completed" and result.outputs == {"work": "v1:given:1"}
    default = await manager.fire("hourly")
    assert default.outputs == {"work": "v1:from_trigger:1"}
    events = env.store.get_events("hourly")
    assert [e["status"] for e in events] == ["completed", "completed"]
    assert sorted(str(r["by"]) for r in env.runs()) == ["None", "manual"]


async def test_config_disable_is_undone_by_the_config_but_a_cli_disable_is_not(
    env: Env, compiled: Compile
) -> None:
    """`enabled: false` then true re-activates; a trigger disabled with the CLI stays disabled."""
    off = V1.replace('cron: "0 * * * *"', 'cron: "0 * * * *"\n    enabled: false')
    manager = ConfigTriggers(compiled(V1), env.store, env.provenance)
    manager.activate_configured()
    manager.swap(compiled(off))
    assert (env.store.get_activation("hourly") or {})["status"] == "disabled"
    manager.swap(compiled(V1))
    assert (env.store.get_activation("hourly") or {})["status"] == "active"
    with initiated_by("cli"):
        manager.deactivate("hourly")
    manager.swap(compiled(V1.replace("from_trigger", "changed")))
    assert (env.store.get_activation("hourly") or {})["status"] == "disabled"
