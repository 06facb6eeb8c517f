"""The value types of ``lyth.yaml``: names, references and durations, plus what
every config class shares (``STRICT``, ``RetryOptions``).

Each type is checked the same way by pydantic at load time and by the JSON
Schema in an editor: the patterns below are the single source of both.
"""

from __future__ import annotations

import math
import re
import sys
from typing import Annotated, Any, ClassVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
)

__all__ = [
    "IDENT_RE",
    "NAME_RE",
    "NSREF_RE",
    "REF_RE",
    "STRICT",
    "Backoff",
    "Count",
    "Days",
    "Duration",
    "FragmentRef",
    "HookOptions",
    "Ident",
    "Name",
    "NsRefStr",
    "Prefix",
    "Ref",
    "Retries",
    "RetryOptions",
    "Target",
    "integral",
    "parse_duration",
    "ttls_in_order",
]

_NAME = r"[A-Za-z][A-Za-z0-9_]{0,63}"
_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_MODULE = rf"{_IDENT}(?:\.{_IDENT})*"
_ATTR = r"[A-Za-z][A-Za-z0-9_]*"

NAME_RE = re.compile(rf"^{_NAME}$")
"""DAG, node and trigger names: they reach SQL, file paths and run paths."""
IDENT_RE = re.compile(rf"^{_IDENT}$")
"""A Python parameter name."""
REF_RE = re.compile(rf"^{_MODULE}:{_ATTR}$")
"""``package.module:attribute`` (no private attributes)."""
NSREF_RE = re.compile(rf"^(?:{_MODULE}:)?[A-Za-z_][A-Za-z0-9_.]*$")
"""A namespace key: ``scope.sub:leaf`` or a bare ``leaf``."""

Name = Annotated[str, StringConstraints(pattern=NAME_RE.pattern)]
"""A letter, then up to 63 letters, digits or underscores."""
Ident = Annotated[str, StringConstraints(pattern=IDENT_RE.pattern)]
Ref = Annotated[str, StringConstraints(pattern=REF_RE.pattern)]
NsRefStr = Annotated[str, StringConstraints(pattern=NSREF_RE.pattern)]
Target = Annotated[str, StringConstraints(pattern=rf"^(?:{_NAME}|{_MODULE}:{_ATTR})$")]
"""A DAG of this file (its name) or a Python ``module:attribute``."""
FragmentRef = Annotated[str, StringConstraints(pattern=rf"^{_MODULE}(?::{_ATTR})?$")]
"""A module, or ``module:Class``."""
Prefix = Annotated[str, StringConstraints(pattern=rf"^(?:{_MODULE})?:$")]
"""A namespace prefix such as ``frag:``."""

STRICT = ConfigDict(extra="forbid", strict=True, frozen=True)
"""Every config class: unknown keys are errors, no type coercion, immutable."""


def integral(value: Any) -> Any:
    """``3.0`` is the whole number 3 (JSON Schema's "integer" agrees); ``3.5`` stays a float."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def not_a_bool(value: Any) -> Any:
    """Refuse ``true``/``false`` where a number is meant (``True == 1`` in Python; the
    JSON Schema, like a reader, says a boolean is not a number)."""
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got the boolean {str(value).lower()}")
    return value


Retries = Annotated[int, Field(ge=0, le=100), BeforeValidator(integral)]
"""Extra attempts: 0 to 100; ``2.0`` is accepted as ``2``, as the JSON Schema accepts it."""
Count = Annotated[int, Field(ge=1), BeforeValidator(integral)]
"""A whole number of at least 1 (``2.0`` accepted as ``2``)."""

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PART = r"\d+(?:\.\d+)?(?:ms|s|m|h|d)"
_PART_RE = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_DURATION_RE = re.compile(rf"^(?:{_PART})+$")
# The same pattern, refusing durations that add up to zero (e.g. "0s").
_POSITIVE_PATTERN = rf"^(?=.*[1-9])(?:{_PART})+$"


def parse_duration(value: Any) -> Any:
    """Seconds from ``30s``, ``2m``, ``1h30m``, ``500ms``, ``1d`` or a finite number.

    The text is taken exactly as written (no surrounding spaces), as the JSON
    Schema takes it; ``.inf`` and ``.nan`` are refused. Anything else is
    returned unchanged for pydantic to reject with its type error.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError(
                f"a duration must be a finite number of seconds (or e.g. 30s, 2m, 1h30m), "
                f"got {value}"
            )
        return float(value)
    if isinstance(value, str):
        if _DURATION_RE.match(value):
            return sum(float(n) * _UNITS[u] for n, u in _PART_RE.findall(value))
        raise ValueError(
            f"'{value}' is not a duration: write a number of seconds or e.g. 30s, 2m, 1h30m, "
            "500ms, 1d"
        )
    return value


