"""``DaskExecutor``: sync steps on a Dask cluster (``pip install lythonic[dask]``).

Calls go to the cluster in batches, one Dask task per batch (a task costs
milliseconds; a step call often microseconds). Two tasks per worker thread
are out at once (one running, one ready behind it; ``max_tasks`` sets
another number): the calls waiting are spread over the room there is, and
while the cluster is full, calls gather here, so the next batch is fuller.
Once call times are known, a batch holds about ``task_seconds`` of work
(1,024 calls at most). Each result is released from the cluster as soon as
it is read. Task keys are unique, so no attempt is ever served from Dask's
result cache.

Each call crosses as its own pickle (the function by reference where it is
importable, by value for ``__main__``; arguments; a header naming the run,
step, attempt and scheduled time), so a call that cannot be pickled fails alone, as does a
call whose step raises. The worker side is ``lythonic._remote_batch``.
Provenance stays in the driver: the runner records exactly what a local run
records. Log records a step emits on a worker come back with its result and
are logged here with its run and step.

Failures: a worker that dies running a batch fails each call in it with
``WorkerLost`` (an attempt, retried by the step's ``retries``); Dask's own
retries are off on a cluster this executor starts. A lost scheduler fails
the calls in flight with ``ExecutorLost``. A call the runner gave up on (a
timeout, a cancelled run) is never sent if it has not been yet; a batch whose
calls were all given up on is cancelled on the cluster.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import logging
import math
import os
import pickle
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from lythonic._log_context import NodeRunContext, _current
from lythonic._public import publish
from lythonic._remote_batch import (
    CallOutcome,
    drop,
    hand_over,
    run_batch,
    run_batch_here,
    take_back,
)
from lythonic.compose.run._executor import Executor
from lythonic.compose.run._isolation import StepProcessError, rebuild, shippable, vars_of

__all__ = ["DaskExecutor", "ExecutorLost", "WorkerLost"]


_SLOTS_EVERY = 5.0  # seconds between counts of the cluster's worker threads


class WorkerLost(RuntimeError):
    """The Dask worker running the step died (or left) before it returned."""


class ExecutorLost(RuntimeError):
    """The Dask scheduler went away; the calls it held have no result."""


class _Call:
    __slots__ = ("blob", "context", "fut", "node")

    def __init__(
        self,
        blob: Any,  # the pickled call; the call itself for a worker in this process
        fut: asyncio.Future[Any],
        context: contextvars.Context,
        node: NodeRunContext | None,
    ) -> None:
        self.blob = blob
        self.fut = fut
        self.context = context
        self.node = node


class _Batch:
    __slots__ = ("calls", "task")

    def __init__(self, calls: list[_Call]) -> None:
        self.calls = calls
        self.task: Any = None  # the Dask future, once sent


class DaskExecutor(Executor):
    """Runs sync step calls on a Dask cluster; see the module docstring.

    ``address`` connects to a running scheduler (``tcp://host:8786``); a
    ``client`` (a ``distributed.Client``) is used as given and not closed;
    with neither, a ``LocalCluster`` of ``workers`` processes (default: one
    per CPU) with one thread each and no dashboard is started and owned
    (``processes=False``: threads of this process, for tests). Close the
    executor when done (``close()`` or ``with``).
    """

    in_process = False

    def __init__(
        self,
        address: str | None = None,
        *,
        client: Any = None,
        workers: int | None = None,
        processes: bool = True,
        task_seconds: float = 0.1,
        max_batch: int = 1024,
        max_tasks: int | None = None,
    ) -> None:
        import dask
        import distributed

        chatty = logging.getLogger("distributed")
        if chatty.level == logging.INFO:  # Dask's default: a line per worker start and stop
            chatty.setLevel(logging.WARNING)

        self._cluster: Any = None
        self._owns_client = client is None
        if client is not None:
            self._client = client
        elif address:
            self._client = distributed.Client(address, set_as_default=False)
        else:
            # Our own cluster: a task whose worker died fails at once (the step's
            # retries decide what happens next), not after Dask tried it elsewhere.
            with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
                self._cluster = distributed.LocalCluster(
                    n_workers=workers or os.cpu_count() or 1,
                    threads_per_worker=1,
                    processes=processes,
                    dashboard_address=None,
                    # No dashboard; the scheduler's health endpoint on a free port (its
                    # default, 8787, is often taken).
                    scheduler_kwargs={"dashboard": False, "dashboard_address": ":0"},
                )
            try:
                self._client = distributed.Client(self._cluster, set_as_default=False)
            except BaseException:
                self._cluster.close()
                raise
        self.address: str = self._client.scheduler.address
        # Workers in this process (an in-process cluster): calls and values pass as
        # objects, as Dask itself passes them there; elsewhere every call is pickled.
        self._here = self.address.startswith("inproc://")
        self.task_seconds = task_seconds
        self.max_batch = max_batch
        self._max_tasks = max_tasks
        self._pending: list[_Call] = []  # calls not sent yet, oldest first
        self._out: set[_Batch] = set()
        self._flush_soon = False
        self._mean: float | None = None  # seconds per call, as measured on the workers
        self._closed = False
        self.tasks_sent = 0
        """Dask tasks sent so far (each a batch of calls)."""
        self._slots = 1
        self._slots_at = 0.0
        self._count_slots()

    # -- sizes ------------------------------------------------------------------

    def slots(self) -> int:
        """Worker threads in the cluster, as last counted (at most ``_SLOTS_EVERY`` ago)."""
        return self._slots

    def _count_slots(self) -> None:
        """Ask the scheduler how many worker threads it has: a round trip, so never on
        the event loop (here at start, then from Dask's callback thread)."""
        self._slots_at = time.monotonic()
        try:
            info = self._client.scheduler_info()
        except Exception:  # the scheduler is gone: the calls in flight will say so
            return
        workers = info.get("workers", {}).values()
        self._slots = max(1, sum(w.get("nthreads", 1) for w in workers))

    def map_concurrency(self) -> int:
        """Elements a map keeps in flight: enough for full batches on every worker."""
        return max(256, min(8192, 4 * self.slots() * 256))

    def _room(self) -> int:
        """Tasks that may go out now: two per worker thread (one running, one ready
        behind it), or ``max_tasks``, less those out."""
        target = self._max_tasks if self._max_tasks is not None else 2 * self.slots()
        return max(0, target - len(self._out))

    def _batch_size(self, n: int, room: int) -> int:
        per = math.ceil(n / room)  # spread what waits over the room there is
        if self._mean is not None and self._mean > 0:
            per = min(per, max(1, int(self.task_seconds / self._mean)))
        return max(1, min(per, self.max_batch))

    # -- the runner's side ----------------------------------------------------

    def submit(
        self,
        fn: Callable[..., Any],
        kwargs: Mapping[str, Any],
        *,
        context: contextvars.Context,
    ) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Any] = loop.create_future()
        if self._closed:
            fut.set_exception(ExecutorLost("the Dask executor is closed"))
            return fut
        node = context.get(_current)
        shipped = kwargs if self._here else shippable(kwargs)
        call = (fn, shipped, vars_of(node) if node is not None else None)
        try:
            blob = call if self._here else _dumps(call)
        except Exception as exc:
            fut.set_exception(_unpicklable(node, exc))
            return fut
        self._pending.append(_Call(blob, fut, context, node))
        if not self._flush_soon:
            self._flush_soon = True
            loop.call_soon(self._flush)
        return fut

    def _flush(self) -> None:
        self._flush_soon = False
        self._send_some()

    def _send_some(self) -> None:
        """Cut batches from the calls waiting, as many as there is room for. While the
        cluster is full, calls keep gathering here: the next batch is a fuller one."""
        room = self._room()
        while room and self._pending:
            calls = [c for c in self._pending if not c.fut.done()]  # given up on: not sent
            if not calls:
                self._pending = []
                return
            per = self._batch_size(len(calls), room)
            self._pending = calls[per:]
            self._send(_Batch(calls[:per]))
            room -= 1

    def _send(self, batch: _Batch) -> None:
        loop = asyncio.get_running_loop()
        key = f"lythonic-{uuid.uuid4().hex}"
        try:
            if self._here:
                hand_over(key, [c.blob for c in batch.calls])
                task = self._client.submit(run_batch_here, key, key=key, pure=False, retries=0)
            else:
                data = pickle.dumps([c.blob for c in batch.calls], protocol=pickle.HIGHEST_PROTOCOL)
                task = self._client.submit(run_batch, data, key=key, pure=False, retries=0)
        except Exception as exc:
            self._fail(batch, ExecutorLost(f"the Dask scheduler at {self.address}: {exc}"))
            return
        batch.task = task
        self._out.add(batch)
        self.tasks_sent += 1
        for call in batch.calls:
            call.fut.add_done_callback(functools.partial(self._given_up, batch))
        task.add_done_callback(lambda t: self._collect(loop, batch, t))

    def _collect(self, loop: asyncio.AbstractEventLoop, batch: _Batch, task: Any) -> None:
        """On a Dask callback thread: fetch the batch's outcomes, hand them to the loop."""
        if time.monotonic() - self._slots_at > _SLOTS_EVERY:
            self._count_slots()  # workers come and go on a cluster
        result: list[CallOutcome] | BaseException
        try:
            got = task.result()
            result = take_back(got) if self._here else pickle.loads(got)
        except BaseException as exc:
            result = self._why(exc)
            if self._here:
                drop(task.key)
        finally:
            task.release()
        # A closed loop: nobody waits for these calls any more.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(self._settle, batch, result)

    def _why(self, exc: BaseException) -> BaseException:
        from distributed.scheduler import KilledWorker

        if isinstance(exc, KilledWorker):
            return WorkerLost(f"the Dask worker running the step died ({exc})")
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "scheduler-connection-lost" in str(exc):
            return ExecutorLost(f"the Dask scheduler at {self.address} was lost during the step")
        if isinstance(exc, asyncio.CancelledError) or "cancel" in type(exc).__name__.lower():
            return ExecutorLost(f"the Dask scheduler at {self.address} dropped the step ({first})")
        return ExecutorLost(f"the Dask cluster at {self.address} failed the step's task: {first}")

    def _settle(self, batch: _Batch, result: list[CallOutcome] | BaseException) -> None:
        self._out.discard(batch)
        if isinstance(result, BaseException):
            self._fail(batch, result)
        else:
            total = 0.0
            for call, (ok, payload, seconds, records) in zip(batch.calls, result, strict=True):
                total += seconds
                if records:
                    call.context.run(_relog, records)
                if call.fut.done():
                    continue
                if ok:
                    try:
                        call.fut.set_result(payload if self._here else pickle.loads(payload))
                    except Exception as exc:
                        call.fut.set_exception(
                            StepProcessError(f"the step's result cannot be loaded here: {exc}")
                        )
                else:
                    call.fut.set_exception(rebuild(*payload))
            mean = total / len(batch.calls)
            self._mean = mean if self._mean is None else 0.7 * self._mean + 0.3 * mean
        self._send_some()

    def _fail(self, batch: _Batch, error: BaseException) -> None:
        for call in batch.calls:
            if not call.fut.done():
                call.fut.set_exception(_copy(error))

    def _given_up(self, batch: _Batch, fut: asyncio.Future[Any]) -> None:
        """A call of a sent batch was cancelled: when none of it is wanted, cancel the task."""
        if not fut.cancelled() or batch.task is None or batch.task.done():
            return
        if all(c.fut.done() for c in batch.calls):
            task, client = batch.task, self._client
            threading.Thread(
                target=lambda: client.cancel([task]), name="lythonic-dask-cancel", daemon=True
            ).start()

    # -- lifecycle --------------------------------------------------------------

    def check(self, modules: list[str]) -> dict[str, dict[str, Any]]:
        """On every worker: its versions and which of ``modules`` it cannot import."""
        from lythonic._remote_batch import check_worker

        result: dict[str, dict[str, Any]] = self._client.run(check_worker, modules)
        return result

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._owns_client:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _dumps(value: Any) -> bytes:
    import cloudpickle  # type: ignore[import-untyped]  # comes with distributed

    blob: bytes = cloudpickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return blob


def _label(node: NodeRunContext | None) -> str:
    return f"step '{node.node_label}'" if node is not None else "the step"


def _unpicklable(node: NodeRunContext | None, error: BaseException) -> Exception:
    return StepProcessError(
        f"{_label(node)} cannot be sent to the Dask cluster: its function or arguments cannot "
        f"be pickled ({error}); use importable functions and picklable values, or set "
        "remote: false on the step"
    )


def _copy(error: BaseException) -> BaseException:
    """One exception object per call: each future keeps its own traceback."""
    return type(error)(*error.args) if isinstance(error, WorkerLost | ExecutorLost) else error


def _relog(records: list[dict[str, Any]]) -> None:
    """Log, here and in the step's context, what the step logged on its worker."""
    node = _current.get()
    where = (
        {"run_id": node.run_id, "node_label": node.node_label, "dag_nsref": node.dag_nsref}
        if node is not None
        else {}
    )
    for r in records:
        if r["pid"] == os.getpid():
            continue  # a worker in this process: the record was logged here already
        logger = logging.getLogger(r["name"])
        if not logger.isEnabledFor(r["levelno"]):
            continue
        record = logging.makeLogRecord(
            {
                **r["extra"],
                **where,
                "name": r["name"],
                "levelno": r["levelno"],
                "levelname": logging.getLevelName(r["levelno"]),
                "msg": r["msg"],
                "created": r["created"],
                "exc_text": r["exc_text"],
                "worker_pid": r["pid"],
            }
        )
        logger.handle(record)


publish("lythonic.compose.executor", DaskExecutor, ExecutorLost, WorkerLost)
