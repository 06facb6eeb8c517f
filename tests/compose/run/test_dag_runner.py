"""DagRunner: concurrency, dispatch, composites, failures, retries, timeouts, pause."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from lythonic.compose.dag_provenance import NullProvenance
from lythonic.compose.dag_runner import DagPause, DagRunner, DagRunResult
from lythonic.compose.executor import Executor, LocalExecutor
from lythonic.compose.log_context import get_node_run_context
from lythonic.compose.namespace import Dag, DagContext, Namespace, inline
from tests.compose import nodes_sample as s


class RecordingStore(NullProvenance):
    """A ProvenanceStore double that keeps the runner's calls in memory."""

    enabled = True  # type: ignore[assignment]

    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []

    def begin_run(self, run_id: str, dag_nsref: str, inputs: Mapping[str, Any], **kw: Any) -> None:
        self.events.append(("begin", dag_nsref, kw.get("parent_run_id"), run_id))

    def node_started(self, run_id: str, label: str, inputs: Any, **kw: Any) -> None:
        self.events.append(("start", label, kw.get("attempt")))

    def node_completed(
        self, run_id: str, label: str, output: Any, edges: Sequence[tuple[str, str]]
    ) -> None:
        self.events.append(("done", label, output, tuple(edges)))

    def node_failed(self, run_id: str, label: str, error: str, *, attempt: int = 1) -> None:
        self.events.append(("failed", label, attempt))

    def node_paused(self, run_id: str, label: str) -> None:
        self.events.append(("paused", label))

    def end_run(
        self, run_id: str, status: str, sink_outputs: Any = None, error: str | None = None
    ) -> None:
        self.events.append(("end", run_id, status))

    def of(self, kind: str) -> list[tuple[Any, ...]]:
        return [e for e in self.events if e[0] == kind]


# -- node functions ---------------------------------------------------------


async def source(x: int) -> int:
    return x


async def slow_a(x: int) -> float:
    await asyncio.sleep(0.2)
    return x * 1.5


async def slow_b(x: int) -> str:
    await asyncio.sleep(0.2)
    return str(x)


async def join(a: float, b: str) -> str:
    return f"{a}|{b}"


def split(text: str) -> list[str]:
    return text.split(",")


def upper(t: str) -> str:
    return t.upper()


def join_all(values: list[str]) -> str:
    return "|".join(values)


def explode(t: str) -> list[str]:
    return [t, t]


def fail_all(values: list[str]) -> str:
    raise RuntimeError(f"intentional failure {values}")


def where(x: int) -> str:
    return threading.current_thread().name


@inline
def where_inline(x: int) -> str:
    return threading.current_thread().name


async def where_async(x: int) -> str:
    return threading.current_thread().name


def where_ctx(ctx: DagContext, x: int) -> str:
    return f"{threading.current_thread().name}:{ctx.node_label}"


def single(fn: Any, label: str | None = None) -> Dag:
    dag = Dag()
    dag.node(fn, label=label)
    return dag


def chain(*fns: Any) -> Dag:
    dag = Dag()
    prev = dag.node(fns[0])
    for fn in fns[1:]:
        cur = dag.node(fn)
        prev >> cur
        prev = cur
    return dag


# -- basics -------------------------------------------------------------------


async def test_linear_run_with_source_inputs_and_nsref() -> None:
    """source_inputs feed the source; outputs hold the sinks."""
    dag = chain(split, join_all)
    result = await DagRunner(dag).run(source_inputs={"split": {"text": "a,b"}}, dag_nsref="t:p")
    assert isinstance(result, DagRunResult)
    assert (result.status, result.outputs, result.failed_node, result.error) == (
        "completed",
        {"join_all": "a|b"},
        None,
        None,
    )


async def test_dag_call_maps_kwargs_to_sources() -> None:
    """await dag(**kwargs) passes each kwarg to the sources that take it."""
    assert (await chain(split, join_all)(text="x,y")).outputs == {"join_all": "x|y"}


