"""``isolation: process``: a sync step in a child process of its own.

A thread cannot be stopped, so a step's timeout only stops *waiting* for it.
A step that may hang for real (a C extension, a network call without a
timeout, an endless loop) can ask for a child process instead: the call runs
there, and when its timeout fires or its run is cancelled, the child is
terminated (SIGTERM, then SIGKILL after ``kill_grace``). Arguments and the
result cross by pickle; the step's exception comes back with its type and
message, the child's traceback attached as its cause, so provenance records
it as it records a local failure.

Each call gets a fresh interpreter (``python -m
lythonic._isolation_child``) in a process group of its own, so a kill
also reaches what the step started. The function is sent by reference (it
must be importable: a module-level function, not one defined in
``__main__`` or inside another function), with the caller's ``sys.path``.
No fork of this (threaded) process happens, and the user's main script is
never run again in the child. The cost per call is documented in
docs/running.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import os
import pickle
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from lythonic._log_context import NodeRunContext, _current
from lythonic.compose.nodes._context import DagContext
from lythonic.compose.run._executor import Executor

__all__ = [
    "ProcessIsolation",
    "RemoteTraceback",
    "StepProcessError",
    "default_isolation",
    "rebuild",
    "shippable",
]


class RemoteTraceback(Exception):
    """The traceback of an exception raised in a step's child process."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return f"\n\n--- in the child process ---\n{self.text}"


class StepProcessError(RuntimeError):
    """A step's child process failed in a way that is not the step's own exception."""


def _start_child(request: bytes) -> tuple[subprocess.Popen[bytes], int]:
    """A fresh interpreter running ``lythonic._isolation_child``; the result comes
    back on its own pipe (the step's prints keep stdout and stderr)."""
    read_end, write_end = os.pipe()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "lythonic._isolation_child", str(write_end)],
            stdin=subprocess.PIPE,
            pass_fds=(write_end,),
            start_new_session=True,  # one process group: a kill reaches what the step started
        )
    except BaseException:
        os.close(read_end)
        raise
    finally:
        os.close(write_end)
    assert proc.stdin is not None
    try:
        proc.stdin.write(request)
        proc.stdin.close()
    except BrokenPipeError:  # it died at once; the result pipe says how
        pass
    return proc, read_end


class _ChildCall:
    """One call: the child process, the thread that waits for it, its future."""

    def __init__(
        self,
        isolation: ProcessIsolation,
        fn: Callable[..., Any],
        kwargs: dict[str, Any],
        node: NodeRunContext | None,
        loop: asyncio.AbstractEventLoop,
        fut: asyncio.Future[Any],
    ) -> None:
        self.isolation = isolation
        self.fn = fn
        self.kwargs = kwargs
        self.node = node
        self.loop = loop
        self.fut = fut
        self.lock = threading.Lock()
        self.proc: subprocess.Popen[bytes] | None = None
        self.killed = False

    def run(self) -> None:
        try:
            header = None if self.node is None else tuple(vars_of(self.node))
            # Two pickles: the path first, so the child can import the function's module.
            request = pickle.dumps(list(sys.path)) + pickle.dumps((self.fn, self.kwargs, header))
        except Exception as e:
            self._post(False, _unpicklable(self.node, e))
            return
        try:
            with self.lock:
                if self.killed:
                    return
                self.proc, result_fd = _start_child(request)
            with os.fdopen(result_fd, "rb") as results:
                data = results.read()
            code = self.proc.wait()
            if self.killed:
                return
            if not data:
                self._post(False, _died(self.node, code))
                return
            ok, payload = pickle.loads(data)
            self._post(ok, payload if ok else rebuild(*payload))
        except BaseException as e:  # a bug of ours: the call fails, the caller hears of it
            self._post(False, e)

    def kill(self) -> None:
        """The runner gave up on the call: end the child's process group (TERM, then KILL)."""
        with self.lock:
            self.killed = True
            proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        _signal_group(proc, signal.SIGTERM)
        threading.Thread(target=self._reap, args=(proc,), daemon=True).start()

    def _reap(self, proc: subprocess.Popen[bytes]) -> None:
        try:
            proc.wait(self.isolation.kill_grace)
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
            proc.wait()

    def _post(self, ok: bool, value: Any) -> None:
        def settle() -> None:
            if self.fut.done():
                return
            if ok:
                self.fut.set_result(value)
            else:
                self.fut.set_exception(value)

        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits
            self.loop.call_soon_threadsafe(settle)


def vars_of(node: NodeRunContext) -> tuple[str, str, str, int, datetime | None]:
    """A step's header for another process: run, step, DAG, attempt and scheduled time."""
    return (node.run_id, node.node_label, node.dag_nsref, node.attempt, node.scheduled_at)


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def _label(node: NodeRunContext | None) -> str:
    return f"step '{node.node_label}'" if node is not None else "the step"


def _unpicklable(node: NodeRunContext | None, error: BaseException) -> Exception:
    return StepProcessError(
        f"{_label(node)} cannot run in a child process: its function or arguments cannot be "
        f"pickled ({error}); use importable functions and picklable values, or drop "
        "isolation: process"
    )


def _died(node: NodeRunContext | None, exitcode: int | None) -> Exception:
    how = (
        f"was killed by signal {-exitcode}" if exitcode and exitcode < 0 else f"exited ({exitcode})"
    )
    return StepProcessError(f"the child process of {_label(node)} {how} without a result")


def shippable(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """A call's arguments to send to another process: a step's ``DagContext`` goes
    without the namespace, which stays in this one."""
    return {
        k: v.model_copy(update={"namespace": None}) if isinstance(v, DagContext) else v
        for k, v in kwargs.items()
    }


def rebuild(blob: Any, type_name: str, message: str, text: str) -> BaseException:
    """The exception a step raised in another process (``blob``: it pickled, or the
    object itself when that process is this one), its traceback there as the cause."""
    if isinstance(blob, BaseException):
        return blob
    exc: BaseException | None = None
    if blob is not None:
        with contextlib.suppress(Exception):
            exc = pickle.loads(blob)
    if not isinstance(exc, BaseException):
        exc = StepProcessError(f"{type_name}: {message}" if type_name else message)
    exc.__cause__ = RemoteTraceback(text)
    return exc


class ProcessIsolation(Executor):
    """Runs each sync call in a child process of its own; see the module docstring.

    ``kill_grace``: seconds between SIGTERM and SIGKILL when a call is given up on.
    """

    in_process = False  # each call goes to a child process of its own

    def __init__(self, *, kill_grace: float = 0.5) -> None:
        self.kill_grace = kill_grace

    def submit(
        self,
        fn: Callable[..., Any],
        kwargs: Mapping[str, Any],
        *,
        context: contextvars.Context,
    ) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Any] = loop.create_future()
        shipped = shippable(kwargs)
        call = _ChildCall(self, fn, shipped, context.get(_current), loop, fut)
        fut.add_done_callback(lambda f: call.kill() if f.cancelled() else None)
        threading.Thread(target=call.run, name="lythonic-child-wait", daemon=True).start()
        return fut


_default: ProcessIsolation | None = None


def default_isolation() -> ProcessIsolation:
    """The process-wide runner of ``isolation: process`` steps (made on first use)."""
    global _default
    if _default is None:
        _default = ProcessIsolation()
    return _default
