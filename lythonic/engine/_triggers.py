"""``ConfigTriggers``: the trigger manager of a ``lyth.yaml`` config snapshot.

It schedules both kinds of triggers a config can declare: the top-level
``triggers:`` (a DAG of the file and its step inputs) and upstream-style
triggers on ``namespace:`` entries. ``swap`` replaces the snapshot in one
step on the event loop: ticks that start afterwards run the new snapshot's
DAGs and record its revision, runs in flight keep the one they started with.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog

from lythonic.compose.schedule import (
    DagRunRequest,
    TriggerActivationResult,
    TriggerConfigError,
    TriggerManager,
    TriggerSpec,
    TriggerStore,
    run_with_runner,
)
from lythonic.declarative._trigger_checks import EVENT_QUEUE_CAP, event_source_options
from lythonic.logs import get_logger

if TYPE_CHECKING:
    from lythonic.compose.executor import Executor
    from lythonic.compose.provenance import ProvenanceStore
    from lythonic.compose.run import DagRunResult
    from lythonic.compose.schedule import Clock, Tick, TickOutcome
    from lythonic.declarative import LoadedConfig

__all__ = [
    "ConfigTriggers",
    "TriggerDiff",
    "config_trigger_specs",
    "log_schedule",
    "next_fire_fields",
]

log = get_logger("lythonic.engine")
# The level check of a structlog call costs ~7 us even when it drops the event;
# the stdlib logger's own check (cached) costs ~0.1 us.
_level = logging.getLogger("lythonic.engine")

_SCHEDULE_LOG_LINES = 50  # one line per trigger at start, up to this many


def config_trigger_specs(cfg: LoadedConfig) -> dict[str, TriggerSpec]:
    """The ``triggers:`` section of ``cfg`` as scheduler specs (payload = step inputs)."""
    out: dict[str, TriggerSpec] = {}
    for name, t in cfg.triggers.items():
        payload = {step: dict(params) for step, params in t.inputs.items()}
        if t.type == "cron":
            out[name] = TriggerSpec(
                name=name,
                dag_nsref=t.dag,
                cron=t.cron,
                timezone=t.timezone,
                catchup=t.catchup,
                catchup_window=(
                    timedelta(seconds=t.catchup_window) if t.catchup_window is not None else None
                ),
                catchup_cap=t.catchup_cap,
                overlap=t.overlap,
                payload=payload,
                enabled=t.enabled,
            )
        else:
            out[name] = TriggerSpec(
                name=name,
                dag_nsref=t.dag,
                type=t.type,
                catchup_cap=EVENT_QUEUE_CAP,
                overlap=t.overlap,
                payload=payload,
                enabled=t.enabled,
                source=event_source_options(t, cfg.base_dir),
            )
    return out


class TriggerDiff:
    """Trigger names added, changed and removed between two sets of specs."""

    __slots__ = ("added", "changed", "removed")

    def __init__(self, old: dict[str, TriggerSpec], new: dict[str, TriggerSpec]) -> None:
        self.added = sorted(n for n in new if n not in old)
        self.removed = sorted(n for n in old if n not in new)
        self.changed = sorted(n for n in new if n in old and new[n] != old[n])


class ConfigTriggers(TriggerManager):
    """A ``TriggerManager`` over a config snapshot (``lythonic.declarative.LoadedConfig``).

    Runs of ``triggers:`` entries go through ``LoadedConfig.run``: the DAG's
    own ``inputs`` overlaid with the trigger's, its ``max_concurrency``, and
    the snapshot's revision recorded with the run. A payload given to
    ``fire`` has the same shape as a trigger's ``inputs``
    (``{"step": {"param": value}}``).
    """

    def __init__(
        self,
        snapshot: LoadedConfig,
        store: TriggerStore,
        provenance: ProvenanceStore | None = None,
        *,
        clock: Clock | None = None,
        misfire_grace: float = 60.0,
        executor: Executor | None = None,
    ) -> None:
        super().__init__(
            snapshot.namespace,
            store,
            provenance,
            clock=clock,
            misfire_grace=misfire_grace,
            config_revision=snapshot.revision,
            run_dag=self._run_config_dag,
            around_tick=self._log_tick,
        )
        self.snapshot = snapshot
        self.executor = executor
        """Runs the sync steps of this manager's runs (None: the default thread pool)."""
        self.on_late: Callable[[Any], Any] | None = None
        """Told (with the run summary) of each run that passes its DAG's ``sla``."""
        self._own = config_trigger_specs(snapshot)

    def specs(self) -> dict[str, TriggerSpec]:
        """The namespace entries' triggers and the ``triggers:`` section, by name."""
        out = super().specs()
        for name, spec in self._own.items():
            if name in out:
                raise TriggerConfigError(
                    f"trigger name {name!r} is used by a namespace entry and in `triggers:`"
                )
            out[name] = spec
        return out

    def swap(self, snapshot: LoadedConfig) -> TriggerDiff:
        """Run ``snapshot`` from now on: activate its triggers, stop scheduling removed ones.

        Call it on the event loop. Raises ``TriggerConfigError`` (and keeps the
        old snapshot) when the new triggers cannot be scheduled.
        """
        old_specs = self.specs()
        old = (self.snapshot, self.namespace, self.config_revision, self._own)
        self.snapshot, self.namespace = snapshot, snapshot.namespace
        self.config_revision, self._own = snapshot.revision, config_trigger_specs(snapshot)
        try:
            new_specs = self.specs()
        except TriggerConfigError:
            self.snapshot, self.namespace, self.config_revision, self._own = old
            raise
        self.activate_configured()
        diff = TriggerDiff(old_specs, new_specs)
        if diff.removed:
            store = self.store
            gone: dict[str, float | None] = dict.fromkeys(diff.removed)
            written = store.awrite(lambda cur: store.set_next_runs(cur, gone))
            # A failure is logged by the store; mark it seen so asyncio does not warn.
            written.add_done_callback(lambda f: f.cancelled() or f.exception())
        return diff

    def input_problem(self, spec: TriggerSpec, inputs: dict[str, dict[str, Any]]) -> str | None:
        """Why ``inputs`` (an event's rendered step inputs) cannot be given to the steps of
        the trigger's DAG (no such step or parameter, a value of the wrong type), or None."""
        from lythonic.compose.nodes import accepts_any_kwarg, node_params
        from lythonic.declarative._inputs import input_mismatch

        try:
            dag = self.snapshot.get_dag(spec.dag_nsref)
        except KeyError:
            return f"DAG '{spec.dag_nsref}' is not in the config"
        for step, params in inputs.items():
            node = dag.nodes.get(step)
            if node is None or node.kind != "node":
                return f"DAG '{spec.dag_nsref}' has no step '{step}' that takes inputs"
            declared = {p.name: p.annotation for p in node_params(node.ns_node)}
            for param, value in params.items():
                if param not in declared:
                    if accepts_any_kwarg(node.ns_node):
                        continue
                    return f"step '{step}' has no parameter '{param}'"
                problem = input_mismatch(declared[param], value)
                if problem is not None:
                    return f"input {step}.{param}: {problem}"
        return None

    # -- runs ---------------------------------------------------------------

    async def _log_tick(
        self, tick: Tick, run_tick: Callable[[Tick], Awaitable[TickOutcome]]
    ) -> TickOutcome:
        started = time.perf_counter()
        revision = self.config_revision
        # Each tick runs in a task of its own (the scheduler starts one per tick), so
        # the binding lives exactly as long as the tick, without a reset to pay for.
        structlog.contextvars.bind_contextvars(trigger=tick.spec.name)
        # One INFO line per run (its end): a burst of 1,000 ticks logs 1,000 lines,
        # each about 30 us on the event loop, after the runs have started.
        if _level.isEnabledFor(logging.DEBUG):
            log.debug("run starting", **_where(tick, revision))
        outcome = await run_tick(tick)
        where = _where(tick, revision)
        level = "info" if outcome.status in ("completed", "no_data") else "warning"
        getattr(log, level)(
            "run finished",
            **where,
            status=outcome.status,
            error=outcome.error,
            seconds=round(time.perf_counter() - started, 3),
        )
        return outcome

    async def _run_config_dag(self, request: DagRunRequest) -> DagRunResult:
        """Runs of ``triggers:`` entries go through the snapshot (its inputs, limits
        and revision); a namespace entry's trigger runs as the manager would."""
        if request.trigger not in self._own:
            if self.executor is None:
                return await run_with_runner(request)
            from lythonic.compose.run import DagRunner

            dag = request.dag
            return await DagRunner(dag, request.provenance, executor=self.executor).run(
                source_inputs=dag.kwargs_to_inputs(request.payload),
                dag_nsref=request.dag_nsref,
                run_id=request.run_id,
                scheduled_at=request.scheduled_at,
                config_revision=request.config_revision,
            )
        return await self.snapshot.run(
            request.dag_nsref,
            request.payload,
            executor=self.executor,
            provenance=request.provenance,
            trigger=request.trigger,
            on_late=self.on_late,
            run_id=request.run_id,
            scheduled_at=request.scheduled_at,
        )