async def test_inputs_reach_non_source_nodes() -> None:
    """Inputs for a non-source node fill parameters its upstreams do not."""

    def scale(values: list[str], times: int) -> str:
        return ",".join(values) * times

    dag = chain(split, scale)
    result = await DagRunner(dag).run(source_inputs={"split": {"text": "a"}, "scale": {"times": 3}})
    assert result.outputs == {"scale": "aaa"}


async def test_independent_branches_overlap() -> None:
    """Two 0.2 s branches finish in about 0.2 s, not 0.4 s."""
    dag = Dag()
    src = dag.node(source)
    src >> [dag.node(slow_a), dag.node(slow_b)] >> dag.node(join)
    t0 = time.perf_counter()
    result = await dag(x=3)
    elapsed = time.perf_counter() - t0
    assert result.outputs == {"join": "4.5|3"}
    assert elapsed < 0.35, elapsed


async def test_max_concurrency_bounds_a_run() -> None:
    """max_concurrency=1 runs the two branches one after the other."""
    dag = Dag()
    src = dag.node(source)
    src >> [dag.node(slow_a), dag.node(slow_b)] >> dag.node(join)
    t0 = time.perf_counter()
    result = await DagRunner(dag, max_concurrency=1).run(source_inputs={"source": {"x": 1}})
    assert result.status == "completed" and time.perf_counter() - t0 >= 0.39
    with pytest.raises(ValueError, match="at least 1"):
        DagRunner(dag, max_concurrency=0)


async def test_run_never_raises_for_a_node_failure() -> None:
    """A raising node ends the run failed, naming the node and the short error."""
    result = await DagRunner(chain(split, fail_all)).run(source_inputs={"split": {"text": "a"}})
    assert result.status == "failed" and result.failed_node == "fail_all"
    assert result.error == "RuntimeError: intentional failure ['a']" and result.outputs == {}


async def test_failure_cancels_running_siblings() -> None:
    """When one branch fails, a sibling still running is cancelled, not orphaned."""
    cancelled = asyncio.Event()

    async def lingering(x: int) -> int:
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return x

    async def quick_fail(x: int) -> int:
        await asyncio.sleep(0.01)
        raise ValueError("boom")

    dag = Dag()
    src = dag.node(source)
    src >> [dag.node(lingering), dag.node(quick_fail)]
    t0 = time.perf_counter()
    result = await dag(x=1)
    assert result.failed_node == "quick_fail" and cancelled.is_set()
    assert time.perf_counter() - t0 < 1


async def test_missing_source_input_is_named() -> None:
    """A source without its required input fails with a message saying how to pass it."""
    result = await chain(split, join_all)()
    assert result.failed_node == "split"
    assert result.error == (
        "node 'split' needs input 'text': pass it in source_inputs={'split': {'text': ...}} "
        "or as a keyword of dag(...)"
    )


async def test_unfed_parameter_fails_that_node() -> None:
    """A non-source node whose required parameter nothing feeds fails clearly."""

    def needs(values: list[str], other: int) -> str:
        return "x"

    result = await chain(split, needs)(text="a")
    assert result.failed_node == "needs" and "required parameter 'other'" in (result.error or "")


async def test_ambiguous_wiring_fails_before_any_node_runs() -> None:
    """Two int upstreams into one int parameter are an error, never a silent list."""
    ran: list[str] = []

    def one() -> int:
        ran.append("one")
        return 1

    def two() -> int:
        return 2

    def add(v: int) -> int:
        return v

    dag = Dag()
    dag.node(one) >> dag.node(add)
    dag.node(two) >> dag.nodes["add"]
    result = await dag()
    assert result.status == "failed" and result.failed_node == "add" and ran == []
    assert "could take the value of 'one' or 'two'" in (result.error or "")


