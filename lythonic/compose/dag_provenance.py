"""Run history: what went into each node, what came out, what failed.

``DagProvenance(Path("runs.db"))`` records every run of a ``DagRunner`` in
SQLite; ``NullProvenance`` (the default) records nothing. Read a run back
with ``inspect_run`` (structure) and ``load_io`` (the recorded JSON), and a
recorded value with ``decode_value``. See docs/provenance.md.

Who started a run is taken from ``run_initiator`` when the runner starts it:

>>> with initiated_by("alice"):
...     run_initiator.get()
'alice'

The code lives in ``lythonic.compose.provenance``; this path is the public one.
"""

from lythonic._codec import (
    Unrecorded,
)
from lythonic.compose.provenance import (
    SCHEDULER,
    SCHEMA_VERSION,
    DagDefinitionChanged,
    DagProvenance,
    DagRun,
    EdgeTraversal,
    IoPayload,
    NodeExecution,
    NodeStatus,
    NullProvenance,
    ProvenanceSchemaError,
    ProvenanceStore,
    RunHistory,
    RunNotFound,
    RunNotRestartable,
    RunRecoveryError,
    RunStatus,
    UnknownStep,
    decode_value,
    initiated_by,
    json_default,
    run_initiator,
    safe_json_dumps,
)

__all__ = [
    "SCHEDULER",
    "SCHEMA_VERSION",
    "DagDefinitionChanged",
    "DagProvenance",
    "DagRun",
    "EdgeTraversal",
    "IoPayload",
    "NodeExecution",
    "NodeStatus",
    "NullProvenance",
    "ProvenanceSchemaError",
    "ProvenanceStore",
    "RunHistory",
    "RunNotFound",
    "RunNotRestartable",
    "RunRecoveryError",
    "RunStatus",
    "UnknownStep",
    "Unrecorded",
    "decode_value",
    "initiated_by",
    "json_default",
    "run_initiator",
    "safe_json_dumps",
]
