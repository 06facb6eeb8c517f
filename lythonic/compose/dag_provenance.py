"""Run history: what went into each node, what came out, what failed.

``DagProvenance(Path("runs.db"))`` records every run of a ``DagRunner`` in
SQLite; ``NullProvenance`` (the default) records nothing. Read a run back
with ``inspect_run`` (structure) and ``load_io`` (the recorded JSON), and a
recorded value with ``decode_value``. See docs/provenance.md.

Who started a run is taken from ``run_initiator`` when the runner starts it:

>>> with initiated_by("alice"):
...     run_initiator.get()
'alice'
"""

from __future__ import annotations

import json
import logging
from typing import Any

from pydantic import BaseModel

from lythonic._codec import Unrecorded, decode
from lythonic._events import event
from lythonic.compose._provenance_models import DagRun, EdgeTraversal, IoPayload, NodeExecution
from lythonic.compose._provenance_schema import SCHEMA_VERSION, ProvenanceSchemaError
from lythonic.compose._provenance_sqlite import DagProvenance
from lythonic.compose._provenance_store import (
    SCHEDULER,
    NullProvenance,
    ProvenanceStore,
    initiated_by,
    run_initiator,
)
from lythonic.compose._replay import DagDefinitionChanged, RunNotFound, RunNotRestartable

__all__ = [
    "SCHEDULER",
    "SCHEMA_VERSION",
    "DagDefinitionChanged",
    "DagProvenance",
    "DagRun",
    "EdgeTraversal",
    "IoPayload",
    "NodeExecution",
    "NullProvenance",
    "ProvenanceSchemaError",
    "ProvenanceStore",
    "RunNotFound",
    "RunNotRestartable",
    "Unrecorded",
    "decode_value",
    "initiated_by",
    "json_default",
    "run_initiator",
    "safe_json_dumps",
]

_log = logging.getLogger("lythonic.compose.provenance")


def json_default(obj: Any) -> Any:
    """``json.dumps`` fallback: a pydantic model's ``model_dump()``, else ``str(obj)``."""
    if isinstance(obj, BaseModel):
        return obj.model_dump()
    return str(obj)


def safe_json_dumps(obj: Any) -> str:
    """``json.dumps`` with ``json_default``; logs a warning and dumps ``str(obj)`` on failure.

    The store itself records values with a typed encoding (``decode_value``
    reads it); this helper is kept for code written against upstream.
    """
    try:
        return json.dumps(obj, default=json_default)
    except Exception:
        _log.warning(
            "Failed to serialize to JSON: %s",
            type(obj).__name__,
            exc_info=True,
            extra=event("not_json", type=type(obj).__name__),
        )
        return json.dumps(str(obj))


def decode_value(text: str | None, annotation: Any = None) -> Any:
    """A value as recorded (``IoPayload.output_json`` …), typed as ``annotation`` if given.

    >>> decode_value('{"__lyth__":"tuple","items":[1,2]}')
    (1, 2)
    """
    return decode(text, annotation)