async def test_cycle_fails_the_run() -> None:
    """A cyclic DAG fails with the cycle named instead of 'completing' having run nothing."""
    dag = Dag()
    a, b = dag.node(upper, label="a"), dag.node(upper, label="b")
    a >> b
    b >> a
    result = await dag()
    assert result.status == "failed" and result.error == "DAG contains a cycle: a >> b >> a"


async def test_store_errors_do_not_escape() -> None:
    """Even a broken provenance store ends as a failed result, not an exception."""

    class Broken(RecordingStore):
        def node_completed(self, *a: Any, **k: Any) -> None:
            raise OSError("disk full")

    result = await DagRunner(chain(split, join_all), provenance=Broken()).run(
        source_inputs={"split": {"text": "a"}}
    )
    assert result.status == "failed" and "disk full" in (result.error or "")


# -- dispatch -------------------------------------------------------------------


async def test_thread_and_loop_placement() -> None:
    """Sync nodes run in worker threads; @inline and async nodes on the loop thread."""
    dag = Dag()
    for fn in (where, where_inline, where_async, where_ctx):
        dag.node(fn)
    result = await dag(x=1)
    loop_thread = threading.current_thread().name
    assert result.outputs["where"] != loop_thread
    assert result.outputs["where_inline"] == loop_thread
    assert result.outputs["where_async"] == loop_thread
    thread_name, label = result.outputs["where_ctx"].rsplit(":", 1)
    assert thread_name != loop_thread and label == "where_ctx"


async def test_log_context_reaches_every_kind_of_node(caplog: pytest.LogCaptureFixture) -> None:
    """run id and node label are visible to sync, inline and async nodes alike."""
    seen: dict[str, tuple[str, str]] = {}

    def look(x: int) -> int:
        ctx = get_node_run_context()
        assert ctx is not None
        seen["sync"] = (ctx.run_id, ctx.node_label)
        return x

    @inline
    def look_inline(x: int) -> int:
        ctx = get_node_run_context()
        assert ctx is not None
        seen["inline"] = (ctx.run_id, ctx.node_label)
        return x

    async def look_async(x: int) -> int:
        await asyncio.sleep(0)
        ctx = get_node_run_context()
        assert ctx is not None
        seen["async"] = (ctx.run_id, ctx.node_label)
        return x

    dag = Dag()
    dag.node(look)
    dag.node(look_inline)
    dag.node(look_async)
    result = await dag(x=1)
    assert seen == {
        "sync": (result.run_id, "look"),
        "inline": (result.run_id, "look_inline"),
        "async": (result.run_id, "look_async"),
    }
    assert get_node_run_context() is None


async def test_context_variables_do_not_leak_between_nodes() -> None:
    """Each node runs in its own copy of the caller's contextvars."""
    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="caller")

    @inline
    def setter(x: int) -> int:
        var.set("node")
        return x

    @inline
    def getter(v: int) -> str:
        return var.get()

    result = await chain(setter, getter)(x=1)
    assert result.outputs == {"getter": "caller"} and var.get() == "caller"


async def test_custom_executor_runs_sync_nodes() -> None:
    """Sync calls go through the runner's executor."""

    class Counting(LocalExecutor):
        calls = 0

        def submit(
            self, fn: Any, kwargs: Mapping[str, Any], *, context: contextvars.Context
        ) -> asyncio.Future[Any]:
            Counting.calls += 1
            return super().submit(fn, kwargs, context=context)

    result = await DagRunner(chain(split, join_all), executor=Counting(max_workers=2)).run(
        source_inputs={"split": {"text": "a,b"}}
    )
    # The two chained sync steps reach the executor as one call (a segment).
    assert result.outputs == {"join_all": "a|b"} and Counting.calls == 1
    assert issubclass(Counting, Executor)


