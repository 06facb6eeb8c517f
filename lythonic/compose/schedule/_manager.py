"""Triggers: fire DAGs on cron schedules, from poll functions, or on demand.

A trigger is declared on a namespace node's config (``TriggerConfig``:
``schedule``, ``timezone``, ``catchup``, ``overlap`` …). ``TriggerStore``
keeps activations and fire events in SQLite; ``TriggerManager`` activates
triggers, fires them, and runs the scheduler (``start``/``stop``).

>>> from lythonic.compose.namespace import Dag, Namespace, NsNodeConfig, TriggerConfig
>>> def hello(name: str) -> str: return f"hello {name}"
>>> dag = Dag(); _ = dag.node(hello)
>>> ns = Namespace()
>>> _ = ns.register(dag, nsref="demo:hello", config=NsNodeConfig(
...     nsref="demo:hello",
...     triggers=[TriggerConfig(name="morning", schedule="0 7 * * *",
...                             timezone="Europe/Berlin", payload={"name": "world"})]))

Call ``activate_configured()`` at every process start: it activates the
configured triggers but leaves alone those stored as disabled, so a
``deactivate()`` survives restarts until an explicit ``activate()``.
Scheduled runs get the run id ``"<trigger>@<UTC time>"`` and are recorded as
initiated by ``SCHEDULER``; nodes see the tick as ``DagContext.scheduled_at``.
See docs/triggers.md for the policies and how to test triggers with
``lythonic.testing.FakeClock``.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from lythonic._events import event
from lythonic._public import publish
from lythonic.compose.provenance._store import (
    SCHEDULER,
    NullProvenance,
    ProvenanceStore,
    initiated_by,
    run_initiator,
)
from lythonic.compose.schedule._clock import Clock
from lythonic.compose.schedule._scheduler import Scheduler, Tick, TickOutcome
from lythonic.compose.schedule._spec import TriggerConfigError, TriggerSpec
from lythonic.compose.schedule._store import (
    TickResult,
    TriggerStore,
)
from lythonic.compose.schedule._templates import TemplateError, render_inputs
from lythonic.compose.schedule._trigger_event import Offer, TriggerEvent

if TYPE_CHECKING:
    from lythonic.compose.graph import Namespace
    from lythonic.compose.nodes import DagShape as Dag
    from lythonic.compose.run import DagRunResult

__all__ = [
    "CONFIGURED",
    "AroundTick",
    "DagRunRequest",
    "RunDag",
    "TriggerActivationResult",
    "TriggerManager",
    "TriggerNotActiveError",
    "run_with_runner",
]

log = logging.getLogger("lythonic.compose.trigger")

CONFIGURED = "config"
"""``changed_by`` of a trigger that ``activate_configured`` disabled (``enabled: false``)."""


class TriggerNotActiveError(ValueError):
    """``fire`` was asked for a trigger that is not activated, or is disabled."""


@dataclass(frozen=True)
class TriggerActivationResult:
    """What ``TriggerManager.activate_configured`` did: trigger names, by outcome."""

    activated: list[str] = field(default_factory=list)
    left_disabled: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DagRunRequest:
    """One run a trigger asks for: what ``run_dag`` receives."""

    dag: Dag
    dag_nsref: str
    payload: dict[str, Any]
    trigger: str
    run_id: str | None
    scheduled_at: datetime | None
    config_revision: str | None
    provenance: ProvenanceStore


RunDag = Callable[[DagRunRequest], Awaitable["DagRunResult"]]
"""Runs a trigger's DAG; ``run_with_runner`` (a ``DagRunner``) unless one is injected."""

AroundTick = Callable[[Tick, Callable[[Tick], Awaitable[TickOutcome]]], Awaitable[TickOutcome]]
"""Wraps each scheduled tick (e.g. to log it): gets the tick and the function that runs it."""


async def run_with_runner(request: DagRunRequest) -> DagRunResult:
    """Run the request's DAG with a ``DagRunner`` on the request's provenance store."""
    from lythonic.compose.run import DagRunner

    dag = request.dag
    return await DagRunner(dag, provenance=request.provenance).run(
        source_inputs=dag.kwargs_to_inputs(request.payload),
        dag_nsref=request.dag_nsref,
        run_id=request.run_id,
        scheduled_at=request.scheduled_at,
        config_revision=request.config_revision,
    )


