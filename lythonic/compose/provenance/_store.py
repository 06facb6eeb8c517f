"""The contract between the runner and a run store (provenance).

The runner calls the write methods from the event loop, once per event; an
implementation must return quickly (queue the write, batch the I/O on its
own thread) and must never raise for a value it cannot encode: it records a
placeholder instead. ``NullProvenance`` records nothing; the runner skips the
calls entirely when ``enabled`` is False, so a run without provenance pays
nothing for it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ClassVar

from lythonic._public import publish
from lythonic.compose.provenance._statuses import RunStatus

__all__ = [
    "SCHEDULER",
    "ForwardingStore",
    "NullProvenance",
    "ProvenanceStore",
    "initiated_by",
    "run_initiator",
]

SCHEDULER = "scheduler"
"""The initiator recorded for runs the trigger scheduler starts."""

run_initiator: ContextVar[str | None] = ContextVar("lythonic_run_initiator", default=None)
"""Who starts the runs begun in this context (a user, ``SCHEDULER``, a trigger name)."""


@contextmanager
def initiated_by(initiator: str | None) -> Iterator[None]:
    """Attribute the runs started inside the block to ``initiator``."""
    token = run_initiator.set(initiator)
    try:
        yield
    finally:
        run_initiator.reset(token)


class ProvenanceStore(ABC):
    """Where the runner records runs, node executions and edge traversals.

    Statuses: runs are ``running``, ``completed``, ``failed``, ``paused``,
    ``cancelled`` or ``interrupted``; node executions ``running``,
    ``completed``, ``failed``, ``paused``, ``skipped`` (re-used from an
    earlier run), ``cancelled`` (still running when its run ended failed,
    completed or paused) or ``interrupted`` (its run was cancelled or
    interrupted). Once ``end_run`` is recorded, no node of that run is
    ``running``: a store closes such rows itself.

    Calls come from the event loop, and ``node_started``/``node_completed`` also
    from worker threads: the steps of a chain that run in one worker call (a
    segment) are recorded as they run. A store must accept them from any
    thread, in order per run, without blocking for long.

    A store that keeps history also provides what restart, replay and the
    engine read and maintain (``DagProvenance`` does; they are not abstract
    here so that wrappers can forward them with ``__getattr__``):
    ``get_run(run_id) -> dict | None`` (keys ``status``, ``dag_nsref``,
    ``source_inputs_json``, ``initiated_by``, ``dag_hash``,
    ``config_revision`` …), ``get_node_executions(run_id) -> list[dict]``
    (``node_label``, ``status``, ``output_json`` …),
    ``sweep_interrupted() -> list[str]``, ``prune(older_than_days) -> int``
    and ``close()``.
    """

    enabled: ClassVar[bool] = True

    @abstractmethod
    def begin_run(
        self,
        run_id: str,
        dag_nsref: str,
        inputs: Mapping[str, Any],
        *,
        parent_run_id: str | None = None,
        initiator: str | None = None,
        dag_hash: str | None = None,
        config_revision: str | None = None,
        resumed: bool = False,
    ) -> None:
        """A run starts (``resumed``: an existing run id continues, e.g. a restart)."""

    @abstractmethod
    def node_started(
        self,
        run_id: str,
        label: str,
        inputs: Mapping[str, Any],
        *,
        is_source: bool,
        is_sink: bool,
        attempt: int = 1,
    ) -> None:
        """A node is called with ``inputs`` (its keyword arguments)."""

    @abstractmethod
    def node_completed(
        self, run_id: str, label: str, output: Any, edges: Sequence[tuple[str, str]]
    ) -> None:
        """A node returned ``output``, which crossed ``edges`` (upstream, downstream)."""

    @abstractmethod
    def node_failed(self, run_id: str, label: str, error: str, *, attempt: int = 1) -> None:
        """An attempt of a node failed; ``error`` is the formatted traceback."""

    @abstractmethod
    def node_paused(self, run_id: str, label: str) -> None:
        """A node raised ``DagPause``."""

    @abstractmethod
    def node_skipped(
        self, run_id: str, label: str, output: Any, edges: Sequence[tuple[str, str]] = ()
    ) -> None:
        """A node's output was taken from an earlier run instead of calling it; it
        crosses ``edges`` into the nodes that do run."""

    @abstractmethod
    def end_run(
        self,
        run_id: str,
        status: RunStatus,
        sink_outputs: Mapping[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        """A run ended with ``status``."""

    async def aflush(self) -> None:  # noqa: B027 -- optional hook, a no-op by default
        """Wait until everything recorded so far is durable."""

    def congested(self) -> bool:
        """True when writes are piling up; the runner then awaits ``aflush()`` at its
        next pause point instead of queueing more (the event loop keeps running)."""
        return False


class NullProvenance(ProvenanceStore):
    """Records nothing; every read finds nothing."""

    enabled: ClassVar[bool] = False

    def begin_run(self, run_id: str, dag_nsref: str, inputs: Mapping[str, Any], **_: Any) -> None:
        pass

    def node_started(self, run_id: str, label: str, inputs: Mapping[str, Any], **_: Any) -> None:
        pass

    def node_completed(
        self, run_id: str, label: str, output: Any, edges: Sequence[tuple[str, str]]
    ) -> None:
        pass

    def node_failed(self, run_id: str, label: str, error: str, *, attempt: int = 1) -> None:
        pass

    def node_paused(self, run_id: str, label: str) -> None:
        pass

    def node_skipped(
        self, run_id: str, label: str, output: Any, edges: Sequence[tuple[str, str]] = ()
    ) -> None:
        pass

    def end_run(
        self,
        run_id: str,
        status: RunStatus,
        sink_outputs: Mapping[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        pass

    # The upstream-compatible API, as no-ops.

    def create_run(
        self,
        run_id: str,
        dag_nsref: str,
        source_inputs: dict[str, Any],
        parent_run_id: str | None = None,
        initiator: str | None = None,
    ) -> None:
        pass

    def update_run_status(self, run_id: str, status: str) -> None:
        pass

    def finish_run(self, run_id: str, status: str, sink_outputs_json: str | None = None) -> None:
        pass

    def record_node_start(
        self,
        run_id: str,
        node_label: str,
        input_json: str,
        is_source: bool = False,
        is_sink: bool = False,
    ) -> None:
        pass

    def record_node_complete(self, run_id: str, node_label: str, output_json: str) -> None:
        pass

    def record_node_failed(self, run_id: str, node_label: str, error: str) -> None:
        pass

    def record_node_skipped(self, run_id: str, node_label: str, output_json: str) -> None:
        pass

    def complete_node_with_edges(
        self, run_id: str, node_label: str, output_json: str, edges: list[tuple[str, str]]
    ) -> None:
        pass

    def fail_node_and_finish_run(self, run_id: str, node_label: str, error: str) -> None:
        pass

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        return None

    def get_node_executions(self, run_id: str) -> list[dict[str, Any]]:
        return []

    def get_node_output(self, run_id: str, node_label: str) -> str | None:
        return None

    def get_pending_nodes(self, run_id: str) -> list[str]:
        return []

    def get_edge_traversals(self, run_id: str) -> list[dict[str, Any]]:
        return []

    def inspect_run(self, run_id: str) -> Any:
        return None

    def load_io(self, dag_run: Any, node_labels: Any = None, **_: Any) -> None:
        pass

    def get_recent_runs(self, limit: int = 20, status: str | None = None, **_: Any) -> list[Any]:
        return []

    def get_active_runs(self) -> list[Any]:
        return []

    def get_child_runs(self, parent_run_id: str) -> list[Any]:
        return []

    def child_counts(self, run_id: str) -> dict[str, dict[str, int]]:
        return {}

    def unfinished_child_runs(self, run_id: str, **_: Any) -> list[Any]:
        return []

    def find_run_ids(self, prefix: str, **_: Any) -> list[str]:
        return []

    def sweep_interrupted(self, **_: Any) -> list[str]:
        return []

    def prune(self, older_than_days: float, **filters: Any) -> int:
        return 0

    def close(self) -> None:
        pass


class ForwardingStore(ProvenanceStore):
    """Passes every event on to ``inner``; subclass it to watch or adjust some of them.

    Reads and the other extras of the inner store (``get_run``,
    ``inspect_run``, ``close`` …) are reached through it as well.
    """

    def __init__(self, inner: ProvenanceStore) -> None:
        self.inner = inner

    def begin_run(self, run_id: str, dag_nsref: str, inputs: Mapping[str, Any], **kw: Any) -> None:
        self.inner.begin_run(run_id, dag_nsref, inputs, **kw)

    def node_started(self, run_id: str, label: str, inputs: Mapping[str, Any], **kw: Any) -> None:
        self.inner.node_started(run_id, label, inputs, **kw)

    def node_completed(
        self, run_id: str, label: str, output: Any, edges: Sequence[tuple[str, str]]
    ) -> None:
        self.inner.node_completed(run_id, label, output, edges)

    def node_failed(self, run_id: str, label: str, error: str, *, attempt: int = 1) -> None:
        self.inner.node_failed(run_id, label, error, attempt=attempt)

    def node_paused(self, run_id: str, label: str) -> None:
        self.inner.node_paused(run_id, label)

    def node_skipped(
        self, run_id: str, label: str, output: Any, edges: Sequence[tuple[str, str]] = ()
    ) -> None:
        self.inner.node_skipped(run_id, label, output, edges)

    def end_run(
        self,
        run_id: str,
        status: RunStatus,
        sink_outputs: Mapping[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        self.inner.end_run(run_id, status, sink_outputs, error)

    async def aflush(self) -> None:
        await self.inner.aflush()

    def congested(self) -> bool:
        return self.inner.congested()

    def __getattr__(self, name: str) -> Any:
        if name == "inner":  # not set yet (e.g. while copying): no recursion
            raise AttributeError(name)
        return getattr(self.inner, name)


publish("lythonic.compose.dag_provenance", NullProvenance, initiated_by, ProvenanceStore)