async def test_dag_context_injection_and_subclass_fields() -> None:
    """DagContext subclasses get their extra fields from run(context=...)."""
    dag = single(s.tenant_scaled)
    result = await DagRunner(dag).run(
        source_inputs={"tenant_scaled": {"value": 2.0}}, context={"tenant": "acme"}
    )
    assert result.outputs == {"tenant_scaled": "acme:4.0"}

    class Strict(DagContext):
        region: str

    def strict_node(ctx: Strict, x: int) -> str:
        return ctx.region

    ns = Namespace()
    node = ns.register(strict_node, nsref="t:strict")
    node._ctx_type = Strict  # annotations of a local class cannot be resolved; set what they say
    dag = Dag()
    dag.node(node)
    failed = await DagRunner(dag).run(source_inputs={"strict": {"x": 1}})
    assert failed.status == "failed" and "region" in (failed.error or "")
    assert "context=" in (failed.error or "")
    ok = await DagRunner(dag).run(source_inputs={"strict": {"x": 1}}, context={"region": "eu"})
    assert ok.outputs == {"strict": "eu"}


# -- composites -----------------------------------------------------------------


async def test_map_flattens_lists_and_keeps_order() -> None:
    """Map results are in element order; list results flatten into one list."""
    sub = single(explode)
    dag = Dag()
    dag.node(split) >> dag.map(sub, label="twice") >> dag.node(join_all)
    assert (await dag(text="a,b")).outputs == {"join_all": "a|a|b|b"}


async def test_map_over_empty_list_and_dict() -> None:
    """An empty list maps to []; a dict maps to {str(key): result}."""

    def empty(text: str) -> list[str]:
        return []

    def regions(text: str) -> dict[Any, str]:
        return {"us": text, 2: text + "!"}

    dag = Dag()
    dag.node(empty) >> dag.map(single(upper), label="m")
    assert (await dag(text="x")).outputs == {"m": []}
    dag = Dag()
    dag.node(regions) >> dag.map(single(upper), label="m")
    assert (await dag(text="x")).outputs == {"m": {"us": "X", "2": "X!"}}


async def test_map_concurrency_bound_is_respected() -> None:
    """No more than `concurrency` elements are in flight at once."""
    current = peak = 0

    async def tracked(t: str) -> str:
        nonlocal current, peak
        current += 1
        peak = max(peak, current)
        await asyncio.sleep(0.01)
        current -= 1
        return t

    dag = Dag()
    dag.node(split) >> dag.map(single(tracked), label="m", concurrency=3)
    result = await dag(text=",".join("abcdefghij"))
    assert result.outputs["m"] == list("abcdefghij") and peak == 3


async def test_failing_map_item_cancels_siblings() -> None:
    """One failing element fails the map and cancels the elements still running."""
    cancelled: list[str] = []

    async def item(t: str) -> str:
        if t == "bad":
            await asyncio.sleep(0.01)
            raise ValueError("bad item")
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            cancelled.append(t)
            raise
        return t

    dag = Dag()
    dag.node(split) >> dag.map(single(item), label="m")
    t0 = time.perf_counter()
    result = await dag(text="a,bad,c")
    assert result.failed_node == "m"
    assert result.error == "Sub-DAG [m[1]] failed: ValueError: bad item"
    assert sorted(cancelled) == ["a", "c"] and time.perf_counter() - t0 < 1


async def test_bad_map_input() -> None:
    """A map fed something other than a list or dict fails naming what it got."""

    def number(x: int) -> int:
        return x

    dag = Dag()
    dag.node(number) >> dag.map(single(upper), label="m")
    result = await dag(x=1)
    assert result.failed_node == "m"
    assert result.error == "TypeError: MapNode 'm' received int, expected list or dict"


async def test_composite_with_wrong_upstream_count_fails_cleanly() -> None:
    """Zero or two upstream edges into a composite end as a failed result."""
    dag = Dag()
    dag.map(single(upper), label="m")
    result = await dag()
    assert result.failed_node == "m"
    assert result.error == "CompositeDagNode 'm' must have exactly one upstream edge, found 0"
    two = Dag()
    [two.node(split), two.node(explode)] >> two.node(single(upper), label="c")
    assert "found 2" in ((await two(text="a", t="b")).error or "")


