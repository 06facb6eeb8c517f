"""Running composite nodes: map, call, switch and map-over-switch.

Each element (or branch) is a child run of the same kind as its parent run,
named ``label[i]``, ``label[key]``, ``label[]``, ``label[branch]`` or
``label[i:branch]`` below the parent's DAG path. Child runs share the
parent's settings (store, executor, pause requests) and namespace.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from lythonic.compose.run._errors import ChildPaused, SubDagFailed
from lythonic.compose.run._ids import new_run_id
from lythonic.compose.run._plan import (
    CALL,
    MAP,
    MAP_SWITCH,
    PLAIN,
    SWITCH,
    DagPlan,
    NodePlan,
    plan_for,
)
from lythonic.compose.run._stepping import drive

if TYPE_CHECKING:
    from lythonic.compose.nodes import DagShape as Dag
    from lythonic.compose.nodes import Registry as Namespace
    from lythonic.compose.provenance._store import ProvenanceStore
    from lythonic.compose.run._outcome import Outcome, RunSettings

__all__ = ["DEFAULT_MAP_CONCURRENCY", "YIELD_EVERY", "CompositeRuns", "extract_switch"]

MISSING: Any = object()
DEFAULT_MAP_CONCURRENCY = 256
"""Map elements in flight at once when a map sets no ``concurrency`` of its own."""

YIELD_EVERY = 256
"""After this many nodes (or map elements) that finished without suspending, a
run yields to the event loop once, so timers, cancellation and other runs are
never starved by a long stretch of cheap work."""


class CompositeRuns:
    """The composite-node half of a run (mixed into ``_Run``)."""

    settings: RunSettings
    outputs: list[Any]
    prov: ProvenanceStore | None
    run_id: str
    dag_nsref: str
    namespace: Namespace | None

    _retrying: Any  # the run's retry loop (``_Run._retrying``)
    _breathe: Any  # yields to the event loop (``_Run._breathe``)

    def _start_composite(self, np: NodePlan) -> tuple[bool, Any]:
        value = self.outputs[np.upstream[0]]
        if self.prov is not None:
            self.prov.node_started(
                self.run_id, np.label, value, is_source=np.is_source, is_sink=np.is_sink, attempt=1
            )
        run = {
            MAP: self._run_map,
            CALL: self._run_call,
            SWITCH: self._run_switch,
            MAP_SWITCH: self._run_map_switch,
        }[np.kind]
        if np.timeout is None and not np.retries:
            return drive(run(np, value))
        return drive(self._retrying(np, lambda attempt: run(np, value)))

    def _child(self, sub: Dag, key: str, element: Any) -> Any:
        sub_plan = plan_for(sub)
        inputs = _element_inputs(sub_plan, element)
        run_class: Any = type(self)  # the concrete run class (``_Run``)
        return run_class(
            self.settings,
            sub_plan,
            new_run_id(),
            f"{self.dag_nsref}/{key}",
            inputs,
            self.namespace,
            parent_run_id=self.run_id,
        )

    async def _run_call(self, np: NodePlan, value: Any) -> Any:
        key = f"{np.label}[]"
        outcome = await self._await_child(self._child(np.node.sub_dag, key, value))  # type: ignore[attr-defined]
        return _single_output(outcome, key)

    async def _run_switch(self, np: NodePlan, value: Any) -> Any:
        branch, data = extract_switch(np.label, value)
        sub = _branch(np, branch)
        outcome = await self._await_child(self._child(sub, f"{np.label}[{branch}]", data))
        if outcome.status == "failed":
            raise SubDagFailed(f"Switch branch [{branch}] failed: {outcome.error}")
        return _single_output(outcome, f"{np.label}[{branch}]")

    async def _await_child(self, child: Any) -> Outcome:
        finished, result = drive(child.execute())
        outcome: Outcome = result if finished else await result
        if outcome.status == "paused":
            raise ChildPaused()
        return outcome

    async def _run_map(self, np: NodePlan, value: Any) -> Any:
        sub = np.node.sub_dag  # type: ignore[attr-defined]
        if isinstance(value, list):
            keys: list[Any] = list(range(len(value)))
            elements = value
        elif isinstance(value, dict):
            keys = [str(k) for k in value]
            elements = list(value.values())
        else:
            raise TypeError(
                f"MapNode '{np.label}' received {type(value).__name__}, expected list or dict"
            )
        children = (
            self._child(sub, f"{np.label}[{k}]", e) for k, e in zip(keys, elements, strict=True)
        )
        results = await self._fan_out(np, children, len(elements))
        if isinstance(value, dict):
            return dict(zip(keys, results, strict=True))
        return _flatten(results)

    async def _run_map_switch(self, np: NodePlan, value: Any) -> Any:
        if not isinstance(value, list):
            raise TypeError(
                f"MapSwitchNode '{np.label}' received {type(value).__name__}, expected list"
            )

        def children() -> Generator[Any, None, None]:
            for i, element in enumerate(value):
                branch, data = extract_switch(np.label, element)
                yield self._child(_branch(np, branch), f"{np.label}[{i}:{branch}]", data)

        return _flatten(await self._fan_out(np, children(), len(value)))

    async def _fan_out(self, np: NodePlan, children: Any, count: int) -> list[Any]:
        """Run child runs with the map's concurrency bound; a failure cancels the rest.

        A child whose plan is one chain of sync steps (``chain_start``) needs no
        Task: such children go to the executor in batches, one worker call running
        several elements' chains back to back. The batch size adapts to how long an
        element takes (about 2 ms of work per call, one element when they are slow),
        so slow elements keep running side by side.
        """
        executor = self.settings.executor
        limit = (
            np.node.concurrency  # type: ignore[attr-defined]
            or executor.map_concurrency()
            or DEFAULT_MAP_CONCURRENCY
        )
        results: list[Any] = [MISSING] * count
        pending: dict[asyncio.Future[Any], tuple[int, str]] = {}
        batches: dict[asyncio.Future[Any], list[_Member]] = {}
        batch: list[_Member] = []
        chains = executor.in_process
        timing = _Timing()
        in_flight = 0

        def submit() -> None:
            nonlocal batch
            items, batch = batch, []
            fut = executor.submit(
                _run_batch, {"items": items, "timing": timing}, context=contextvars.copy_context()
            )
            batches[fut] = items

        async def collect() -> None:
            nonlocal in_flight
            done, _ = await asyncio.wait([*pending, *batches], return_when=asyncio.FIRST_COMPLETED)
            failure: BaseException | None = None
            for fut in done:
                if fut in pending:
                    i, key = pending.pop(fut)
                    in_flight -= 1
                    try:
                        results[i] = _child_value(fut.result(), key)
                    except BaseException as exc:
                        failure = failure or exc
                    continue
                items = batches.pop(fut)
                in_flight -= len(items)
                if fut.exception() is not None:  # the executor failed: nothing ran
                    for item in items:
                        item.child.chain_cancelled()
                    failure = failure or fut.exception()
                    continue
                for item in items:  # every element is concluded before any failure counts
                    outcome = item.child.chain_finish(item.segment, item.segment.completed)
                    try:
                        results[item.index] = _child_value(outcome, item.key)
                    except BaseException as exc:
                        failure = failure or exc
            if failure is not None:
                raise failure

        try:
            for i, child in enumerate(children):
                key = child.dag_nsref.rsplit("/", 1)[1]
                started = child.chain_start() if chains else None
                if started is not None:
                    ctx, segment = started
                    batch.append(_Member(i, key, child, ctx, segment))
                    in_flight += 1
                    if len(batch) >= timing.batch_size():
                        submit()
                else:
                    finished, result = drive(child.execute())
                    if finished:
                        results[i] = _child_value(result, key)
                        if i % YIELD_EVERY == YIELD_EVERY - 1:
                            await self._breathe()  # see YIELD_EVERY
                        continue
                    pending[result] = (i, key)
                    in_flight += 1
                while in_flight >= limit:
                    if batch:
                        submit()
                    await collect()
                if (batch or batches) and i % YIELD_EVERY == YIELD_EVERY - 1:
                    await self._breathe()  # the store may need to catch up
            if batch:
                submit()
            while pending or batches:
                await collect()
        except BaseException:
            for fut in pending:
                fut.cancel()
            for items in [*batches.values(), batch]:
                for item in items:
                    item.segment.cancelled = True
            for fut in batches:
                fut.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)
            for items in [*batches.values(), batch]:
                for item in items:
                    item.child.chain_cancelled()
            raise
        return results

    @staticmethod
    async def _collect(
        pending: dict[asyncio.Future[Any], tuple[int, str]], results: list[Any], when: str
    ) -> None:
        done, _ = await asyncio.wait(pending, return_when=when)
        for fut in done:
            i, key = pending.pop(fut)
            results[i] = _child_value(fut.result(), key)


class _Member:
    """One map element that runs as a chain segment inside a batch."""

    __slots__ = ("child", "ctx", "index", "key", "segment")

    def __init__(self, index: int, key: str, child: Any, ctx: contextvars.Context, segment: Any):
        self.index = index
        self.key = key
        self.child = child
        self.ctx = ctx
        self.segment = segment


class _Timing:
    """How long batched elements took, to size the next batches (about 2 ms each)."""

    __slots__ = ("count", "seconds")

    TARGET = 0.002  # seconds of work per worker call
    MAX_BATCH = 64

    def __init__(self) -> None:
        self.seconds = 0.0
        self.count = 0

    def batch_size(self) -> int:
        if not self.count:
            return 1  # nothing known yet: one element per call, as slow ones need
        per_element = self.seconds / self.count
        return max(1, min(self.MAX_BATCH, int(self.TARGET / max(per_element, 1e-9))))


def _run_batch(items: list[_Member], timing: _Timing) -> None:
    """In a worker: run each element's chain in its own context, back to back."""
    started = time.perf_counter()
    done = 0
    for item in items:
        segment = item.segment
        if segment.cancelled:
            segment.completed = 0
            continue
        segment.completed = item.ctx.run(item.child._run_segment, segment)
        done += 1
    timing.seconds += time.perf_counter() - started
    timing.count += done