def _where(tick: Tick, revision: str | None) -> dict[str, str | None]:
    """The fields of a tick's log lines."""
    return {
        "run_id": tick.run_id,
        "dag": tick.spec.dag_nsref,
        "scheduled_at": tick.scheduled_at.isoformat(),
        "revision": revision,
    }


def next_fire_fields(when: datetime | None) -> dict[str, str | None]:
    """``next_utc`` and ``next_local`` (this machine's time zone) of a fire time."""
    if when is None:
        return {"next_utc": None, "next_local": None}
    return {
        "next_utc": when.astimezone(UTC).isoformat(),
        "next_local": when.astimezone().isoformat(),
    }


def log_schedule(
    manager: ConfigTriggers, activation: TriggerActivationResult, revision: str
) -> None:
    """Log each trigger (up to 50) with its next fire in UTC and local time, then a summary."""
    specs = manager.specs()
    now = datetime.now(UTC)
    names = sorted(specs)
    for i, name in enumerate(names):
        if i == _SCHEDULE_LOG_LINES:
            log.info("more triggers scheduled; `lyth status` lists them", count=len(names) - i)
            break
        spec = specs[name]
        where = {"trigger": name, "dag": spec.dag_nsref}
        if name in activation.left_disabled:
            log.info("trigger disabled", **where)
        elif spec.type == "file":
            log.info("trigger watches a directory", **where, path=(spec.source or {}).get("path"))
        elif spec.type == "webhook":
            log.info("trigger waits for webhook calls", **where, url=f"/hooks/{name}")
        elif spec.schedule is None or not spec.scheduled:
            log.info("trigger fires on demand only (`lyth fire`)", **where)
        else:
            log.info(
                "trigger scheduled",
                **where,
                cron=spec.cron,
                timezone=spec.timezone,
                **next_fire_fields(spec.schedule.next_after(now)),
            )
    log.info(
        "daemon running",
        revision=revision,
        triggers=len(specs),
        active=len(activation.activated),
        disabled=len(activation.left_disabled),
    )