async def test_call_node_runs_once() -> None:
    """A CallNode runs its sub-DAG once with the upstream value."""
    dag = Dag()
    dag.node(split) >> dag.node(join_all) >> dag.node(single(upper), label="shout")
    assert (await dag(text="a,b")).outputs == {"shout": "A|B"}


async def test_switch_routes_without_mutating_the_upstream_value() -> None:
    """The '__switch__' key picks the branch; the upstream's dict is left unchanged."""
    seen: dict[str, Any] = {}

    def route(kind: str) -> dict[str, Any]:
        value = {"__switch__": kind, "text": "hi"}
        seen["value"] = value
        return value

    def loud(data: dict[str, Any]) -> str:
        return data["text"].upper() + str(sorted(data))

    def quiet(data: dict[str, Any]) -> str:
        return data["text"]

    dag = Dag()
    dag.node(route) >> dag.switch({"loud": loud, "quiet": quiet}, label="sw")
    assert (await dag(kind="loud")).outputs == {"sw": "HI['text']"}
    assert seen["value"] == {"__switch__": "loud", "text": "hi"}
    unknown = await dag(kind="other")
    assert unknown.failed_node == "sw"
    assert "no branch for label 'other'. Available: ['loud', 'quiet']" in (unknown.error or "")


async def test_switch_pairs_and_map_switch() -> None:
    """(label, data) pairs route; map over a switch flattens; bad input is named."""

    def even(x: int) -> str:
        return f"even {x}"

    def odd(x: int) -> list[str]:
        return [f"odd {x}"]

    def pairs(n: int) -> list[tuple[str, int]]:
        return [("even" if i % 2 == 0 else "odd", i) for i in range(n)]

    def not_pair(n: int) -> int:
        return n

    dag = Dag()
    dag.node(pairs) >> dag.map(dag.switch([even, odd], label="sw"), label="each")
    assert (await dag(n=3)).outputs == {"each": ["even 0", "odd 1", "even 2"]}
    store = RecordingStore()
    await DagRunner(dag, provenance=store).run(source_inputs={"pairs": {"n": 2}}, dag_nsref="t:ms")
    assert [e[1] for e in store.of("begin")] == ["t:ms", "t:ms/each[0:even]", "t:ms/each[1:odd]"]
    bad = Dag()
    bad.node(not_pair) >> bad.switch([even, odd], label="sw")
    assert "requires upstream to provide a LabelSwitch" in ((await bad(n=1)).error or "")


async def test_child_runs_are_named_and_linked() -> None:
    """Child runs get paths label[i], label[] and label[branch] and their parent's run id."""
    store = RecordingStore()
    dag = Dag()
    (
        dag.node(split)
        >> dag.map(single(upper), label="m")
        >> dag.node(join_all)
        >> dag.node(single(upper), label="c")
    )
    result = await DagRunner(dag, provenance=store).run(
        source_inputs={"split": {"text": "a,b"}}, dag_nsref="t:x"
    )
    begins = store.of("begin")
    assert [b[1] for b in begins] == ["t:x", "t:x/m[0]", "t:x/m[1]", "t:x/c[]"]
    assert all(b[2] == result.run_id for b in begins[1:]) and begins[0][2] is None
    edges = {e[1]: e[3] for e in store.of("done")}
    assert edges["split"] == (("split", "m"),) and edges["join_all"] == (("join_all", "c"),)


async def test_sub_dags_see_the_parent_namespace() -> None:
    """Nodes inside a map can reach the registering namespace through their context."""

    def lookup(ctx: DagContext, t: str) -> str:
        return ctx.ns_call("util:shout", t)

    ns = Namespace()
    ns.register(upper, nsref="util:shout")
    dag = Dag()
    dag.node(split) >> dag.map(single(lookup), label="m")
    ns.register(dag, nsref="p:main")
    result = await ns.get("p:main")(text="a,b")
    assert result.status == "completed" and result.outputs == {"m": ["A", "B"]}