def _child_value(outcome: Outcome, key: str) -> Any:
    if outcome.status == "paused":
        raise ChildPaused()
    return _single_output(outcome, key)


def _single_output(outcome: Outcome, key: str) -> Any:
    if outcome.status != "completed":
        raise SubDagFailed(f"Sub-DAG [{key}] failed: {outcome.error}")
    return next(iter(outcome.outputs.values())) if outcome.outputs else None


def _flatten(results: list[Any]) -> list[Any]:
    flat: list[Any] = []
    for r in results:
        if isinstance(r, list):
            flat.extend(r)
        else:
            flat.append(r)
    return flat


def _branch(np: NodePlan, branch: str) -> Dag:
    branches: dict[str, Dag] = np.node.branches  # type: ignore[attr-defined]
    try:
        return branches[branch]
    except KeyError:
        raise ValueError(
            f"SwitchNode '{np.label}': no branch for label '{branch}'. "
            f"Available: {sorted(branches)}"
        ) from None


def extract_switch(label: str, value: Any) -> tuple[str, Any]:
    """The branch name and the data a switch routes; ``value`` is left unchanged."""
    if isinstance(value, dict) and "__switch__" in value:
        return str(value["__switch__"]), {k: v for k, v in value.items() if k != "__switch__"}
    if isinstance(value, list | tuple) and len(value) >= 2:
        return str(value[0]), value[1] if len(value) == 2 else value[1:]
    raise TypeError(
        f"SwitchNode '{label}' requires upstream to provide a LabelSwitch: a (label, data) "
        f"pair or a dict with a '__switch__' key. Got {type(value).__name__}"
    )


def _element_inputs(plan: DagPlan, element: Any) -> dict[str, dict[str, Any]]:
    """Inputs of a sub-DAG's single source for one element (upstream's rules)."""
    if not plan.sources:
        return {}
    source = plan.nodes[plan.sources[0]]
    from lythonic.compose.nodes._wiring import node_params

    params = node_params(source.ns_node) if source.kind == PLAIN else []
    if len(params) == 1:
        return {source.label: {params[0].name: element}}
    if isinstance(element, dict):
        return {source.label: element}
    return {source.label: {params[0].name: element}} if params else {}
