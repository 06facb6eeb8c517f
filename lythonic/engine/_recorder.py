"""``EngineRecorder``: the daemon's provenance store, wrapped.

Every event goes on to the real store unchanged, except one: a run that the
daemon cancels because its shutdown grace period is over ends
``interrupted`` (with the reason), not ``cancelled`` as a run someone
cancelled on purpose. ``lyth restart`` continues it like any interrupted
run. The wrapper also counts the top-level runs in flight, so the daemon can
say how many it drained and how many it interrupted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lythonic.compose.provenance import ForwardingStore, ProvenanceStore, RunStatus

__all__ = ["EngineRecorder"]


class EngineRecorder(ForwardingStore):
    """Forwards to ``inner``; see the module docstring."""

    def __init__(self, inner: ProvenanceStore) -> None:
        super().__init__(inner)
        self.in_flight: set[str] = set()
        """Top-level runs begun and not ended yet."""
        self.interrupted: list[str] = []
        """Top-level runs ended ``interrupted`` by ``stop_reason``."""
        self.stop_reason: str | None = None

    def begin_run(self, run_id: str, dag_nsref: str, inputs: Mapping[str, Any], **kw: Any) -> None:
        if kw.get("parent_run_id") is None:
            self.in_flight.add(run_id)
        self.inner.begin_run(run_id, dag_nsref, inputs, **kw)

    def end_run(
        self,
        run_id: str,
        status: RunStatus,
        sink_outputs: Mapping[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        if status == "cancelled" and self.stop_reason is not None:
            status, error = "interrupted", f"interrupted: {self.stop_reason}"
            if run_id in self.in_flight:
                self.interrupted.append(run_id)
        self.in_flight.discard(run_id)
        self.inner.end_run(run_id, status, sink_outputs, error)
