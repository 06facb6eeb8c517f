"""Engine log events: a constant event name, the changing data in fields.

lythonic's own modules log through stdlib ``logging`` (upstream's logger names
are API). A call keeps a readable message for plain ``logging`` setups and
passes ``extra=event("node_failed", run_id=..., node=...)``; under
``lythonic.logs.configure_logging`` the record becomes the structured event
``node_failed`` with those fields and the readable text as ``message``, so
logs can be grouped and filtered by event and by run, DAG or node.

>>> event("node_failed", run_id="r-1", node="load")
{'lythonic_event': 'node_failed', 'run_id': 'r-1', 'node': 'load'}
"""

from __future__ import annotations

from typing import Any

__all__ = ["EVENT_KEY", "event"]

EVENT_KEY = "lythonic_event"
"""The ``LogRecord`` attribute holding the constant event name."""


def event(name: str, **fields: Any) -> dict[str, Any]:
    """The ``extra=`` of a log call: the event's constant ``name`` and its fields.

    Fields left ``None`` are omitted, so callers can pass optional data as is.
    """
    return {EVENT_KEY: name, **{k: v for k, v in fields.items() if v is not None}}
