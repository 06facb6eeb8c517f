"""Code fingerprints: which code a run ran, so a later restart or replay can tell.

A step's fingerprint is a digest of its function's source text (of its
bytecode and constants when the source cannot be read); a run records them,
with the DAG's definition hash, as ``dag_runs.code_json``:
``{"dag": "<hash>", "steps": {"extract": "<16 hex>", ...}}``. Editing a step's
module changes neither the config revision nor the DAG hash, but does change
this.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from typing import Any

__all__ = ["changed_steps", "code_json", "function_digest"]

_DIGESTS: dict[Any, str] = {}


def function_digest(fn: Any) -> str:
    """16 hex digits of ``fn``'s source (its bytecode when the source is not there)."""
    target = inspect.unwrap(fn) if callable(fn) else fn
    code = getattr(target, "__code__", None)
    key = code if code is not None else id(target)
    found = _DIGESTS.get(key)
    if found is not None:
        return found
    try:
        text = inspect.getsource(target).encode()
    except (OSError, TypeError):
        text = repr(code.co_code + repr(code.co_consts).encode()).encode() if code else b""
        text = text or repr(type(target)).encode()
    digest = hashlib.sha256(text).hexdigest()[:16]
    if code is not None:
        _DIGESTS[key] = digest
    return digest


def code_json(plan: Any, dag_hash: str | None) -> str:
    """The plan's code fingerprints as recorded (computed once per plan)."""
    cached = getattr(plan, "code", None)
    if cached is not None:
        return str(cached)
    steps: dict[str, str] = {}
    for np in plan.nodes:
        ns_node = getattr(np, "ns_node", None)
        method = getattr(ns_node, "method", None)
        fn = getattr(method, "o", None)
        if fn is not None:
            steps[np.label] = function_digest(fn)
    text = json.dumps({"dag": dag_hash, "steps": steps}, sort_keys=True)
    plan.code = text
    return text


def changed_steps(recorded: str | None, current: str | None) -> list[str]:
    """Steps whose code differs between two ``code_json`` texts (none when either is
    unknown: runs recorded before fingerprints existed)."""
    if not recorded or not current:
        return []
    old = json.loads(recorded).get("steps", {})
    new = json.loads(current).get("steps", {})
    return sorted(label for label in old.keys() & new.keys() if old[label] != new[label])
