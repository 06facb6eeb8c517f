"""TriggerManager: upstream's API (activate, fire, start/stop) and scheduled runs on a fake clock."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from lythonic.compose.dag_provenance import SCHEDULER, DagProvenance, initiated_by
from lythonic.compose.namespace import Dag, DagContext, Namespace, NsNodeConfig, TriggerConfig
from lythonic.compose.trigger import (
    TriggerActivationResult,
    TriggerConfigError,
    TriggerManager,
    TriggerNotActiveError,
    TriggerStore,
)
from lythonic.testing import FakeClock

T0 = datetime(2024, 1, 1, tzinfo=UTC)
MOD = __name__

# What the node and poll functions below saw, per test (reset by the fixture).
SEEN: dict[str, list[Any]] = {}
POLL_RESULTS: list[Any] = []
CLOCK: list[FakeClock] = []


async def echo(text: str) -> str:
    return f"echo:{text}"


async def stamp(ctx: DagContext, text: str = "") -> dict[str, Any]:
    SEEN.setdefault("stamp", []).append((ctx.run_id, ctx.scheduled_at, ctx.attempt, text))
    return {"run_id": ctx.run_id}


async def slow(text: str = "") -> str:
    clock = CLOCK[0]
    await clock.sleep_until(clock.now() + timedelta(hours=10))
    return "slow"


def poll_next() -> Any:
    SEEN.setdefault("poll_threads", []).append(
        threading.current_thread() is threading.main_thread()
    )
    value = POLL_RESULTS.pop(0)
    if isinstance(value, Exception):
        raise value
    return value


async def apoll_next() -> Any:
    return POLL_RESULTS.pop(0)


def data_node(data: Any = None, text: str = "") -> Any:
    SEEN.setdefault("data_node", []).append((data, text))
    return data


def dag_of(ns: Namespace, fn: Any, nsref: str, *triggers: TriggerConfig) -> Dag:
    dag = Dag()
    dag.node(fn)
    ns.register(dag, nsref=nsref, config=NsNodeConfig(nsref=nsref, triggers=list(triggers)))
    return dag


class Env:
    def __init__(self, tmp_path: Path) -> None:
        self.clock = FakeClock(T0)
        CLOCK[:] = [self.clock]
        self.ns = Namespace()
        self.store = TriggerStore(tmp_path / "triggers.db", clock=self.clock)
        self.tmp_path = tmp_path
        self.managers: list[TriggerManager] = []

    def manager(self, **kw: Any) -> TriggerManager:
        store = kw.pop("store", self.store)
        m = TriggerManager(self.ns, store, **kw)
        self.managers.append(m)
        return m

    def statuses(self, name: str) -> list[str]:
        return [e["status"] for e in reversed(self.store.get_events(name))]


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Env]:
    SEEN.clear()
    POLL_RESULTS.clear()
    e = Env(tmp_path)
    yield e
    for m in e.managers:
        await m.shutdown(grace=0)
    e.store.close()


# -- upstream's API -----------------------------------------------------------


async def test_fire_push_trigger(env: Env) -> None:
    """fire runs the trigger's DAG with the payload and records a completed event with its run id."""
    dag_of(env.ns, echo, "pipelines:echo_pipe", TriggerConfig(name="webhook", type="push"))
    provenance = DagProvenance(env.tmp_path / "prov.db")
    try:
        manager = env.manager(provenance=provenance)
        manager.activate("webhook")
        result = await manager.fire("webhook", payload={"text": "hello"})
        assert (result.status, result.outputs["echo"]) == ("completed", "echo:hello")
        events = env.store.get_events("webhook")
        assert [(e["status"], e["run_id"]) for e in events] == [("completed", result.run_id)]
        assert env.store.get_activation("webhook")["last_run_id"] == result.run_id  # type: ignore[index]
        run = provenance.get_run(result.run_id)
        assert run is not None and run["status"] == "completed"
    finally:
        provenance.close()


async def test_configured_payload_is_the_default(env: Env) -> None:
    """Without a payload, fire uses the configured one; an explicit payload overrides it."""
    dag_of(
        env.ns,
        echo,
        "pipelines:echo",
        TriggerConfig(name="with_default", type="push", payload={"text": "default_msg"}),
    )
    manager = env.manager()
    manager.activate("with_default")
    assert (await manager.fire("with_default")).outputs["echo"] == "echo:default_msg"
    result = await manager.fire("with_default", payload={"text": "override"})
    assert result.outputs["echo"] == "echo:override"


async def test_payload_keyed_by_source_label(env: Env) -> None:
    """A payload may map a source's label to its keyword arguments."""
    dag_of(env.ns, echo, "p:e", TriggerConfig(name="t", type="push"))
    manager = env.manager()
    manager.activate("t")
    result = await manager.fire("t", payload={"echo": {"text": "by label"}})
    assert result.outputs["echo"] == "echo:by label"


