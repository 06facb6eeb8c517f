"""Can a value of the upstream's return type be passed to a downstream parameter?

The rules (one place, used by ``Dag.validate``, the runner's wiring and the
``lyth.yaml`` checks): equal types; a subclass into its base; ``Any`` (or no
annotation) on either side; ``X`` into ``X | None`` or any union holding a
compatible member; a union upstream when every member fits; generic aliases
whose origins are compatible and whose arguments are (``dict[str, int]`` into
``dict``, ``list[int]`` into ``Sequence[int]``); ``int`` into ``float`` (the
numeric tower). ``list[X]`` parameters additionally collect several ``X``
upstreams (fan-in), see ``fan_in_element``.
"""

from __future__ import annotations

import collections.abc
import types
import typing
from typing import Any

__all__ = ["fan_in_element", "format_type", "is_any", "is_compatible", "normalize"]

_NONE = type(None)
_UNION_TYPES: tuple[Any, ...] = (typing.Union, types.UnionType)
# PEP 484: an int is acceptable where a float is expected, a float where a complex is.
_NUMERIC_TOWER = {float: (int,), complex: (int, float)}


def normalize(t: Any) -> Any:
    """Strip what does not change compatibility: Annotated, NewType, TypeVar, None."""
    while True:
        if t is None:
            return _NONE
        if t is typing.Any or t is object:
            return typing.Any
        origin = typing.get_origin(t)
        if origin is typing.Annotated:
            t = typing.get_args(t)[0]
        elif hasattr(t, "__supertype__"):  # typing.NewType
            t = t.__supertype__
        elif isinstance(t, typing.TypeVar):
            if t.__bound__ is not None:
                t = t.__bound__
            elif t.__constraints__:
                return typing.Union[t.__constraints__]  # noqa: UP007 -- built from a tuple
            else:
                return typing.Any
        elif origin is typing.Literal:
            kinds = tuple(dict.fromkeys(type(v) for v in typing.get_args(t)))
            return kinds[0] if len(kinds) == 1 else typing.Union[kinds]  # noqa: UP007
        elif origin is typing.ClassVar or origin is typing.Final:
            t = typing.get_args(t)[0]
        else:
            return t


def is_any(t: Any) -> bool:
    """True for ``Any``, ``object``, an unknown (missing or unresolved) annotation."""
    if t is None or isinstance(t, str):
        return True
    return normalize(t) is typing.Any


def _union_members(t: Any) -> tuple[Any, ...] | None:
    return typing.get_args(t) if typing.get_origin(t) in _UNION_TYPES else None


def is_compatible(up: Any, down: Any) -> bool:
    """True when a value declared as ``up`` may be passed where ``down`` is expected."""
    if isinstance(up, str) or isinstance(down, str):
        # An annotation that could not be resolved to a type: equal text is a
        # match; otherwise we cannot tell, so we do not accuse.
        return True
    up, down = normalize(up), normalize(down)
    if up is typing.Any or down is typing.Any or up == down:
        return True
    members = _union_members(up)
    if members is not None:
        return all(is_compatible(m, down) for m in members)
    members = _union_members(down)
    if members is not None:
        return any(is_compatible(up, m) for m in members)
    up_origin = typing.get_origin(up) or up
    down_origin = typing.get_origin(down) or down
    if not (isinstance(up_origin, type) and isinstance(down_origin, type)):
        return True  # a special form we do not model: do not accuse
    if not _class_fits(up_origin, down_origin):
        return False
    return _args_fit(up, down, down_origin)


def _class_fits(up: type, down: type) -> bool:
    if up in _NUMERIC_TOWER.get(down, ()):
        return True
    try:
        return issubclass(up, down)
    except TypeError:  # e.g. a non-runtime-checkable Protocol
        return True


def _args_fit(up: Any, down: Any, down_origin: type) -> bool:
    up_args, down_args = typing.get_args(up), typing.get_args(down)
    if not up_args or not down_args:
        return True  # a bare generic on either side says nothing about its contents
    if down_origin is tuple:
        if len(down_args) == 2 and down_args[1] is Ellipsis:
            items = up_args[:-1] if up_args[-1] is Ellipsis else up_args
            return all(is_compatible(a, down_args[0]) for a in items)
        if up_args[-1] is Ellipsis:
            return all(is_compatible(up_args[0], d) for d in down_args)
        return len(up_args) == len(down_args) and all(
            is_compatible(u, d) for u, d in zip(up_args, down_args, strict=True)
        )
    if issubclass(down_origin, collections.abc.Callable):  # type: ignore[arg-type]
        return True
    if len(up_args) != len(down_args):
        return True
    return all(is_compatible(u, d) for u, d in zip(up_args, down_args, strict=True))


def fan_in_element(param: Any) -> Any | None:
    """``X`` when the parameter is ``list[X]`` (several ``X`` upstreams collect into it)."""
    if isinstance(param, str):
        text = param.strip()
        if text.startswith(("list[", "List[")) and text.endswith("]"):
            return text[5:-1].strip()
        return None
    param = normalize(param)
    if param is list:
        return typing.Any
    if typing.get_origin(param) is list:
        args = typing.get_args(param)
        return args[0] if args else typing.Any
    return None


def format_type(t: Any) -> str:
    """A short, readable spelling of an annotation for error messages."""
    if isinstance(t, str):
        return t
    if t is None or t is _NONE:
        return "None"
    if t is typing.Any:
        return "Any"
    if isinstance(t, type) and not typing.get_args(t):
        return t.__qualname__ if t.__module__ == "builtins" else t.__name__
    text = repr(t)
    for prefix in ("typing.", "collections.abc.", "<class '"):
        text = text.replace(prefix, "")
    return text.replace("'>", "").replace("NoneType", "None")