# -- retries, timeouts, cancellation ---------------------------------------------


async def test_retries_with_backoff_and_attempt_in_context() -> None:
    """A flaky node is retried; its context reports the attempt; the store sees each one."""
    attempts: list[int] = []

    async def flaky(ctx: DagContext, x: int) -> int:
        attempts.append(ctx.attempt)
        if ctx.attempt < 3:
            raise ConnectionError("flaky")
        return x

    dag = Dag()
    dag.node(flaky, retries=2, retry_backoff=0.001)
    store = RecordingStore()
    result = await DagRunner(dag, provenance=store).run(source_inputs={"flaky": {"x": 7}})
    assert result.outputs == {"flaky": 7} and attempts == [1, 2, 3]
    assert store.of("failed") == [("failed", "flaky", 1), ("failed", "flaky", 2)]
    assert [e[2] for e in store.of("start")] == [1, 2, 3]


async def test_retries_run_out() -> None:
    """After the last attempt the node fails with its own error."""
    calls = 0

    def always(x: int) -> int:
        nonlocal calls
        calls += 1
        raise ValueError("nope")

    dag = Dag()
    dag.node(always, retries=1, retry_backoff=0)
    result = await dag(x=1)
    assert (result.failed_node, result.error, calls) == ("always", "ValueError: nope", 2)


async def test_timeout_fails_the_node_and_retry_config_comes_from_the_namespace() -> None:
    """A timeout (from the node config) cancels the attempt and names the limit."""
    cancelled = asyncio.Event()

    async def hang(x: int) -> int:
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return x

    from lythonic.compose.namespace import NsNodeConfig

    ns = Namespace()
    node = ns.register(hang, nsref="t:hang", config=NsNodeConfig(nsref="t:hang", timeout=0.05))
    dag = Dag()
    dag.node(node)
    t0 = time.perf_counter()
    result = await dag(x=1)
    assert result.error == "node 'hang' timed out after 0.05s (attempt 1 of 1)"
    assert cancelled.is_set() and time.perf_counter() - t0 < 1


async def test_timeout_of_a_sync_node() -> None:
    """A sync node over its timeout fails the run without waiting for the thread."""

    def sleepy(x: int) -> int:
        time.sleep(0.3)
        return x

    dag = Dag()
    dag.node(sleepy, timeout=0.05)
    t0 = time.perf_counter()
    result = await dag(x=1)
    assert result.status == "failed" and "timed out after 0.05s" in (result.error or "")
    assert time.perf_counter() - t0 < 0.25


async def test_cancelling_run_leaves_no_orphan_tasks() -> None:
    """Cancelling the task that awaits run() cancels every node task it started."""
    started = asyncio.Event()
    cancelled: list[str] = []

    async def long(x: int) -> int:
        started.set()
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            cancelled.append("long")
            raise
        return x

    dag = Dag()
    dag.node(long)
    dag.node(long, label="long2")
    store = RecordingStore()
    task = asyncio.create_task(
        DagRunner(dag, provenance=store).run(source_inputs={"long": {"x": 1}, "long2": {"x": 2}})
    )
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cancelled == ["long", "long"]
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []
    assert store.of("end")[-1][2] == "cancelled"


# -- pause --------------------------------------------------------------------------


async def test_pause_from_a_node() -> None:
    """DagPause stops the run as paused; downstream nodes do not run."""
    ran: list[str] = []

    def pauser(values: list[str]) -> list[str]:
        raise DagPause()

    def after(values: list[str]) -> str:
        ran.append("after")
        return "x"

    store = RecordingStore()
    result = await DagRunner(chain(split, pauser, after), provenance=store).run(
        source_inputs={"split": {"text": "a"}}
    )
    assert (result.status, result.failed_node, result.outputs, ran) == ("paused", None, {}, [])
    assert store.of("paused") == [("paused", "pauser")] and store.of("end")[-1][2] == "paused"


