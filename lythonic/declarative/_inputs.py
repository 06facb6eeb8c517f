"""Input values against the parameters they are given to.

A value in ``inputs:`` (or ``lyth run --input``) is checked the way pydantic
validates in lax mode against the parameter's annotation: ``5`` does not fit
``s: str``, ``"5"`` fits ``n: int``. Annotations pydantic cannot validate (an
arbitrary class, an unresolved forward reference) are not checked.

>>> input_mismatch(str, 5)
'Input should be a valid string'
>>> input_mismatch(int, "5") is None
True
"""

from __future__ import annotations

import functools
from typing import Any

from pydantic import TypeAdapter, ValidationError

__all__ = ["conform_input", "input_mismatch"]


@functools.lru_cache(maxsize=256)
def _cached_adapter(annotation: Any) -> TypeAdapter[Any] | None:
    return _build_adapter(annotation)


def _build_adapter(annotation: Any) -> TypeAdapter[Any] | None:
    try:
        return TypeAdapter(annotation)
    except Exception:  # a class pydantic has no schema for: nothing to check against
        return None


def _adapter(annotation: Any) -> TypeAdapter[Any] | None:
    if annotation is None or annotation is Any or isinstance(annotation, str):
        return None
    try:
        return _cached_adapter(annotation)
    except TypeError:  # an unhashable annotation
        return _build_adapter(annotation)


def _first_error(error: ValidationError) -> str:
    errors = error.errors(include_url=False)
    if not errors:
        return " ".join(str(error).split())
    err = errors[0]
    where = ".".join(str(x) for x in err["loc"])
    message = " ".join(str(err["msg"]).removeprefix("Value error, ").split())
    return f"{where}: {message}" if where else message


def input_mismatch(annotation: Any, value: Any) -> str | None:
    """Why ``value`` cannot be given to a parameter annotated ``annotation``, or None."""
    adapter = _adapter(annotation)
    if adapter is None:
        return None
    try:
        adapter.validate_python(value)
    except ValidationError as e:
        return _first_error(e)
    except Exception as e:  # a validator of the user's own type raised something else
        return f"{type(e).__name__}: {' '.join(str(e).split())}"
    return None


def conform_input(annotation: Any, value: Any) -> Any:
    """``value`` validated into ``annotation`` (lax), unchanged when it cannot be checked.

    Raises ``ValueError`` with a one-line reason when it does not fit.
    """
    adapter = _adapter(annotation)
    if adapter is None:
        return value
    try:
        return adapter.validate_python(value)
    except ValidationError as e:
        raise ValueError(_first_error(e)) from None
    except Exception as e:  # a validator of the user's own type raised something else
        raise ValueError(f"{type(e).__name__}: {' '.join(str(e).split())}") from None
