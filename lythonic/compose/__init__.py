"""Compose: describe callables as data and wire them into DAGs.

The DAG API lives in ``lythonic.compose.namespace``; execution in
``lythonic.compose.dag_runner``. The names here load on first use, so that
importing a light submodule (the run context, the child side of a
process-isolated step) does not pay for pydantic.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lythonic.compose.nodes._introspect import Method, MethodDict, MethodInterface, ParamInfo

_LAZY = {
    name: "lythonic.compose.nodes._introspect"
    for name in ("Method", "MethodDict", "MethodInterface", "ParamInfo")
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'lythonic.compose' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = ["Method", "MethodDict", "MethodInterface", "ParamInfo"]
