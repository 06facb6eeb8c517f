"""One run of one DAG: the scheduler behind ``DagRunner``.

A node starts as soon as every upstream has a value. Async node coroutines
are stepped directly: one that finishes without suspending never becomes a
Task (the common case for cheap nodes, and most of the engine's speed); one
that suspends is handed to a Task and runs concurrently with its siblings.
Sync nodes go to the executor (a thread pool by default), ``@inline`` ones
run on the loop. Each node runs in its own copy of the caller's contextvars,
holding its ``NodeRunContext``.

Failure, pause and cancellation all end the same way: no new node starts,
whatever is in flight is cancelled (failure) or finishes (pause), and the run
ends with one final status.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import traceback
from collections import deque
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from lythonic._events import event
from lythonic._log_context import NodeRunContext, _current
from lythonic.compose.nodes._context import DagContext, DagPath
from lythonic.compose.provenance import RunStatus
from lythonic.compose.provenance._store import ProvenanceStore
from lythonic.compose.run._code import code_json
from lythonic.compose.run._composite_runs import MISSING, YIELD_EVERY, CompositeRuns
from lythonic.compose.run._errors import (
    ChildPaused,
    DagPause,
    NodeInputError,
    NodeTimeout,
    SubDagFailed,
    short_error,
    user_traceback,
)
from lythonic.compose.run._executor import default_executor
from lythonic.compose.run._outcome import Outcome, RunSettings
from lythonic.compose.run._plan import (
    ASYNC,
    INLINE,
    PLAIN,
    THREAD,
    DagPlan,
    NodePlan,
    call_mode,
    plan_for,
)
from lythonic.compose.run._stepping import Ready, drive

if TYPE_CHECKING:
    from lythonic.compose.nodes import DagShape as Dag
    from lythonic.compose.nodes import Registry as Namespace
    from lythonic.compose.run._executor import Executor

__all__ = ["dag_hash", "execute_run"]

log = logging.getLogger("lythonic.compose.dag_runner")


def _set_node_context(ctx: NodeRunContext) -> None:
    _current.set(ctx)


class _Run(CompositeRuns):
    """The state of one execution of a plan."""

    def __init__(
        self,
        settings: RunSettings,
        plan: DagPlan,
        run_id: str,
        dag_nsref: str,
        inputs: Mapping[str, Mapping[str, Any]],
        namespace: Namespace | None,
        prefilled: Mapping[str, Any] | None = None,
        parent_run_id: str | None = None,
        resumed: bool = False,
    ) -> None:
        self.settings = settings
        self.plan = plan
        self.run_id = run_id
        self.dag_nsref = dag_nsref
        self.inputs = inputs
        dag = plan.dag
        self.namespace = dag.parent_namespace if dag.parent_namespace is not None else namespace
        self.prefilled = prefilled
        self.parent_run_id = parent_run_id
        self.resumed = resumed
        self.prov: ProvenanceStore | None = (
            settings.provenance if settings.provenance.enabled else None
        )
        self.outputs: list[Any] = []
        self.in_flight: dict[asyncio.Future[Any], int] = {}
        self.done: deque[asyncio.Future[Any]] = deque()
        self.waiter: asyncio.Future[None] | None = None
        self.stopping = False
        self.failed: tuple[str, str] | None = None
        self.paused = False
        self.attempts: dict[str, int] = {}  # the attempt a retried node is on
        self.segments: dict[asyncio.Future[Any], _Segment] = {}  # chain steps in one hop

    # -- the scheduling loop ----------------------------------------------

    def _begin(self) -> None:
        if self.prov is not None:
            extra: dict[str, Any] = {}
            if getattr(self.prov, "records_code", False):
                extra["code_json"] = code_json(self.plan, dag_hash(self.plan))
            self.prov.begin_run(
                self.run_id,
                self.dag_nsref,
                self.inputs,
                parent_run_id=self.parent_run_id,
                initiator=self.settings.initiator,
                dag_hash=dag_hash(self.plan),
                config_revision=self.settings.config_revision,
                resumed=self.resumed,
                **extra,
            )

    async def execute(self) -> Outcome:
        prov = self.prov
        self._begin()
        plan = self.plan
        if plan.errors:
            label, message = plan.errors[0]
            log.error(
                "Run %s of %s cannot start: %s",
                self.run_id,
                self.dag_nsref,
                message,
                extra=self._event("run_cannot_start", label, error=message),
            )
            return self._finish_failed(label, message, message)
        timeout = self.settings.timeout if self.parent_run_id is None else None
        try:
            if timeout is None:
                await self._loop()
            else:
                async with asyncio.timeout(timeout):
                    await self._loop()
        except TimeoutError:  # the run's own deadline (a step's error never gets here)
            self._cancel_in_flight()
            if self.in_flight:
                await asyncio.gather(*self.in_flight, return_exceptions=True)
            message = f"run timed out after {timeout:g}s"
            log.error(
                "Run %s of %s timed out",
                self.run_id,
                self.dag_nsref,
                extra=self._event("run_timed_out", "", error=message),
            )
            return self._finish_failed("", message, None)
        except asyncio.CancelledError:
            self._cancel_in_flight()
            if self.in_flight:
                await asyncio.gather(*self.in_flight, return_exceptions=True)
            if prov is not None:
                prov.end_run(self.run_id, "cancelled", None, "cancelled")
            raise
        except KeyboardInterrupt:
            self._cancel_in_flight()  # the loop is going down: no awaiting here
            if prov is not None:
                prov.end_run(self.run_id, "cancelled", None, "interrupted by the user")
            raise
        return self._conclude()

    def _conclude(self) -> Outcome:
        """The run's steps are done (or it stopped): record and return how it ended."""
        if self.failed is not None:
            label, error = self.failed
            return self._finish_failed(label, error, None)
        plan, outputs = self.plan, self.outputs
        sinks = {plan.nodes[i].label: outputs[i] for i in plan.sinks if outputs[i] is not MISSING}
        status: RunStatus = "paused" if self.paused else "completed"
        if self.prov is not None:
            self.prov.end_run(self.run_id, status, sinks)
        return Outcome(self.run_id, status, sinks)

    def _finish_failed(self, label: str, error: str, traceback_text: str | None) -> Outcome:
        if self.prov is not None:
            if traceback_text is not None:
                self.prov.node_failed(self.run_id, label, traceback_text)
            self.prov.end_run(self.run_id, "failed", None, error)
        return Outcome(self.run_id, "failed", {}, failed_node=label, error=error)

    async def _loop(self) -> None:
        plan = self.plan
        nodes = plan.nodes
        outputs = self.outputs = [MISSING] * len(nodes)
        remaining = [np.n_upstream for np in nodes]
        ready: deque[int] = deque()
        if self.prefilled:
            prefilled = self.prefilled
            for i in plan.order:
                np = nodes[i]
                if np.label in prefilled:
                    outputs[i] = prefilled[np.label]
                    for d in np.downstream:
                        remaining[d] -= 1
                    if self.prov is not None and not self.resumed:  # a replay reuses it
                        edges = [e for e in np.out_edges if e[1] not in prefilled]
                        self.prov.node_skipped(self.run_id, np.label, outputs[i], edges)
            ready.extend(i for i in plan.order if outputs[i] is MISSING and remaining[i] == 0)
        else:
            ready.extend(plan.sources)
        limit = self.settings.max_concurrency
        in_flight, done = self.in_flight, self.done
        on_done = self._on_done
        watched: set[asyncio.Future[Any]] = set()
        streak = 0
        while True:
            while ready and not self.stopping and (limit is None or len(in_flight) < limit):
                i = ready.popleft()
                try:
                    finished, value = self._start(nodes[i])
                except (Exception, SystemExit) as exc:  # a node calling sys.exit() failed
                    self._node_error(nodes[i], exc)
                    continue
                if finished:
                    self._complete(nodes[i], value, ready, remaining)
                    streak += 1
                    if streak >= YIELD_EVERY:
                        streak = 0
                        await self._breathe()
                else:
                    in_flight[value] = i
            if not in_flight:
                return
            if len(in_flight) == 1 and not watched:
                # One call in flight (a chain): await it directly, no callbacks.
                fut = next(iter(in_flight))
                try:
                    await fut
                except BaseException:
                    task = asyncio.current_task()
                    if not fut.done() or (task is not None and task.cancelling()):
                        raise
                done.append(fut)
            else:
                for fut in in_flight:
                    if fut not in watched:
                        watched.add(fut)
                        fut.add_done_callback(on_done)
                if not done:
                    self.waiter = asyncio.get_running_loop().create_future()
                    await self.waiter
            while done:
                fut = done.popleft()
                watched.discard(fut)
                i = in_flight.pop(fut)
                if self.segments:
                    segment = self.segments.pop(fut, None)
                    if segment is not None:
                        self._segment_done(fut, segment, ready, remaining)
                        continue
                if fut.cancelled():
                    if not self.stopping:
                        self._node_error(nodes[i], asyncio.CancelledError("node was cancelled"))
                    continue
                error = fut.exception()
                if error is not None:
                    self._node_error(nodes[i], error)
                else:
                    self._complete(nodes[i], fut.result(), ready, remaining)

    async def _breathe(self) -> None:
        """Cheap nodes finish without suspending: every so often, let the loop run
        (timers, cancellation, other runs) and let a congested store catch up."""
        if self.prov is not None and self.prov.congested():
            await self.prov.aflush()
        else:
            await asyncio.sleep(0)

    def _on_done(self, fut: asyncio.Future[Any]) -> None:
        self.done.append(fut)
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _complete(self, np: NodePlan, value: Any, ready: deque[int], remaining: list[int]) -> None:
        self.outputs[np.index] = value
        if self.prov is not None:
            self.prov.node_completed(self.run_id, np.label, value, np.out_edges)
        self._advance(np, ready, remaining)

    def _advance(self, np: NodePlan, ready: deque[int], remaining: list[int]) -> None:
        """``np`` completed: its downstream nodes whose inputs are all there are ready."""
        for d in np.downstream:
            remaining[d] -= 1
            if remaining[d] == 0:
                ready.append(d)
        if self.settings.pause_requested and not self.stopping:
            self.stopping = self.paused = True

    def _node_error(self, np: NodePlan, exc: BaseException) -> None:
        if isinstance(exc, DagPause | ChildPaused):
            if self.prov is not None:
                self.prov.node_paused(self.run_id, np.label)
            self.stopping = True
            if self.failed is None:
                self.paused = True
            return
        if self.failed is not None:
            return  # the first failure names the run's failure; later ones are fallout
        error = short_error(exc)
        attempt = self.attempts.get(np.label, 1)
        if not isinstance(exc, SubDagFailed):  # a child run logged its own step's failure
            # One line at ERROR; at DEBUG the user's frames too (the whole traceback is
            # recorded by the store). Our own errors say all there is.
            tb = None
            if log.isEnabledFor(logging.DEBUG) and not isinstance(
                exc, NodeTimeout | NodeInputError
            ):
                tb = user_traceback(exc.__traceback__)
            log.error(
                "Node '%s' failed in run %s: %s",
                np.label,
                self.run_id,
                error,
                exc_info=None if tb is None else (type(exc), exc, tb),
                extra=self._event("node_failed", np.label, attempt=attempt, error=error),
            )
        if self.prov is not None:
            text = "".join(traceback.format_exception(exc))
            self.prov.node_failed(self.run_id, np.label, text, attempt=attempt)
        self.failed = (np.label, error)
        self.paused = False
        self.stopping = True
        self._cancel_in_flight()

    def _record_start(self, np: NodePlan, kwargs: Mapping[str, Any], attempt: int) -> None:
        """Record that an attempt of ``np`` starts with ``kwargs`` (any thread)."""
        if self.prov is not None:
            self.prov.node_started(
                self.run_id,
                np.label,
                kwargs,
                is_source=np.is_source,
                is_sink=np.is_sink,
                attempt=attempt,
            )

    def _event(self, name: str, node: str, **fields: Any) -> dict[str, Any]:
        """A log record's ``extra``: event ``name`` about step ``node`` of this run."""
        return event(
            name,
            run_id=self.run_id,
            dag=self.dag_nsref,
            node=node,
            parent_run_id=self.parent_run_id,
            **fields,
        )

    def _cancel_in_flight(self) -> None:
        for fut in self.in_flight:
            fut.cancel()
            segment = self.segments.get(fut)
            if segment is not None:
                segment.cancelled = True  # its worker starts no further step

    # -- chains of sync steps in one worker hop ---------------------------------

    def _segment(
        self, np: NodePlan, fn: Any, ctx_type: Any, ctx_param: str
    ) -> list[tuple[NodePlan, Any, Any, str]] | None:
        """``np`` and the chain steps after it that may run in the same worker call:
        sync functions on threads, without timeout or retries, each fed only by the
        one before it (``NodePlan.chain_next``). None when ``np`` stands alone."""
        steps = [(np, fn, ctx_type, ctx_param)]
        nxt = np.chain_next
        nodes = self.plan.nodes
        while nxt is not None:
            step = nodes[nxt]
            f, mode, ct, cp = self._resolve(step)
            if mode != THREAD:
                break
            steps.append((step, f, ct, cp))
            nxt = step.chain_next
        return steps if len(steps) > 1 else None

    def _run_segment(self, segment: _Segment) -> int:
        """In a worker: run the segment's steps in order, recording each as it goes;
        how many completed. A failure is kept in ``segment.error``; a run that stops
        (a failure elsewhere, cancellation, a pause) starts no further step."""
        prov, outputs, settings = self.prov, self.outputs, self.settings
        run_id, dag_nsref = self.run_id, self.dag_nsref
        for k, (np, fn, ctx_type, ctx_param) in enumerate(segment.steps):
            try:
                if k == 0:
                    kwargs = segment.kwargs
                else:
                    if segment.cancelled or self.stopping or settings.pause_requested:
                        return k
                    kwargs = self._kwargs(np)
                    self._record_start(np, kwargs, 1)
                    _current.set(
                        NodeRunContext(run_id, np.label, dag_nsref, 1, settings.scheduled_at)
                    )
                    if ctx_type is not None:
                        kwargs = {ctx_param: self._dag_context(ctx_type, np, 1), **kwargs}
                value = fn(**kwargs)
            except BaseException as exc:  # the step's failure (SystemExit included)
                segment.error = exc
                return k
            outputs[np.index] = value
            if prov is not None and not segment.cancelled:
                prov.node_completed(run_id, np.label, value, np.out_edges)
        return len(segment.steps)

    def _segment_done(
        self,
        fut: asyncio.Future[Any],
        segment: _Segment,
        ready: deque[int],
        remaining: list[int],
    ) -> None:
        """On the loop: account for the steps a segment completed (their outputs and
        records are in place), then its failure, if any."""
        steps = segment.steps
        if fut.cancelled():
            if not self.stopping:
                self._node_error(steps[0][0], asyncio.CancelledError("node was cancelled"))
            return
        error = fut.exception()
        if error is not None:  # the executor's own failure: the first step did not run
            self._node_error(steps[0][0], error)
            return
        self._segment_result(segment, fut.result(), ready, remaining)

    def _segment_result(
        self, segment: _Segment, completed: int, ready: deque[int], remaining: list[int]
    ) -> None:
        steps = segment.steps
        for j in range(completed):
            np = steps[j][0]
            if j + 1 < completed:
                remaining[steps[j + 1][0].index] -= 1  # consumed by the segment itself
            else:
                self._advance(np, ready, remaining)
        if segment.error is not None:
            self._node_error(steps[completed][0], segment.error)

    # -- a whole run as one segment (map elements, see CompositeRuns) -----------

    def chain_start(self) -> tuple[contextvars.Context, _Segment] | None:
        """When this run's plan is one chain of sync steps that may share a hop, get
        it ready to run as one segment: the run is recorded as started and its first
        step's arguments and context are prepared. None (and nothing recorded) when
        it must go the ordinary way (``execute``)."""
        plan = self.plan
        if plan.errors or len(plan.sources) != 1 or self.prefilled or self.resumed:
            return None
        nodes = plan.nodes
        self.outputs = [MISSING] * len(nodes)
        first = nodes[plan.sources[0]]
        if first.kind != PLAIN or first.retries or first.timeout is not None:
            return None
        if first.isolation != "thread" or (first.chain_next is None and len(nodes) > 1):
            return None
        try:
            fn, mode, ctx_type, ctx_param = self._resolve(first)
            if mode != THREAD:
                return None
            steps = self._segment(first, fn, ctx_type, ctx_param) or [
                (first, fn, ctx_type, ctx_param)
            ]
            if len(steps) != len(nodes):
                return None
            kwargs = self._kwargs(first)
            shown = kwargs
            if ctx_type is not None:
                kwargs = {ctx_param: self._dag_context(ctx_type, first, 1), **kwargs}
        except Exception:
            return None  # the ordinary way reports it as the run's failure
        self._begin()
        self._record_start(first, shown, 1)
        ctx = contextvars.copy_context()
        ctx.run(
            _set_node_context,
            NodeRunContext(self.run_id, first.label, self.dag_nsref, 1, self.settings.scheduled_at),
        )
        return ctx, _Segment(steps, kwargs)

    def chain_finish(self, segment: _Segment, completed: int) -> Outcome:
        """On the loop, after ``chain_start``'s segment ran: how the run ended."""
        nodes = self.plan.nodes
        self._segment_result(segment, completed, deque(), [np.n_upstream for np in nodes])
        return self._conclude()

    def chain_cancelled(self) -> None:
        """``chain_start``'s segment will not run to its end: the run is cancelled."""
        if self.prov is not None:
            self.prov.end_run(self.run_id, "cancelled", None, "cancelled")

    # -- starting a node ----------------------------------------------------

    def _start(self, np: NodePlan) -> tuple[bool, Any]:
        if np.kind != PLAIN:
            return self._start_composite(np)
        fn, mode, ctx_type, ctx_param = self._resolve(np)
        kwargs = self._kwargs(np)
        self._record_start(np, kwargs, 1)
        ctx = contextvars.copy_context()
        ctx.run(
            _set_node_context,
            NodeRunContext(self.run_id, np.label, self.dag_nsref, 1, self.settings.scheduled_at),
        )
        if ctx_type is not None:
            kwargs = {ctx_param: self._dag_context(ctx_type, np, 1), **kwargs}
        if np.retries or np.timeout is not None:
            return False, asyncio.get_running_loop().create_task(
                self._attempts(np, fn, mode, ctx_type, ctx_param, kwargs), context=ctx
            )
        if mode == ASYNC:
            return drive(fn(**kwargs), ctx)
        if mode == INLINE:
            return True, ctx.run(fn, **kwargs)
        executor = self._executor(np)
        if np.chain_next is not None and executor.in_process:
            steps = self._segment(np, fn, ctx_type, ctx_param)
            if steps is not None:
                segment = _Segment(steps, kwargs)
                fut = executor.submit(self._run_segment, {"segment": segment}, context=ctx)
                self.segments[fut] = segment
                return False, fut
        return False, executor.submit(fn, kwargs, context=ctx)

    def _executor(self, np: NodePlan) -> Executor:
        if np.isolation == "process":
            from lythonic.compose.run._isolation import default_isolation

            return default_isolation()
        executor = self.settings.executor
        if not np.remote and not executor.in_process:
            return default_executor()  # remote: false keeps the step in this process
        return executor

    def _resolve(self, np: NodePlan) -> tuple[Any, int, Any, str]:
        ns_node = np.ns_node
        if self.namespace is not None:
            ns_node = self.namespace.find(np.key) or ns_node
        fn = ns_node._decorated if ns_node._decorated is not None else ns_node.method.o
        cached = np.fn_cache
        if cached is not None and cached[0] is fn:
            return cached[0], cached[1], cached[2][0], cached[2][1]
        ctx_type = ns_node.dag_context_type()
        ctx_param = ""
        if ctx_type is not None:
            import inspect

            ctx_param = next(iter(inspect.signature(ns_node.method.o).parameters))
        np.fn_cache = (fn, call_mode(fn, ns_node.method.o), (ctx_type, ctx_param))
        return fn, np.fn_cache[1], ctx_type, ctx_param

    def _kwargs(self, np: NodePlan) -> dict[str, Any]:
        outputs = self.outputs
        kwargs: dict[str, Any] = {}
        for name, sources, fan_in in np.bindings:
            kwargs[name] = [outputs[s] for s in sources] if fan_in else outputs[sources[0]]
        given = self.inputs.get(np.label)
        if given:
            kwargs.update(given)
        for name in np.required:
            if name not in kwargs:
                raise NodeInputError(_missing_input_message(np, name))
        return kwargs

    def _dag_context(self, ctx_type: type[DagContext], np: NodePlan, attempt: int) -> DagContext:
        values: dict[str, Any] = {
            k: v for k, v in self.settings.context_values.items() if k in ctx_type.model_fields
        }
        values.update(
            dag_nsref=DagPath(self.dag_nsref),
            node_label=np.label,
            run_id=self.run_id,
            namespace=self.namespace,
            attempt=attempt,
            scheduled_at=self.settings.scheduled_at,
        )
        try:
            return ctx_type(**values)
        except ValidationError as e:
            missing = [".".join(map(str, err["loc"])) for err in e.errors()]
            raise NodeInputError(
                f"node '{np.label}' asks for {ctx_type.__name__}, which could not be built "
                f"(fields: {', '.join(missing)}); pass them with context={{...}} to DagRunner.run, restart or replay"
            ) from e

    async def _attempts(
        self,
        np: NodePlan,
        fn: Any,
        mode: int,
        ctx_type: Any,
        ctx_param: str,
        kwargs: dict[str, Any],
    ) -> Any:
        """Call a plain node with its timeout and retries."""

        def start(attempt: int) -> Any:
            nonlocal kwargs
            if attempt > 1:
                _current.set(
                    NodeRunContext(
                        self.run_id, np.label, self.dag_nsref, attempt, self.settings.scheduled_at
                    )
                )
                if ctx_type is not None:
                    kwargs = {**kwargs, ctx_param: self._dag_context(ctx_type, np, attempt)}
                if self.prov is not None:
                    shown = {k: v for k, v in kwargs.items() if not ctx_param or k != ctx_param}
                    self._record_start(np, shown, attempt)
            if mode == ASYNC:
                return fn(**kwargs)
            if mode == INLINE:
                return Ready(fn(**kwargs))
            return self._executor(np).submit(fn, kwargs, context=contextvars.copy_context())

        return await self._retrying(np, start)

    async def _retrying(self, np: NodePlan, start: Any) -> Any:
        """Await ``start(attempt)`` within the node's timeout; retry with exponential backoff."""
        attempt = 1
        while True:
            if attempt > 1:
                self.attempts[np.label] = attempt
            try:
                return await self._bounded(np, start(attempt), attempt)
            except (DagPause, ChildPaused):
                raise
            except Exception as exc:
                if attempt > np.retries:
                    raise
                delay = np.retry_backoff * (2 ** (attempt - 1))
                log.warning(
                    "Node '%s' attempt %d of %d failed (%s); retrying in %.3gs",
                    np.label,
                    attempt,
                    np.retries + 1,
                    short_error(exc),
                    delay,
                    extra=self._event(
                        "node_retry", np.label, attempt=attempt, error=short_error(exc), delay=delay
                    ),
                )
                if self.prov is not None:
                    text = "".join(traceback.format_exception(exc))
                    self.prov.node_failed(self.run_id, np.label, text, attempt=attempt)
                await asyncio.sleep(delay)
                attempt += 1

    @staticmethod
    async def _bounded(np: NodePlan, call: Any, attempt: int) -> Any:
        if isinstance(call, Ready):
            return call.value
        if np.timeout is None:
            return await call
        try:
            async with asyncio.timeout(np.timeout) as scope:
                return await call
        except TimeoutError as e:
            if scope.expired():
                raise NodeTimeout(
                    f"node '{np.label}' timed out after {np.timeout:g}s "
                    f"(attempt {attempt} of {np.retries + 1})"
                ) from e
            raise


