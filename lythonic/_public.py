"""Public names report the path users import them from.

Code lives in private modules (``lythonic.compose.graph._dag``); users import
it from public paths (``lythonic.compose.namespace``). ``publish`` sets each
object's ``__module__`` to its public path, as it was when upstream defined
it there: ``GlobalRef`` of a class, reprs, pickles and error messages then
name the path that is API, not one that may move.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["publish"]


def publish(module: str, *objects: Any) -> None:
    """Report ``objects`` (classes, functions) as defined in ``module``.

    A pydantic model resolves its annotations late (deferred builds, forward
    references) in the namespace of its ``__module__``; it keeps resolving them
    in the module that defines it, handed over as its parent namespace.
    """
    for obj in objects:
        if isinstance(obj, type) and hasattr(obj, "__pydantic_parent_namespace__"):
            defined_in = vars(sys.modules[obj.__module__])
            obj.__pydantic_parent_namespace__ = {
                **defined_in,
                **(obj.__pydantic_parent_namespace__ or {}),
            }
        obj.__module__ = module