async def test_external_pause_stops_after_running_nodes() -> None:
    """runner.pause() lets the running node finish and starts nothing new."""
    runner: DagRunner
    ran: list[str] = []

    async def first(x: int) -> int:
        runner.pause()
        await asyncio.sleep(0.01)
        ran.append("first")
        return x

    async def second(x: int) -> int:
        ran.append("second")
        return x

    runner = DagRunner(chain(first, second))
    result = await runner.run(source_inputs={"first": {"x": 1}})
    assert result.status == "paused" and ran == ["first"]
    again = await runner.run(source_inputs={"first": {"x": 1}})  # a new run starts unpaused
    assert again.status == "paused"  # `first` pauses it again, by design of this test


async def test_pause_inside_a_sub_dag_pauses_the_parent() -> None:
    """A map element raising DagPause pauses the whole run instead of failing it."""

    def maybe_pause(t: str) -> str:
        if t == "b":
            raise DagPause()
        return t

    dag = Dag()
    dag.node(split) >> dag.map(single(maybe_pause), label="m") >> dag.node(join_all)
    result = await dag(text="a,b")
    assert result.status == "paused" and result.failed_node is None


async def test_external_pause_reaches_child_runs() -> None:
    """runner.pause() also stops map elements that have not started yet."""
    runner: DagRunner
    seen: list[str] = []

    async def element(t: str) -> str:
        seen.append(t)
        if t == "a":
            runner.pause()
        await asyncio.sleep(0)
        return t

    def chain_in_sub() -> Dag:
        sub = Dag()
        sub.node(element) >> sub.node(upper)
        return sub

    dag = Dag()
    dag.node(split) >> dag.map(chain_in_sub(), label="m", concurrency=1)
    runner = DagRunner(dag)
    result = await runner.run(source_inputs={"split": {"text": "a,b,c"}})
    assert result.status == "paused" and seen == ["a"]


def test_runner_logs_failures_with_context(caplog: pytest.LogCaptureFixture) -> None:
    """A node failure is logged at ERROR naming node and run."""
    with caplog.at_level(logging.ERROR, logger="lythonic.compose.dag_runner"):
        result = asyncio.run(chain(split, fail_all)(text="z"))
    assert any(
        f"Node 'fail_all' failed in run {result.run_id}" in r.getMessage() for r in caplog.records
    )


# -- review regressions: cancellation before a task's first step, starvation ---------


async def test_synchronous_map_failure_cancels_started_elements() -> None:
    """An element failing before it awaits still cancels the elements already suspended."""
    events: list[str] = []

    async def element(x: int) -> int:
        if x == 3:
            raise ValueError("bad 3")
        try:
            await asyncio.sleep(0.3)
        except asyncio.CancelledError:
            events.append(f"cancelled {x}")
            raise
        events.append(f"finished {x}")
        return x

    def ten() -> list[int]:
        return list(range(10))

    store = RecordingStore()
    dag = Dag()
    dag.node(ten) >> dag.map(single(element), label="m")
    result = await DagRunner(dag, provenance=store).run()
    assert result.error == "Sub-DAG [m[3]] failed: ValueError: bad 3"
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []
    assert sorted(events) == ["cancelled 0", "cancelled 1", "cancelled 2"]
    ends = {e[1]: e[2] for e in store.of("end")}
    assert "running" not in ends.values() and len(ends) == 5  # parent + 4 children


async def test_synchronous_failure_cancels_a_suspended_sibling() -> None:
    """A sibling that suspended before another node failed runs its cleanup."""
    events: list[str] = []

    async def waits(x: int) -> int:
        try:
            await asyncio.sleep(0.3)
        except asyncio.CancelledError:
            events.append("cancelled")
            raise
        finally:
            events.append("finally")
        return x

    @inline
    def fails(x: int) -> int:
        raise ValueError("now")

    dag = Dag()
    src = dag.node(source)
    src >> dag.node(waits)
    src >> dag.node(fails)
    result = await dag(x=1)
    assert result.failed_node == "fails" and events == ["cancelled", "finally"]