class _Segment:
    """Steps of a chain that run in one worker call (``_Run._run_segment``)."""

    __slots__ = ("cancelled", "completed", "error", "kwargs", "steps")

    def __init__(self, steps: list[tuple[NodePlan, Any, Any, str]], kwargs: dict[str, Any]) -> None:
        self.steps = steps
        self.kwargs = kwargs  # the first step's arguments, computed on the loop
        self.cancelled = False
        self.completed = 0  # steps done, when run in a batch (``_run_batch``)
        self.error: BaseException | None = None


def _missing_input_message(np: NodePlan, name: str) -> str:
    if np.is_source:
        return (
            f"node '{np.label}' needs input '{name}': pass it in "
            f"source_inputs={{'{np.label}': {{'{name}': ...}}}} or as a keyword of dag(...)"
        )
    return (
        f"node '{np.label}' got no value for required parameter '{name}': no upstream feeds "
        f"it; wire one (`up >> {np.label}.param('{name}')`) or pass it as an input"
    )


def dag_hash(plan: DagPlan) -> str | None:
    if plan.hash is None:
        try:
            plan.hash = plan.dag.definition_hash()
        except Exception:  # a definition we cannot describe still runs
            plan.hash = ""
    return plan.hash or None


async def execute_run(
    settings: RunSettings,
    dag: Dag,
    run_id: str,
    dag_nsref: str,
    inputs: Mapping[str, Mapping[str, Any]],
    *,
    parent_run_id: str | None = None,
    prefilled: Mapping[str, Any] | None = None,
    resumed: bool = False,
) -> Outcome:
    """Execute ``dag`` once; see ``DagRunner.run``."""
    run = _Run(
        settings, plan_for(dag), run_id, dag_nsref, inputs, None, prefilled, parent_run_id, resumed
    )
    return await run.execute()
