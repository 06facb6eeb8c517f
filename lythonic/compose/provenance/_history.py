"""The read side of a provenance store: what restart, replay, the CLI and the
daemon ask of a store that keeps history.

``ProvenanceStore`` is the write contract the runner calls while a run goes;
``RunHistory`` is what is read back later. ``DagProvenance`` (SQLite) provides
both; another backend (PostgreSQL) implements the same two.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from lythonic.compose.provenance._models import DagRun

__all__ = ["RunHistory"]


@runtime_checkable
class RunHistory(Protocol):
    """Recorded runs, read back and kept tidy."""

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        """The run row as a dict (``status``, ``dag_nsref``, ``dag_hash`` …), or None."""
        ...

    def get_node_executions(self, run_id: str) -> list[dict[str, Any]]:
        """Every node execution row of the run, in the order they started."""
        ...

    def inspect_run(self, run_id: str, *, children: bool = True) -> DagRun | None:
        """The run with its node executions (and child runs), values not loaded."""
        ...

    def load_io(
        self,
        dag_run: DagRun,
        node_labels: Sequence[str] | None = None,
        *,
        max_bytes: int | None = None,
    ) -> None:
        """Fill in the recorded inputs and outputs of ``dag_run``'s nodes."""
        ...

    def get_recent_runs(
        self,
        limit: int = 20,
        status: str | None = None,
        *,
        top_level_only: bool = False,
        dag_nsref: str | None = None,
        children: bool = True,
    ) -> list[DagRun]:
        """The latest runs, newest first."""
        ...

    def get_active_runs(self) -> list[DagRun]:
        """Runs recorded as ``running``."""
        ...

    def child_counts(self, run_id: str) -> dict[str, dict[str, int]]:
        """Per step of the run: how many child runs ended in each status."""
        ...

    def unfinished_child_runs(
        self,
        run_id: str,
        *,
        step: str | None = None,
        key: str | None = None,
        limit: int = 10,
        statuses: Sequence[str] = ("failed",),
    ) -> list[DagRun]:
        """Child runs of ``run_id`` in ``statuses``."""
        ...

    def find_run_ids(self, prefix: str, *, limit: int = 10) -> list[str]:
        """Run ids starting with ``prefix``."""
        ...

    def get_child_runs(self, parent_run_id: str) -> list[DagRun]:
        """The direct child runs of a run."""
        ...

    def sweep_interrupted(self, *, stale_after: float | None = None) -> list[str]:
        """Mark runs whose owner is gone ``interrupted``; their ids."""
        ...

    def prune(
        self,
        older_than_days: float,
        *,
        statuses: Sequence[str] | None = None,
        exclude: Sequence[str] = (),
    ) -> int:
        """Delete finished runs older than that (of ``statuses``, not of ``exclude``);
        how many were deleted."""
        ...

    def close(self) -> None:
        """Commit what is queued and release the store."""
        ...
