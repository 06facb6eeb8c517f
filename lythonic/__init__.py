"""lythonic: compose plain Python functions into data-flow DAGs, declared in
``lyth.yaml`` or built in Python, with every value that crossed an edge on record.

This top-level module holds the reference types and small helpers the rest of
the package builds on.
"""

from datetime import UTC, datetime
from typing import Any

from lythonic._refs import GlobalRef, ModuleRef, NsRef, get_module
from lythonic._result import Result, TErr, TOk

__version__ = "0.1.0"

__all__ = [
    "GlobalRef",
    "ModuleRef",
    "NsRef",
    "Result",
    "TErr",
    "TOk",
    "__version__",
    "get_module",
    "str_or_none",
    "utc_now",
]


def utc_now() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


def str_or_none(s: Any) -> str | None:
    """``str(s)``, or None when ``s`` is None."""
    return None if s is None else str(s)
