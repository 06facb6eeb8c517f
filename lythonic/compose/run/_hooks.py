"""Run hooks: ``on_failure``, ``on_success`` and ``on_late`` functions told about a run.

A hook is a plain function (sync or async) taking one ``RunSummary``. Hooks run
after the run is on record, each with a timeout; a hook that raises or times
out is logged and changes nothing about the run.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from lythonic._events import event
from lythonic._public import publish

__all__ = ["HOOK_TIMEOUT", "FailedStep", "RunSummary", "run_hooks", "watched_run"]

log = logging.getLogger("lythonic.compose.dag_runner")

HOOK_TIMEOUT = 30.0
"""Seconds a hook may take before it is given up on (and logged)."""


@dataclass(frozen=True)
class FailedStep:
    """A step of the run that did not complete, with its one-line error."""

    step: str
    error: str | None
    attempt: int = 1


@dataclass(frozen=True)
class RunSummary:
    """What a hook is told about a run (``to_dict()`` for JSON).

    ``late``: the run was still going, or had not completed, ``sla`` seconds
    after ``scheduled_at`` (or its start when nothing scheduled it).
    """

    run_id: str
    dag: str
    status: str
    trigger: str | None = None
    scheduled_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None
    failed_steps: list[FailedStep] = field(default_factory=list)
    late: bool = False
    sla: float | None = None
    config_revision: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("scheduled_at", "started_at", "finished_at"):
            value = data[key]
            data[key] = value.isoformat() if value is not None else None
        return data


async def run_hooks(
    kind: str,
    hooks: Sequence[Callable[[RunSummary], Any]],
    summary: RunSummary,
    *,
    limit: float = HOOK_TIMEOUT,
) -> None:
    """Call each hook with ``summary`` (a sync one in a worker thread), at most
    ``limit`` seconds each; failures are logged, never raised."""
    for hook in hooks:
        name = getattr(hook, "__qualname__", repr(hook))
        try:
            if inspect.iscoroutinefunction(hook):
                await asyncio.wait_for(hook(summary), limit)
            else:
                await asyncio.wait_for(asyncio.to_thread(hook, summary), limit)
        except TimeoutError:
            log.error(
                "%s hook %s of run %s timed out after %ss",
                kind,
                name,
                summary.run_id,
                limit,
                extra=event("hook_timed_out", hook=name, kind=kind, run_id=summary.run_id),
            )
        except Exception as exc:
            log.error(
                "%s hook %s of run %s raised %s: %s",
                kind,
                name,
                summary.run_id,
                type(exc).__name__,
                exc,
                extra=event(
                    "hook_failed",
                    hook=name,
                    kind=kind,
                    run_id=summary.run_id,
                    error=f"{type(exc).__name__}: {exc}",
                ),
            )


publish("lythonic.compose.dag_runner", RunSummary, FailedStep)


def _failed_steps(store: Any, result: Any) -> list[FailedStep]:
    rows: list[dict[str, Any]] = []
    getter = getattr(store, "get_node_executions", None)
    if getter is not None and getattr(store, "enabled", False):
        try:
            rows = getter(result.run_id)
        except Exception:  # a store that cannot answer: the result still names the step
            rows = []
    steps = [
        FailedStep(r["node_label"], r.get("error"), r.get("attempt") or 1)
        for r in rows
        if r.get("status") == "failed"
    ]
    if not steps and result.failed_node:
        steps = [FailedStep(result.failed_node, result.error)]
    return steps


async def watched_run(
    runner: Any,
    inputs: Any,
    name: str,
    run_options: dict[str, Any],
    *,
    hooks: dict[str, Callable[[RunSummary], Any]],
    sla: float | None = None,
    trigger: str | None = None,
) -> Any:
    """``runner.run(...)`` with its hooks: ``on_late`` once when the run passes ``sla``
    seconds after its scheduled time (or start) without having completed, then
    ``on_failure`` or ``on_success`` once it is on record. Returns the run's result."""
    from datetime import UTC, timedelta
    from datetime import datetime as _dt

    from lythonic.compose.run._ids import new_run_id

    run_id = run_options.setdefault("run_id", new_run_id())
    started = _dt.now(UTC)
    base = run_options.get("scheduled_at") or started
    base = base if base.tzinfo else base.replace(tzinfo=UTC)
    task = asyncio.ensure_future(runner.run(source_inputs=inputs, dag_nsref=name, **run_options))

    def summary(status: str, result: Any = None, late: bool = False) -> RunSummary:
        return RunSummary(
            run_id=run_id,
            dag=name,
            status=status,
            trigger=trigger,
            scheduled_at=run_options.get("scheduled_at"),
            started_at=started,
            finished_at=_dt.now(UTC) if result is not None else None,
            error=getattr(result, "error", None),
            failed_steps=_failed_steps(runner.provenance, result) if result is not None else [],
            late=late,
            sla=sla,
            config_revision=run_options.get("config_revision"),
        )

    async def tell_late(status: str, result: Any = None) -> None:
        log.warning(
            "run %s of %s is late (sla %ss)",
            run_id,
            name,
            sla,
            extra=event("run_late", run_id=run_id, dag=name, trigger=trigger, sla=sla),
        )
        if "on_late" in hooks:
            await run_hooks("on_late", [hooks["on_late"]], summary(status, result, late=True))

    late = False
    try:
        if sla is not None:
            wait = (base + timedelta(seconds=sla) - _dt.now(UTC)).total_seconds()
            done, _ = await asyncio.wait({task}, timeout=max(0.0, wait))
            if not done:
                late = True
                await tell_late("running")
        result = await task
    except asyncio.CancelledError:
        task.cancel()
        raise
    if (
        sla is not None
        and not late
        and result.status != "completed"
        and _dt.now(UTC) >= base + timedelta(seconds=sla)
    ):
        late = True
        await tell_late(result.status, result)
    kind = {"failed": "on_failure", "completed": "on_success"}.get(result.status)
    if kind is not None and kind in hooks:
        await run_hooks(kind, [hooks[kind]], summary(result.status, result, late))
    return result
