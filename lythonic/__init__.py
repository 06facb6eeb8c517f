"""lythonic: compose plain Python functions into data-flow DAGs, declared in
``lyth.yaml`` or built in Python, with every value that crossed an edge on record.

This top-level module holds the reference types and small helpers the rest of
the package builds on.
"""

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lythonic._refs import GlobalRef, ModuleRef, NsRef, get_module
    from lythonic._result import Result, TErr, TOk

__version__ = "0.1.0"

# Imported on first use: `lyth` imports this package before it can handle a
# Ctrl-C, so importing it must cost next to nothing (pydantic loads later).
_LAZY = {
    "GlobalRef": "lythonic._refs",
    "ModuleRef": "lythonic._refs",
    "NsRef": "lythonic._refs",
    "get_module": "lythonic._refs",
    "Result": "lythonic._result",
    "TErr": "lythonic._result",
    "TOk": "lythonic._result",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'lythonic' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


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
