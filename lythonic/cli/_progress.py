"""Progress of a run on a terminal: one line per step of the top-level run.

``ProgressStore`` sits between the runner and the real provenance store:
every event goes on to the store unchanged, and the top-level run's step
events are also reported as lines (``✓ split 0.002s``) to a callback.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from lythonic.compose.provenance import ForwardingStore, ProvenanceStore

__all__ = ["ProgressStore"]


class ProgressStore(ForwardingStore):
    """Forwards to ``inner``; reports the steps of run ``run_id`` to ``report``."""

    def __init__(
        self,
        inner: ProvenanceStore,
        run_id: str,
        report: Callable[[str], None],
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        super().__init__(inner)
        self.run_id = run_id
        self.report = report
        self.clock = clock
        self._started: dict[str, float] = {}
        self._children = 0

    def begin_run(self, run_id: str, dag_nsref: str, inputs: Mapping[str, Any], **kw: Any) -> None:
        if run_id != self.run_id:
            self._children += 1
        super().begin_run(run_id, dag_nsref, inputs, **kw)

    def node_started(self, run_id: str, label: str, inputs: Mapping[str, Any], **kw: Any) -> None:
        if run_id == self.run_id:
            self._started.setdefault(label, self.clock())
            attempt = kw.get("attempt", 1)
            if attempt > 1:
                self.report(f"  ↻ {label}  attempt {attempt}")
        super().node_started(run_id, label, inputs, **kw)

    def node_completed(
        self, run_id: str, label: str, output: Any, edges: Sequence[tuple[str, str]]
    ) -> None:
        if run_id == self.run_id:
            took = self.clock() - self._started.get(label, self.clock())
            self.report(f"  ✓ {label}  {took:.3f}s")
        super().node_completed(run_id, label, output, edges)

    def node_failed(self, run_id: str, label: str, error: str, *, attempt: int = 1) -> None:
        if run_id == self.run_id:
            last = error.strip().splitlines()[-1] if error.strip() else "failed"
            self.report(f"  ✗ {label}  {last}")
        super().node_failed(run_id, label, error, attempt=attempt)

    def node_paused(self, run_id: str, label: str) -> None:
        if run_id == self.run_id:
            self.report(f"  ‖ {label}  paused")
        super().node_paused(run_id, label)

    @property
    def child_runs(self) -> int:
        """Sub-DAG runs (map elements, calls, switch branches) seen so far."""
        return self._children
