"""Marker decorators: each sets an attribute on the function and returns it unchanged."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["dag_factory", "inline", "mount_required", "mountable", "nsnode", "require_cache"]

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