async def test_cheap_work_does_not_starve_the_event_loop() -> None:
    """A long map of nodes that never suspend still lets timers and timeouts run."""

    async def square(x: int) -> int:
        return x * x

    def many() -> list[int]:
        return list(range(20_000))

    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0)
            ticks += 1

    dag = Dag()
    dag.node(many) >> dag.map(single(square), label="m")
    task = asyncio.create_task(ticker())
    result = await dag()
    task.cancel()
    assert result.status == "completed" and ticks >= 20_000 // 256 - 1

    slow = Dag()
    slow.node(many) >> slow.map(single(square), label="m", timeout=0.001)
    timed_out = await slow()
    assert timed_out.status == "failed" and "timed out" in (timed_out.error or "")


async def test_system_exit_in_a_node_fails_the_run() -> None:
    """sys.exit() inside a node is a node failure, not the end of the process."""

    @inline
    def leaves(x: int) -> int:
        raise SystemExit(4)

    store = RecordingStore()
    result = await DagRunner(single(leaves), provenance=store).run(
        source_inputs={"leaves": {"x": 1}}
    )
    assert result.status == "failed" and result.error == "SystemExit: 4"
    assert store.of("end")[-1][2] == "failed"


def test_keyboard_interrupt_records_the_run_and_propagates() -> None:
    """Ctrl-C inside a node ends the run as cancelled in the store, then propagates."""

    @inline
    def interrupted(x: int) -> int:
        raise KeyboardInterrupt

    store = RecordingStore()
    with pytest.raises(KeyboardInterrupt):
        asyncio.run(
            DagRunner(single(interrupted), provenance=store).run(
                source_inputs={"interrupted": {"x": 1}}
            )
        )
    assert store.of("end")[-1][2] == "cancelled"


async def test_changed_options_take_effect_on_the_next_run() -> None:
    """Setting node.retries after a run is used by the next run (the plan is rebuilt)."""
    calls = 0

    def flaky(x: int) -> int:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise ValueError("flaky")
        return x

    dag = Dag()
    node = dag.node(flaky)
    assert (await dag(x=1)).status == "failed" and calls == 1
    node.retries, node.retry_backoff = 2, 0
    assert (await dag(x=1)).status == "completed" and calls == 3


async def test_partial_keywords_are_never_overwritten() -> None:
    """A keyword a functools.partial binds keeps its value; a default is not fed twice."""
    import functools

    def two() -> int:
        return 2

    def add(a: int, b: int) -> int:
        return a + b

    def scaled(x: int, factor: int = 10) -> int:
        return x * factor

    dag = Dag()
    dag.node(two) >> dag.node(functools.partial(add, b=10), label="add")
    assert (await dag()).outputs == {"add": 12}
    dag = Dag()
    dag.node(two) >> dag.node(scaled)
    assert (await dag()).outputs == {"scaled": 20}


async def test_pause_reaches_every_run_of_a_runner() -> None:
    """runner.pause() pauses all runs in progress on that runner, not only the latest."""
    started = asyncio.Event()
    count = 0

    async def waits(x: int) -> int:
        nonlocal count
        count += 1
        if count == 2:
            started.set()
        await asyncio.sleep(0.05)
        return x

    runner = DagRunner(chain(waits, upper_int))
    first = asyncio.create_task(runner.run(source_inputs={"waits": {"x": 1}}))
    second = asyncio.create_task(runner.run(source_inputs={"waits": {"x": 2}}))
    await started.wait()
    runner.pause()
    assert [r.status for r in await asyncio.gather(first, second)] == ["paused", "paused"]


def upper_int(x: int) -> str:
    return str(x)
