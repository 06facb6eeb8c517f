"""Recorded values as JSON: what the store writes (``safe_json_dumps``) and how a
recorded value is read back into a declared type (``decode_value``)."""

from __future__ import annotations

import json
import logging
from typing import Any

from pydantic import BaseModel

from lythonic._codec import decode
from lythonic._events import event
from lythonic._public import publish

__all__ = ["decode_value", "json_default", "safe_json_dumps"]

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


publish("lythonic.compose.dag_provenance", json_default, safe_json_dumps, decode_value)