async def test_fire_refuses_inactive_triggers(env: Env) -> None:
    """fire on a disabled or unknown trigger raises a ValueError saying it is not active."""
    dag_of(env.ns, echo, "p:e", TriggerConfig(name="push1", type="push"))
    manager = env.manager()
    manager.activate("push1")
    manager.deactivate("push1")
    with pytest.raises(TriggerNotActiveError, match=r"'push1' is not active \(status: disabled\)"):
        await manager.fire("push1", payload={"text": "x"})
    with pytest.raises(ValueError, match="status: not found"):
        await manager.fire("nope")
    assert env.store.get_events("push1") == []


async def test_start_and_stop(env: Env) -> None:
    """start runs the scheduler as a task, a second start does nothing, stop ends it."""
    manager = env.manager()
    manager.start()
    task = manager._task
    assert task is not None and not task.done()
    manager.start()
    assert manager._task is task
    manager.stop()
    await asyncio.sleep(0.01)
    assert task.done()


async def test_activate_configured_keeps_deactivated_triggers_across_restarts(env: Env) -> None:
    """A deactivated trigger stays disabled when a new process calls activate_configured."""
    dag_of(env.ns, echo, "p:e", TriggerConfig(name="hourly", schedule="0 * * * *"))
    first = env.manager()
    assert first.activate_configured() == TriggerActivationResult(["hourly"], [])
    first.deactivate("hourly")
    await first.shutdown()

    second = env.manager()  # a restart: same store, fresh manager
    assert second.activate_configured() == TriggerActivationResult([], ["hourly"])
    second.start()
    await env.clock.advance(hours=3)
    await second.drain()
    assert env.store.get_events("hourly") == []

    second.activate("hourly")  # explicit: fires from the next tick, nothing caught up
    await env.clock.advance(hours=2)
    await second.drain()
    assert [e["run_id"] for e in reversed(env.store.get_events("hourly"))] == [
        "hourly@20240101T040000Z",
        "hourly@20240101T050000Z",
    ]


async def test_enabled_false_in_config_leaves_the_trigger_disabled(env: Env) -> None:
    """A trigger configured with enabled: false is not activated (and an active one is disabled)."""
    tc = TriggerConfig(name="t", schedule="0 * * * *")
    dag_of(env.ns, echo, "p:e", tc)
    env.manager().activate_configured()
    tc.enabled = False
    result = env.manager().activate_configured()
    assert result.left_disabled == ["t"]
    assert env.store.get_activation("t")["status"] == "disabled"  # type: ignore[index]


async def test_enabled_again_in_config_reactivates_only_what_the_config_disabled(
    env: Env,
) -> None:
    """enabled: false then true re-activates; a trigger someone disabled stays disabled."""
    by_config = TriggerConfig(name="c", schedule="0 * * * *")
    by_hand = TriggerConfig(name="h", schedule="0 * * * *")
    dag_of(env.ns, echo, "p:e", by_config, by_hand)
    env.manager().activate_configured()
    by_config.enabled = False
    env.manager().activate_configured()
    with initiated_by("alice"):
        env.manager().deactivate("h")
    assert env.store.get_activation("c")["changed_by"] == "config"  # type: ignore[index]
    by_config.enabled = True
    result = env.manager().activate_configured()
    assert (result.activated, result.left_disabled) == (["c"], ["h"])
    assert env.store.get_activation("h")["changed_by"] == "alice"  # type: ignore[index]


async def test_duplicate_trigger_names_are_an_error(env: Env) -> None:
    """Two triggers with one name are refused with both DAGs named."""
    dag_of(env.ns, echo, "p:a", TriggerConfig(name="t", type="push"))
    dag_of(env.ns, stamp, "p:b", TriggerConfig(name="t", type="push"))
    with pytest.raises(TriggerConfigError, match=r"'t' is used twice.*'p:a'.*'p:b'"):
        env.manager().activate_configured()


# -- scheduled runs -------------------------------------------------------------


async def test_scheduled_runs_see_their_tick_and_are_attributed_to_the_scheduler(env: Env) -> None:
    """A scheduled run has the tick's run id, scheduled_at and attempt in DagContext, initiator SCHEDULER."""
    dag_of(
        env.ns,
        stamp,
        "p:stamp",
        TriggerConfig(
            name="berlin", schedule="30 2 * * *", timezone="Europe/Berlin", payload={"text": "p"}
        ),
    )
    provenance = DagProvenance(env.tmp_path / "prov.db")
    try:
        manager = env.manager(provenance=provenance, config_revision="rev-7")
        manager.activate_configured()
        manager.start()
        await env.clock.advance(days=1)
        await manager.drain()
        tick = datetime(2024, 1, 1, 1, 30, tzinfo=UTC)  # 02:30 CET
        assert SEEN["stamp"] == [("berlin@20240101T013000Z", tick, 1, "p")]
        run = provenance.get_run("berlin@20240101T013000Z")
        assert run is not None
        assert (run["initiated_by"], run["config_revision"]) == (SCHEDULER, "rev-7")
        assert manager.next_fire_times() == {"berlin": tick + timedelta(days=1)}
    finally:
        provenance.close()