_MAX_FLOAT = sys.float_info.max

MAX_DURATION = 3650 * 86400.0
"""The longest duration a config may give (ten years): every duration is then a
``timedelta`` the scheduler can add to any date of this century, and a wait no
timer overflows on."""

DURATION_KEYS = frozenset({"timeout", "retry_backoff", "catchup_window"})
"""The keys of lyth.yaml that hold durations."""


def duration_problems(
    data: Any, path: tuple[str | int, ...] = ()
) -> list[tuple[tuple[str | int, ...], str]]:
    """``(path, message)`` for every duration in ``data`` (the YAML as loaded) longer
    than ``MAX_DURATION``. A sum of parts has no bound a JSON Schema can state, so
    this is a check of its own, after the schema."""
    found: list[tuple[tuple[str | int, ...], str]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            here = (*path, key)
            if key in DURATION_KEYS and not isinstance(value, dict | list):
                try:
                    seconds = parse_duration(value)
                except ValueError:
                    continue  # not a duration at all: the schema said so
                if isinstance(seconds, float) and seconds > MAX_DURATION:
                    found.append(
                        (
                            here,
                            f"{key} {value!r} is longer than the longest duration lyth "
                            "accepts (3650d, ten years)",
                        )
                    )
            else:
                found.extend(duration_problems(value, here))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found.extend(duration_problems(value, (*path, i)))
    return found


def _number_schema(*, positive: bool, finite: bool) -> dict[str, Any]:
    """A number > 0 (``positive``) or >= 0; NaN refused, infinity too when ``finite``.

    Every numeric bound lets NaN through (each comparison with NaN is false), so
    the lower bound is also written as ``not {maximum: 0}`` (or ``not
    {exclusiveMaximum: 0}``), which NaN fails — as pydantic refuses it.
    """
    number: dict[str, Any] = {"type": "number"}
    if positive:
        number |= {"exclusiveMinimum": 0, "not": {"maximum": 0}}
    else:
        number |= {"minimum": 0, "not": {"exclusiveMaximum": 0}}
    if finite:
        number["maximum"] = _MAX_FLOAT
    return number


def _duration_schema(positive: bool) -> dict[str, Any]:
    number = _number_schema(positive=positive, finite=True)
    pattern = _POSITIVE_PATTERN if positive else _DURATION_RE.pattern
    return {"anyOf": [number, {"type": "string", "pattern": pattern}]}


Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    Field(gt=0),
    WithJsonSchema(_duration_schema(positive=True)),
]
"""A positive duration: seconds, or text like ``30s``/``2m``/``1h30m``."""

Backoff = Annotated[
    float,
    BeforeValidator(parse_duration),
    Field(ge=0),
    WithJsonSchema(_duration_schema(positive=False)),
]
"""A duration that may be zero."""

Days = Annotated[float, Field(ge=0), WithJsonSchema(_number_schema(positive=False, finite=False))]
"""Days, at least 0 (cache TTLs; ``.inf`` means for ever)."""


def ttls_in_order(min_ttl: float | None, max_ttl: float | None) -> None:
    """Refuse ``min_ttl > max_ttl`` (which no JSON Schema can express)."""
    if min_ttl is not None and max_ttl is not None and min_ttl > max_ttl:
        raise ValueError(
            f"max_ttl ({max_ttl:g}) must be at least min_ttl ({min_ttl:g}): a cached value "
            "is used as is for min_ttl days and never after max_ttl days"
        )


class RetryOptions(BaseModel):
    """Retries and timeout, shared by DAG defaults and namespace entries."""

    model_config: ClassVar[ConfigDict] = STRICT

    retries: Retries | None = Field(default=None, description="Extra attempts after a failure.")
    retry_backoff: Backoff | None = Field(
        default=None, description="Wait before the first retry; doubles on each retry."
    )
    timeout: Duration | None = Field(default=None, description="Longest one attempt may run.")


class HookOptions(BaseModel):
    """The run hooks of a DAG or a trigger: ``module:function`` names."""

    model_config: ClassVar[ConfigDict] = STRICT

    on_failure: Ref | None = Field(
        default=None,
        description="`module:function` called with a run summary after a run failed (once "
        "it is on record; a failing hook is logged, never fails the run).",
    )
    on_success: Ref | None = Field(
        default=None,
        description="`module:function` called with a run summary after a run completed.",
    )
    on_late: Ref | None = Field(
        default=None,
        description="`module:function` called once with a run summary when a run is late "
        "(the DAG's `sla`).",
    )
