"""Running DAGs: ``DagRunner``, its result ``DagRunResult``, and ``DagPause``.

>>> import asyncio
>>> from lythonic.compose.namespace import Dag
>>> def fetch(url: str) -> dict: return {"source": url}
>>> dag = Dag(); _ = dag.node(fetch)
>>> asyncio.run(DagRunner(dag).run(source_inputs={"fetch": {"url": "u"}})).outputs
{'fetch': {'source': 'u'}}
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from lythonic._events import event
from lythonic._public import publish
from lythonic.compose.provenance import NullProvenance, ProvenanceStore, RunStatus, run_initiator
from lythonic.compose.run._ids import new_run_id

if TYPE_CHECKING:
    from lythonic.compose.nodes import DagShape as Dag
    from lythonic.compose.run._executor import Executor
    from lythonic.compose.run._outcome import Outcome, RunSettings
    from lythonic.compose.run._recovery import Recovery

__all__ = ["DagRunResult", "DagRunner", "to_result"]

log = logging.getLogger("lythonic.compose.dag_runner")

_CANCEL_FLUSH_WAIT = 5.0  # seconds a cancelled run waits for its final rows


class _Machinery:
    """The run machinery, loaded with the first runner rather than with this module
    (importing ``lythonic.compose.dag_runner`` stays light); kept here after that,
    as an ``import`` inside a method costs about a microsecond at every call."""

    def __init__(self) -> None:
        from lythonic.compose.run._execution import execute_run
        from lythonic.compose.run._executor import default_executor
        from lythonic.compose.run._outcome import Outcome, RunSettings

        self.execute_run = execute_run
        self.default_executor = default_executor
        self.Outcome = Outcome
        self.RunSettings = RunSettings


@functools.cache
def _machinery() -> _Machinery:
    return _Machinery()


class DagRunResult(BaseModel):
    """How a run ended.

    ``status`` is ``completed``, ``failed`` or ``paused``; ``outputs`` holds
    the values of sink nodes that produced one (partial unless completed);
    ``failed_node`` and ``error`` (a one-line message) say what failed.
    """

    model_config = ConfigDict(defer_build=True)  # built on the first result

    run_id: str
    status: RunStatus
    outputs: dict[str, Any]
    failed_node: str | None = None
    error: str | None = None


class DagRunner:
    """Runs a ``Dag``: nodes start as soon as their inputs are ready.

    ``provenance`` records every run (``NullProvenance`` by default records
    nothing); ``max_concurrency`` bounds the nodes of one run in flight at
    once; ``executor`` runs sync nodes (a thread pool by default); ``timeout``
    (seconds) bounds a whole run: past it, the steps in flight are cancelled
    (a sync step's thread is abandoned) and the run fails as timed out.
    """

    dag: Dag
    provenance: Any

    def __init__(
        self,
        dag: Dag,
        provenance: ProvenanceStore | None = None,
        *,
        max_concurrency: int | None = None,
        executor: Executor | None = None,
        timeout: float | None = None,
    ) -> None:
        if max_concurrency is not None and max_concurrency < 1:
            raise ValueError(f"max_concurrency must be at least 1, got {max_concurrency}")
        if timeout is not None and not timeout > 0:
            raise ValueError(f"timeout must be positive, got {timeout}")
        self.timeout = timeout
        self.dag = dag
        self.provenance = provenance if provenance is not None else NullProvenance()
        self.max_concurrency = max_concurrency
        self._run = _machinery()
        self.executor = executor if executor is not None else self._run.default_executor()
        self._active: list[RunSettings] = []  # the runs in progress on this runner
        self._pause_requested = False

    def pause(self) -> None:
        """Ask the runs in progress to pause: no new node starts, running ones finish."""
        self._pause_requested = True
        for settings in self._active:
            settings.pause_requested = True

    def _new_settings(
        self,
        context: Mapping[str, Any] | None,
        scheduled_at: datetime | None,
        config_revision: str | None,
        initiator: str | None,
    ) -> RunSettings:
        settings = self._run.RunSettings(
            provenance=self.provenance,
            executor=self.executor,
            max_concurrency=self.max_concurrency,
            context_values=dict(context or {}),
            scheduled_at=scheduled_at,
            initiator=initiator if initiator is not None else run_initiator.get(),
            config_revision=config_revision,
            timeout=self.timeout,
        )
        self._pause_requested = False
        return settings

    async def run(
        self,
        source_inputs: Mapping[str, Mapping[str, Any]] | None = None,
        dag_nsref: str | None = None,
        parent_run_id: str | None = None,
        *,
        context: Mapping[str, Any] | None = None,
        run_id: str | None = None,
        scheduled_at: datetime | None = None,
        config_revision: str | None = None,
        initiator: str | None = None,
    ) -> DagRunResult:
        """Run the DAG once and return how it ended; never raises for a node's failure.

        ``source_inputs`` maps node labels to keyword arguments: a source gets
        them as its arguments; any other node gets them on top of what its
        upstreams wire in. ``context`` fills extra fields of a ``DagContext``
        subclass; ``scheduled_at`` reaches nodes as ``DagContext.scheduled_at``.
        """
        settings = self._new_settings(context, scheduled_at, config_revision, initiator)
        outcome = await self._execute(
            settings,
            run_id or new_run_id(),
            dag_nsref or "unknown",
            source_inputs or {},
            parent_run_id=parent_run_id,
        )
        return to_result(outcome)

    async def _execute(
        self,
        settings: RunSettings,
        run_id: str,
        dag_nsref: str,
        inputs: Mapping[str, Mapping[str, Any]],
        **options: Any,
    ) -> Outcome:
        self._active.append(settings)
        try:
            outcome = await self._run.execute_run(
                settings, self.dag, run_id, dag_nsref, inputs, **options
            )
        except asyncio.CancelledError:
            await self._on_record(run_id, shielded=True)
            raise
        except Exception as exc:  # a bug of ours or of a store: still one final state
            log.exception(
                "Run %s of %s failed inside the runner",
                run_id,
                dag_nsref,
                extra=event("run_internal_error", run_id=run_id, dag=dag_nsref, error=str(exc)),
            )
            error = f"internal error: {type(exc).__name__}: {exc}"
            try:
                self.provenance.end_run(run_id, "failed", None, error)
            except Exception:
                log.exception(
                    "Run %s: could not record the failure",
                    run_id,
                    extra=event("run_failure_not_recorded", run_id=run_id),
                )
            outcome = self._run.Outcome(run_id, "failed", {}, error=error)
        finally:
            self._active.remove(settings)
        await self._on_record(run_id)
        return outcome

    async def _on_record(self, run_id: str, *, shielded: bool = False) -> None:
        """Wait until the run and all its steps are committed: once ``run()``,
        ``restart()`` or ``replay()`` returns, any reader (another connection,
        another process) sees the run, and a crash right after loses nothing.
        A store that fails here is logged; the run's result stands."""
        store = self.provenance
        if not store.enabled:
            return
        try:
            if shielded:  # the caller is being cancelled: commit, but do not wait forever
                await asyncio.wait_for(asyncio.shield(store.aflush()), _CANCEL_FLUSH_WAIT)
            else:
                await store.aflush()
        except asyncio.CancelledError:
            if not shielded:
                raise
        except Exception as exc:
            log.error(
                "Run %s could not be recorded: %s",
                run_id,
                exc,
                extra=event("run_not_recorded", run_id=run_id, error=str(exc)),
            )

    async def restart(
        self,
        run_id: str,
        *,
        force: bool = False,
        context: Mapping[str, Any] | None = None,
    ) -> DagRunResult:
        """Continue a paused, failed or interrupted run; completed nodes are not re-run.

        ``context`` fills ``DagContext`` subclass fields again (context values
        are not recorded, they may hold secrets); ``force`` runs even when the
        DAG's definition changed since the run was recorded.
        """
        from lythonic.compose.run._recovery import plan_restart  # loads on first restart

        recovery = await plan_restart(self.provenance, self.dag, run_id, force=force)
        return await self._recover(recovery, context)

    async def replay(
        self,
        run_id: str,
        rerun_nodes: set[str],
        *,
        force: bool = False,
        context: Mapping[str, Any] | None = None,
    ) -> DagRunResult:
        """A new run reusing an earlier run's outputs, except ``rerun_nodes`` and
        everything downstream of them."""
        from lythonic.compose.run._recovery import plan_replay  # loads on first replay

        recovery = await plan_replay(self.provenance, self.dag, run_id, rerun_nodes, force=force)
        return await self._recover(recovery, context)

    async def _recover(self, recovery: Recovery, context: Mapping[str, Any] | None) -> DagRunResult:
        settings = self._new_settings(context, None, recovery.config_revision, recovery.initiator)
        outcome = await self._execute(
            settings,
            recovery.run_id,
            recovery.dag_nsref,
            recovery.inputs,
            prefilled=recovery.prefilled,
            resumed=recovery.resumed,
        )
        return to_result(outcome)


def to_result(outcome: Outcome) -> DagRunResult:
    return DagRunResult(
        run_id=outcome.run_id,
        status=outcome.status,
        outputs=outcome.outputs,
        failed_node=outcome.failed_node,
        error=outcome.error,
    )


publish("lythonic.compose.dag_runner", DagRunResult, DagRunner)