async def test_poll_fn_semantics(env: Env) -> None:
    """poll_fn: None skips the run, a dict is the payload, another value is {"data": value},
    an exception is recorded; each call records a check; a sync poll_fn runs off the loop thread."""
    dag_of(
        env.ns,
        data_node,
        "p:data",
        TriggerConfig(name="poller", schedule="0 * * * *", poll_fn=f"{MOD}:poll_next"),  # type: ignore[arg-type]
    )
    POLL_RESULTS.extend([None, {"text": "dict"}, 42, RuntimeError("source down")])
    manager = env.manager()
    manager.activate_configured()
    manager.start()
    await env.clock.advance(hours=1)
    await manager.drain()
    checked = env.store.get_activation("poller")
    assert checked is not None and checked["last_checked_at"] == env.clock.now().timestamp()
    assert checked["last_run_id"] is None
    await env.clock.advance(hours=3)
    await manager.drain()
    assert env.statuses("poller") == ["no_data", "completed", "completed", "error"]
    assert SEEN["data_node"] == [(None, "dict"), (42, "")]
    assert SEEN["poll_threads"] == [False] * 4
    last = env.store.get_events("poller")[0]
    assert "RuntimeError: source down" in last["error"]
    activation = env.store.get_activation("poller")
    assert activation is not None
    assert activation["last_checked_at"] == env.clock.now().timestamp()
    assert activation["last_run_id"] == "poller@20240101T030000Z"


async def test_async_poll_fn(env: Env) -> None:
    """An async poll_fn is awaited; its dict becomes the payload of the run."""
    dag_of(
        env.ns,
        echo,
        "p:e",
        TriggerConfig(name="apoll", schedule="0 * * * *", poll_fn=f"{MOD}:apoll_next"),  # type: ignore[arg-type]
    )
    POLL_RESULTS.append({"text": "from async"})
    manager = env.manager()
    manager.activate_configured()
    manager.start()
    await env.clock.advance(hours=1)
    await manager.drain()
    event = env.store.get_events("apoll")[0]
    assert event["status"] == "completed"
    assert '"from async"' in event["payload_json"]


async def test_a_slow_dag_does_not_delay_another_trigger(env: Env) -> None:
    """While one trigger's DAG runs for 10 hours, another trigger still fires every hour on time."""
    dag_of(env.ns, slow, "p:slow", TriggerConfig(name="slow", schedule="0 1 * * *"))
    dag_of(env.ns, stamp, "p:quick", TriggerConfig(name="quick", schedule="0 * * * *"))
    manager = env.manager()
    manager.activate_configured()
    manager.start()
    await env.clock.advance(hours=6)
    scheduled = [at for _, at, _, _ in SEEN["stamp"]]
    assert scheduled == [T0 + timedelta(hours=h) for h in range(1, 7)]
    assert env.statuses("slow") == ["running"]
    await env.clock.advance(hours=6)
    await manager.drain()
    assert env.statuses("slow") == ["completed"]


async def test_a_failing_run_is_recorded_and_the_next_tick_fires(env: Env) -> None:
    """A scheduled run that fails is a failed event with its error; the next tick still runs."""
    dag_of(env.ns, echo, "p:e", TriggerConfig(name="nopayload", schedule="0 * * * *"))
    manager = env.manager()
    manager.activate_configured()
    manager.start()
    await env.clock.advance(hours=2)
    await manager.drain()
    events = env.store.get_events("nopayload")
    assert [e["status"] for e in events] == ["failed", "failed"]
    assert "needs input 'text'" in events[0]["error"]


async def test_fire_of_a_missing_dag_raises_and_records_nothing(env: Env) -> None:
    """fire of a trigger whose DAG is not in the namespace raises KeyError naming it."""
    dag_of(env.ns, echo, "p:e", TriggerConfig(name="orphan", type="push"))
    env.store.activate(TriggerConfig(name="orphan", type="push"), "p:gone")
    with pytest.raises(KeyError, match="p:gone"):
        await env.manager().fire("orphan", payload={"text": "x"})
    assert env.store.get_events("orphan") == []


async def test_stop_interrupts_runs_in_flight(env: Env) -> None:
    """stop cancels the runs in flight; their events say interrupted."""
    dag_of(env.ns, slow, "p:slow", TriggerConfig(name="slow", schedule="0 * * * *"))
    manager = env.manager()
    manager.activate_configured()
    manager.start()
    await env.clock.advance(hours=1)
    assert env.statuses("slow") == ["running"]
    manager.stop()
    await asyncio.sleep(0.01)
    assert env.statuses("slow") == ["interrupted"]
