"""Marker decorators: each sets an attribute on the function and returns it unchanged."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from lythonic._public import publish

__all__ = [
    "ASYNC",
    "INLINE",
    "ISOLATIONS",
    "THREAD",
    "Isolation",
    "call_mode",
    "dag_factory",
    "inline",
    "is_dag_factory",
    "is_inline",
    "mount_required",
    "mountable",
    "nsnode",
    "require_cache",
]

ASYNC, INLINE, THREAD = range(3)
"""How a step's function is called: awaited on the loop, called on the loop, or
handed to the executor."""

Isolation = Literal["thread", "process"]
"""Where a sync step runs: a worker thread (default) or a child process of its own."""
ISOLATIONS: tuple[Isolation, ...] = ("thread", "process")

_F = TypeVar("_F", bound=Callable[..., Any])


def inline(fn: _F) -> _F:
    """Run this sync function on the event loop instead of a worker thread.

    For cheap, non-blocking functions where a thread hop costs more than the work.
    """
    fn._lythonic_inline = True  # type: ignore[attr-defined]
    return fn


def dag_factory(fn: _F) -> _F:
    """Mark a no-argument function that returns a ``Dag``.

    ``Dag.node``/``map``/``switch`` call it (label = function name);
    ``Namespace.register`` registers its DAG under ``"module:name__"``.
    """
    fn._is_dag_factory = True  # type: ignore[attr-defined]
    return fn


def mountable(fn: _F) -> _F:
    """Mark a callable whose behaviour changes when its namespace is mounted."""
    fn._is_mountable = True  # type: ignore[attr-defined]
    return fn


def mount_required(fn: _F) -> _F:
    """Mark a callable that only works in a mounted namespace."""
    fn._is_mount_required = True  # type: ignore[attr-defined]
    return fn


def nsnode(tags: list[str] | None = None) -> Callable[[_F], _F]:
    """Mark a fragment method for discovery, with optional tags."""

    def mark(fn: _F) -> _F:
        fn._is_nsnode = True  # type: ignore[attr-defined]
        fn._nsnode_tags = list(tags or [])  # type: ignore[attr-defined]
        return fn

    return mark


def require_cache(fn: _F) -> _F:
    """Refuse registration unless an ``NsCacheConfig`` is supplied."""
    fn._require_cache = True  # type: ignore[attr-defined]
    return fn


def is_dag_factory(o: Any) -> bool:
    return callable(o) and getattr(o, "_is_dag_factory", False) is True


def is_inline(o: Any) -> bool:
    return getattr(o, "_lythonic_inline", False) is True


def call_mode(fn: Any, original: Any = None) -> int:
    """How to call ``fn`` (``original``: the undecorated function, for the marker)."""
    if inspect.iscoroutinefunction(fn) or (
        not inspect.isroutine(fn) and inspect.iscoroutinefunction(type(fn).__call__)
    ):
        return ASYNC
    if is_inline(fn) or (original is not None and is_inline(original)):
        return INLINE
    return THREAD


publish(
    "lythonic.compose.namespace",
    inline,
    dag_factory,
    mountable,
    mount_required,
    nsnode,
    require_cache,
)
