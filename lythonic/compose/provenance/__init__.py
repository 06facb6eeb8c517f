"""Run history: the store contract the runner writes through (``ProvenanceStore``),
the read side (``RunHistory``), the SQLite store (``DagProvenance``), the
records read back, and the errors a reader raises.

Below ``run/``: it knows nothing of DAGs or runners. A new store (PostgreSQL)
lives here beside ``_sqlite.py`` and implements both contracts.

Names load on first use (``lythonic._lazy``): importing the package, or one
of its modules, loads only what is asked for.
"""

from typing import TYPE_CHECKING

from lythonic._lazy import lazy_exports

if TYPE_CHECKING:
    from lythonic.compose.provenance._errors import (
        DagDefinitionChanged,
        RunNotFound,
        RunNotRestartable,
        RunRecoveryError,
        UnknownStep,
    )
    from lythonic.compose.provenance._history import (
        RunHistory,
    )
    from lythonic.compose.provenance._logs import (
        CAPTURE_LEVELS,
        set_capture_level,
    )
    from lythonic.compose.provenance._models import (
        DagRun,
        EdgeTraversal,
        IoPayload,
        NodeExecution,
        to_datetime,
    )
    from lythonic.compose.provenance._reads import (
        ChildDigest,
        LogLine,
        digest,
    )
    from lythonic.compose.provenance._retention import RetentionResult, apply_retention
    from lythonic.compose.provenance._schema import (
        SCHEMA_VERSION,
        ProvenanceSchemaError,
        connect,
        ensure_schema,
    )
    from lythonic.compose.provenance._sqlite import (
        DagProvenance,
    )
    from lythonic.compose.provenance._statuses import (
        FINISHED,
        NODE_STATUSES,
        RUN_STATUSES,
        NodeStatus,
        RunStatus,
    )
    from lythonic.compose.provenance._store import (
        SCHEDULER,
        ForwardingStore,
        NullProvenance,
        ProvenanceStore,
        initiated_by,
        run_initiator,
    )
    from lythonic.compose.provenance._summary import (
        node_seconds,
        run_seconds,
        run_summary,
    )
    from lythonic.compose.provenance._values import (
        decode_value,
        json_default,
        safe_json_dumps,
    )
    from lythonic.compose.provenance._writer import (
        BatchWriter,
        ProvenanceWriteError,
    )

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "_statuses": ["FINISHED", "NODE_STATUSES", "RUN_STATUSES", "NodeStatus", "RunStatus"],
        "_errors": [
            "DagDefinitionChanged",
            "RunNotFound",
            "RunNotRestartable",
            "RunRecoveryError",
            "UnknownStep",
        ],
        "_models": ["DagRun", "EdgeTraversal", "IoPayload", "NodeExecution", "to_datetime"],
        "_summary": ["node_seconds", "run_seconds", "run_summary"],
        "_reads": ["ChildDigest", "LogLine", "digest"],
        "_logs": ["CAPTURE_LEVELS", "set_capture_level"],
        "_store": [
            "SCHEDULER",
            "ForwardingStore",
            "NullProvenance",
            "ProvenanceStore",
            "initiated_by",
            "run_initiator",
        ],
        "_history": ["RunHistory"],
        "_schema": ["SCHEMA_VERSION", "ProvenanceSchemaError", "connect", "ensure_schema"],
        "_writer": ["BatchWriter", "ProvenanceWriteError"],
        "_sqlite": ["DagProvenance"],
        "_values": ["decode_value", "json_default", "safe_json_dumps"],
        "_retention": ["RetentionResult", "apply_retention"],
    },
)

__all__ = [
    "CAPTURE_LEVELS",
    "FINISHED",
    "NODE_STATUSES",
    "RUN_STATUSES",
    "SCHEDULER",
    "SCHEMA_VERSION",
    "BatchWriter",
    "ChildDigest",
    "DagDefinitionChanged",
    "DagProvenance",
    "DagRun",
    "EdgeTraversal",
    "ForwardingStore",
    "IoPayload",
    "LogLine",
    "NodeExecution",
    "NodeStatus",
    "NullProvenance",
    "ProvenanceSchemaError",
    "ProvenanceStore",
    "ProvenanceWriteError",
    "RetentionResult",
    "RunHistory",
    "RunNotFound",
    "RunNotRestartable",
    "RunRecoveryError",
    "RunStatus",
    "UnknownStep",
    "apply_retention",
    "connect",
    "decode_value",
    "digest",
    "ensure_schema",
    "initiated_by",
    "json_default",
    "node_seconds",
    "run_initiator",
    "run_seconds",
    "run_summary",
    "safe_json_dumps",
    "set_capture_level",
    "to_datetime",
]
