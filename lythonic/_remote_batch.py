"""The worker side of a distributed executor: a batch of step calls, run one by one.

``run_batch(calls)`` runs on a cluster worker (Dask). Each call is
``(function, kwargs, header)``: the header (run id, step, DAG, attempt)
rebuilds the step's run context on the worker, so what the step logs there
names its run and step. Each call's outcome is pickled on its own, so a
value that cannot cross fails only its own call, and a step's exception fails
only its own call, never its batchmates. Log records the step emits on the
worker come back with its outcome, for the driver to log as its own.

Kept light: a worker imports nothing of the engine to run a batch.
"""

from __future__ import annotations

import logging
import os
import pickle
import platform
import threading
import time
import traceback
from typing import Any

__all__ = ["check_worker", "drop", "hand_over", "run_batch", "run_batch_here", "take_back"]

# (ok, pickled value or (pickled exception, type name, message, traceback text),
#  seconds the call took, log records as plain dicts)
CallOutcome = tuple[bool, Any, float, list[dict[str, Any]]]

# Log record fields that are the record's own, not a step's ``extra``.
_RECORD_FIELDS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class _Capture(logging.Handler):
    """Collects the records of one thread (the one running the batch)."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.thread = threading.get_ident()
        self.records: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != self.thread:
            return
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        extra = {
            k: v if isinstance(v, str | int | float | bool | type(None)) else repr(v)
            for k, v in record.__dict__.items()
            if k not in _RECORD_FIELDS and not k.startswith("_")
        }
        self.records.append(
            {
                "name": record.name,
                "levelno": record.levelno,
                "msg": message,
                "created": record.created,
                "exc_text": (
                    "".join(traceback.format_exception(*record.exc_info))
                    if record.exc_info and record.exc_info[0] is not None
                    else None
                ),
                "extra": extra,
                "pid": os.getpid(),
            }
        )


def _failure(
    exc: BaseException, message: str | None = None, *, raw: bool = False
) -> tuple[Any, str, str, str]:
    """(the exception, pickled unless ``raw``; its type name; message; traceback text)."""
    text = "".join(traceback.format_exception(exc))
    if message is not None:
        return None, "", message, text
    if raw:
        return exc, f"{type(exc).__module__}.{type(exc).__qualname__}", str(exc), text
    try:
        blob: bytes | None = pickle.dumps(exc)
    except Exception:
        blob = None
    return blob, f"{type(exc).__module__}.{type(exc).__qualname__}", str(exc), text


def _one(fn: Any, kwargs: dict[str, Any], header: Any, pack: Any) -> tuple[bool, Any]:
    token = None
    if header is not None:
        from lythonic._log_context import reset_node_run_context, set_node_run_context

        token = set_node_run_context(*header)
    try:
        value = fn(**kwargs)
    except BaseException as exc:  # the step's failure, whatever it is, goes back
        return False, _failure(exc, raw=pack is not _pickled)
    finally:
        if token is not None:
            reset_node_run_context(token)
    try:
        return True, pack(value)
    except Exception as exc:
        return False, _failure(exc, f"the step's result cannot be sent back from the worker: {exc}")


def run_batch(data: bytes) -> bytes:
    """Run each call of the batch in turn on this worker; see the module docstring.

    ``data`` is a pickled list of pickled ``(function, kwargs, header)``; the
    result a pickled list of ``CallOutcome``, one per call. (Bytes both ways:
    Dask passes them through untouched instead of walking a long list.)
    """
    outcomes = _run(pickle.loads(data), _load, _pickled)
    return pickle.dumps(outcomes, protocol=pickle.HIGHEST_PROTOCOL)


# Batches for workers in this very process (an in-process cluster), by task key: the
# task carries only the key, so functions, arguments and results stay the objects
# they are (a step sees the driver's memory, as with the thread executor).
_HERE: dict[str, Any] = {}
_HERE_LOCK = threading.Lock()


def hand_over(key: str, calls: list[tuple[Any, dict[str, Any], Any]]) -> None:
    """Leave a batch for ``run_batch_here(key)`` on a worker of this process."""
    with _HERE_LOCK:
        _HERE[key] = calls


def take_back(key: str) -> list[CallOutcome]:
    """The outcomes ``run_batch_here(key)`` left."""
    with _HERE_LOCK:
        outcomes: list[CallOutcome] = _HERE.pop(key)
    return outcomes


def drop(key: str) -> None:
    """Forget a batch left for, or by, ``run_batch_here(key)`` (it will not be read)."""
    with _HERE_LOCK:
        _HERE.pop(key, None)


def run_batch_here(key: str) -> str:
    """``run_batch`` for a worker in the driver's process: objects, not pickles."""
    with _HERE_LOCK:
        calls = _HERE.pop(key)
    outcomes = _run(calls, lambda call: call, lambda value: value)
    with _HERE_LOCK:
        _HERE[key] = outcomes
    return key


def _run(calls: Any, load: Any, pack: Any) -> list[CallOutcome]:
    root = logging.getLogger()
    capture = _Capture()
    root.addHandler(capture)
    out: list[CallOutcome] = []
    try:
        for call in calls:
            start = time.perf_counter()
            try:
                fn, kwargs, header = load(call)
            except Exception as exc:  # a module or class the worker does not have
                ok, payload = False, _failure(exc, f"cannot load the step on the worker: {exc}")
            else:
                ok, payload = _one(fn, kwargs, header, pack)
            records, capture.records = capture.records, []
            out.append((ok, payload, time.perf_counter() - start, records))
    finally:
        root.removeHandler(capture)
    return out


def _load(blob: bytes) -> Any:
    return pickle.loads(blob)


def _pickled(value: Any) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def check_worker(modules: list[str]) -> dict[str, Any]:
    """What a worker has: its Python and lythonic versions, and which of ``modules``
    it cannot import (with the error)."""
    import importlib
    from importlib import metadata

    missing: dict[str, str] = {}
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as exc:
            missing[name] = f"{type(exc).__name__}: {exc}"
    try:
        version = metadata.version("lythonic")
    except metadata.PackageNotFoundError:
        version = "unknown"
    return {
        "python": platform.python_version(),
        "lythonic": version,
        "pid": os.getpid(),
        "missing": missing,
    }
