"""What ``DagProvenance.inspect_run`` and ``get_recent_runs`` return.

Timestamps are timezone-aware UTC datetimes. Inputs and outputs (``io``) are
not loaded with the structure; ``DagProvenance.load_io`` fills them on demand.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

from lythonic._public import publish

__all__ = ["DagRun", "EdgeTraversal", "IoPayload", "NodeExecution", "to_datetime"]


def to_datetime(epoch: float | None) -> datetime | None:
    """Epoch seconds as an aware UTC datetime (None stays None)."""
    return None if epoch is None else datetime.fromtimestamp(epoch, tz=UTC)


class EdgeTraversal(BaseModel):
    """A value crossed the edge to ``downstream_label`` (attached to the upstream node)."""

    model_config = ConfigDict(defer_build=True)  # built on first use, not at import

    downstream_label: str
    traversed_at: datetime


class IoPayload(BaseModel):
    """Recorded JSON of a node's inputs and output (a run's: source inputs, sink outputs).

    ``input_size``/``output_size`` are the lengths of the JSON texts; with
    ``load_io(..., max_bytes=N)`` a larger text is left out (None) and only
    its size is set. Decode a text with ``dag_provenance.decode_value``.
    """

    model_config = ConfigDict(defer_build=True)  # built on first use, not at import

    input_json: str | None = None
    output_json: str | None = None
    input_size: int | None = None
    output_size: int | None = None


class NodeExecution(BaseModel):
    """One node of one run: status, timing, error and the edges its value crossed.

    ``attempt`` is the attempt the status belongs to (retries count up from
    1). ``sub_dags`` holds the child runs of map/call/switch nodes, keyed like
    ``"chunks[0]"``; it is None for plain nodes.
    """

    model_config = ConfigDict(defer_build=True)  # built on first use, not at import

    node_label: str
    status: str
    is_source: bool = False
    is_sink: bool = False
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None
    attempt: int = 1
    edges: list[EdgeTraversal] = Field(default_factory=list)
    sub_dags: dict[str, DagRun] | None = None
    io: IoPayload | None = None


class DagRun(BaseModel):
    """One run of a DAG with its node executions (and, nested, its child runs).

    ``dag_hash`` is the definition hash of the DAG that ran,
    ``config_revision`` the revision of the config that built it, ``error``
    the run's one-line failure message.
    """

    model_config = ConfigDict(defer_build=True)  # built on first use, not at import

    run_id: str
    dag_nsref: str
    parent_run_id: str | None = None
    status: str
    started_at: datetime
    finished_at: datetime | None = None
    initiated_by: str | None = None
    dag_hash: str | None = None
    config_revision: str | None = None
    error: str | None = None
    nodes: dict[str, NodeExecution] = Field(default_factory=dict)
    io: IoPayload | None = None

    def latest_update(self) -> datetime:
        """The latest timestamp of the run, its nodes and its edge traversals."""
        stamps = [self.started_at]
        if self.finished_at is not None:
            stamps.append(self.finished_at)
        for node in self.nodes.values():
            stamps.extend(t for t in (node.started_at, node.finished_at) if t is not None)
            stamps.extend(e.traversed_at for e in node.edges)
        return max(stamps)

    def nodes_changed_since(self, dt: datetime) -> list[NodeExecution]:
        """Nodes that started or finished after ``dt``."""
        return [
            n
            for n in self.nodes.values()
            if (n.started_at is not None and n.started_at > dt)
            or (n.finished_at is not None and n.finished_at > dt)
        ]


publish("lythonic.compose.dag_provenance", EdgeTraversal, IoPayload, NodeExecution, DagRun)