class TriggerManager:
    """Activates, fires and schedules the triggers configured in ``namespace``.

    ``provenance`` records the runs (``NullProvenance`` by default); ``clock``
    defaults to the store's; ``misfire_grace`` (seconds) is how late a tick
    may be handled and still count as on time rather than missed;
    ``config_revision`` is recorded on every run the manager starts.
    """

    namespace: Namespace
    store: TriggerStore
    provenance: ProvenanceStore

    def __init__(
        self,
        namespace: Namespace,
        store: TriggerStore,
        provenance: ProvenanceStore | None = None,
        *,
        clock: Clock | None = None,
        misfire_grace: float = 60.0,
        config_revision: str | None = None,
        run_dag: RunDag | None = None,
        around_tick: AroundTick | None = None,
    ) -> None:
        self.namespace = namespace
        self.store = store
        self.provenance = provenance if provenance is not None else NullProvenance()
        if store.owner_id is None:  # ticks this process claims name it (shared stores)
            store.owner_id = getattr(self.provenance, "owner_id", None)
        self.clock: Clock = clock if clock is not None else store.clock
        self.config_revision = config_revision
        self._run_dag_fn: RunDag = run_dag if run_dag is not None else run_with_runner
        self._around_tick = around_tick
        self._scheduler = Scheduler(
            store, self._tick, clock=self.clock, misfire_grace=misfire_grace
        )
        self._task: asyncio.Task[None] | None = None

    # -- configuration --------------------------------------------------------

    def specs(self) -> dict[str, TriggerSpec]:
        """Every trigger configured in the namespace, by name.

        Raises ``TriggerConfigError`` for a trigger without a name or with a
        duplicate name.
        """
        out: dict[str, TriggerSpec] = {}
        for node, tc in self.namespace.triggers():
            spec = TriggerSpec.from_config(tc, str(node.nsref))
            if spec.name in out:
                raise TriggerConfigError(
                    f"trigger name {spec.name!r} is used twice (on {out[spec.name].dag_nsref!r} "
                    f"and {spec.dag_nsref!r}); trigger names must be unique"
                )
            out[spec.name] = spec
        return out

    def _spec(self, name: str) -> TriggerSpec:
        spec = self.specs().get(name)
        if spec is None:
            raise KeyError(f"Trigger '{name}' not found")
        return spec

    def _refresh(self) -> None:
        """Hand the scheduler the triggers that are active in the store."""
        if self._task is None or self._task.done():
            return
        active = {a["name"] for a in self.store.get_activations() if a["status"] == "active"}
        specs = self.specs()
        self._scheduler.set_specs(s for n, s in specs.items() if n in active)

    # -- activation -----------------------------------------------------------

    def activate(self, name: str) -> None:
        """Activate a configured trigger, even one stored as disabled."""
        spec = self._spec(name)
        self.store.activate(spec, spec.dag_nsref)
        self._refresh()

    def deactivate(self, name: str) -> None:
        """Disable a trigger; it stays disabled across restarts until ``activate``."""
        self.store.deactivate(name)
        self._refresh()

    def activate_configured(self) -> TriggerActivationResult:
        """Activate every configured trigger except those stored as disabled.

        A trigger configured with ``enabled: false`` is disabled (or left
        unactivated) instead.
        """
        result = TriggerActivationResult()
        for name, spec in self.specs().items():
            stored = self.store.get_activation(name) or {}
            if not spec.enabled:
                if stored.get("status") == "active":
                    with initiated_by(CONFIGURED):
                        self.store.deactivate(name)
                result.left_disabled.append(name)
            # Disabled by the config earlier and enabled there now: the config
            # decides. Disabled by someone (`lyth trigger disable`): it stays so.
            elif self.store.activate(
                spec, spec.dag_nsref, keep_disabled=stored.get("changed_by") != CONFIGURED
            ):
                result.activated.append(name)
            else:
                result.left_disabled.append(name)
        self._refresh()
        return result

    # -- firing ---------------------------------------------------------------

    async def fire(self, name: str, payload: dict[str, Any] | None = None) -> DagRunResult:
        """Run the trigger's DAG now; ``payload`` (else the configured one) feeds its sources.

        Payload keys name source parameters, or source labels mapping to
        their keyword arguments. The trigger must be active.
        """
        store = self.store
        activation = await store.aread(lambda: store.get_activation(name))
        status = activation["status"] if activation else "not found"
        if activation is None or status != "active":
            raise TriggerNotActiveError(
                f"Trigger '{name}' is not active (status: {status}); activate it first"
            )
        try:
            default = self._spec(name).payload
        except KeyError:
            default = None  # activated from another config: no configured payload here
        effective = payload if payload is not None else (default or {})
        dag_nsref = activation["dag_nsref"]
        dag = self.namespace.get_as_dag(dag_nsref)
        event_id = await store.aread(
            lambda: store.record_event(name, effective, run_id=None, status="running")
        )
        result = await self._run_dag(dag, dag_nsref, effective, trigger=name)
        done = TickResult(event_id, name, result.status, result.run_id, result.error, ran=True)
        await store.awrite(lambda cur: store.finish_event(cur, done))
        return result

    async def _run_dag(
        self,
        dag: Dag,
        dag_nsref: str,
        payload: dict[str, Any],
        *,
        trigger: str,
        run_id: str | None = None,
        scheduled_at: datetime | None = None,
    ) -> DagRunResult:
        request = DagRunRequest(
            dag=dag,
            dag_nsref=dag_nsref,
            payload=payload,
            trigger=trigger,
            run_id=run_id,
            scheduled_at=scheduled_at,
            config_revision=self.config_revision,
            provenance=self.provenance,
        )
        return await self._run_dag_fn(request)

    async def _tick(self, tick: Tick) -> TickOutcome:
        if self._around_tick is None:
            return await self._run_tick(tick)
        return await self._around_tick(tick, self._run_tick)

    async def _run_tick(self, tick: Tick) -> TickOutcome:
        """One scheduled tick: call the poll function if any, then run the DAG."""
        spec = tick.spec
        payload: dict[str, Any] | None = None
        if spec.poll_fn is not None:
            try:
                value = await _call_poll_fn(spec)
            except Exception as exc:
                log.exception(
                    "trigger %r: poll_fn %s raised",
                    spec.name,
                    spec.poll_fn,
                    extra=event("poll_failed", trigger=spec.name, poll_fn=str(spec.poll_fn)),
                )
                return TickOutcome(
                    "error", error=f"poll_fn raised {type(exc).__name__}: {exc}", checked=True
                )
            if value is None:
                return TickOutcome("no_data", checked=True)
            payload = dict(value) if isinstance(value, dict) else {"data": value}
        effective = payload if payload is not None else (spec.payload or {})
        if tick.event is not None:  # inputs may name what fired the run: {file.path}
            try:
                effective = render_inputs(effective, tick.event.context)
            except TemplateError as exc:
                return TickOutcome("error", error=f"inputs: {exc}")
        try:
            dag = self.namespace.get_as_dag(spec.dag_nsref)
        except KeyError as exc:  # the namespace changed under a running scheduler
            return TickOutcome("error", error=str(exc).strip("'\""), checked=True)
        token = run_initiator.set(SCHEDULER)  # as ``initiated_by``, a microsecond cheaper
        try:
            result = await self._run_dag(
                dag,
                spec.dag_nsref,
                effective,
                trigger=spec.name,
                run_id=tick.run_id,
                scheduled_at=tick.scheduled_at,
            )
        finally:
            run_initiator.reset(token)
        return TickOutcome(
            result.status,
            run_id=result.run_id,
            error=result.error,
            payload=payload,
            ran=True,
            checked=True,
        )

    # -- the scheduler --------------------------------------------------------

    def start(self) -> None:
        """Start scheduling the active triggers (needs a running event loop)."""
        if self._task is not None and not self._task.done():
            return
        self._task = self._scheduler.start()
        self._refresh()

    def stop(self) -> None:
        """Stop scheduling and cancel runs in flight (their events say interrupted)."""
        self._scheduler.stop()

    async def shutdown(self, grace: float | None = None) -> None:
        """Stop scheduling; wait up to ``grace`` seconds for runs in flight, then cancel them."""
        await self._scheduler.shutdown(grace)

    async def drain(self) -> None:
        """Wait until no scheduled run is in flight or queued and all records are written."""
        await self._scheduler.drain()

    async def offer(self, name: str, events: list[TriggerEvent]) -> list[Offer]:
        """Claim and run the events of the event trigger ``name`` (``Scheduler.offer``)."""
        return await self._scheduler.offer(name, events)

    def in_flight(self) -> dict[str, int]:
        """How many runs of each trigger are going now."""
        return self._scheduler.in_flight()

    def next_fire_times(self) -> dict[str, datetime | None]:
        """Each scheduled trigger's next fire time (UTC), once started."""
        return self._scheduler.next_fire_times()


async def _call_poll_fn(spec: TriggerSpec) -> Any:
    """Call the poll function; a sync one runs in a worker thread, off the event loop."""
    assert spec.poll_fn is not None
    fn = spec.poll_fn.get_instance()
    if inspect.iscoroutinefunction(fn):
        return await fn()
    result = await asyncio.get_running_loop().run_in_executor(None, fn)
    if inspect.isawaitable(result):
        return await result
    return result


publish("lythonic.compose.trigger", TriggerManager, TriggerActivationResult)
