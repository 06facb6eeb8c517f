"""How two recorded values differ, as paths: ``$.totals.emea: 64.0 → 237.38``.

Values are compared as their recorded JSON (decoded with ``json.loads``, not
into the step's types: the recorded form is what both runs share). Mappings
by key, lists by index with a length change named, floats within a relative
tolerance, and paths matching an ``--ignore`` pattern (``fnmatch`` style, such
as ``$.generated_at`` or ``$.rows[*].ts``) left out.
"""

from __future__ import annotations

import fnmatch
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Change", "value_changes"]

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SHOWN = 60  # characters of a value in a change line


@dataclass(frozen=True, slots=True)
class Change:
    """One difference: where, what it was, what it is (``None`` side: absent)."""

    path: str
    a: Any
    b: Any
    what: str  # "changed", "added", "removed", "type", "length"

    def text(self) -> str:
        """``$.totals.emea: 64.0 → 237.38``.

        >>> Change("$.n", 1, None, "removed").text()
        '$.n: 1 → (absent)'
        """
        return f"{self.path}: {_show(self.a, self.what == 'added')} → " + _show(
            self.b, self.what == "removed"
        )

    def as_json(self) -> dict[str, Any]:
        return {"path": self.path, "what": self.what, "a": self.a, "b": self.b}


def _show(value: Any, absent: bool) -> str:
    if absent:
        return "(absent)"
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def _child(path: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if _PLAIN_KEY.match(key) else f"{path}[{json.dumps(key)}]"


def value_changes(
    a: Any,
    b: Any,
    *,
    rtol: float = 0.0,
    ignore: Sequence[str] = (),
    limit: int = 50,
) -> tuple[list[Change], int]:
    """The differences between ``a`` and ``b`` (decoded JSON), at most ``limit`` of
    them, and how many there are in all.

    >>> changes, n = value_changes({"totals": {"emea": 64.0}}, {"totals": {"emea": 237.38}})
    >>> [c.text() for c in changes], n
    (['$.totals.emea: 64.0 → 237.38'], 1)
    >>> value_changes([1.0, 2.0], [1.0, 2.0000001], rtol=1e-6)
    ([], 0)
    """
    out: list[Change] = []
    count = 0
    patterns = [_literal_brackets(p) for p in ignore]

    def ignored(path: str) -> bool:
        return any(fnmatch.fnmatchcase(path, p) for p in patterns)

    def add(change: Change) -> None:
        nonlocal count
        count += 1
        if len(out) < limit:
            out.append(change)

    def walk(x: Any, y: Any, path: str) -> None:
        if ignored(path):
            return
        if isinstance(x, dict) and isinstance(y, dict):
            for key in x:
                if key in y:
                    walk(x[key], y[key], _child(path, key))
                elif not ignored(_child(path, key)):
                    add(Change(_child(path, key), x[key], None, "removed"))
            for key in y:
                if key not in x and not ignored(_child(path, key)):
                    add(Change(_child(path, key), None, y[key], "added"))
            return
        if isinstance(x, list) and isinstance(y, list):
            if len(x) != len(y):
                add(Change(f"{path}.length", len(x), len(y), "length"))
            for i, (xi, yi) in enumerate(zip(x, y, strict=False)):
                walk(xi, yi, _child(path, i))
            return
        if _numbers(x, y):
            if not math.isclose(x, y, rel_tol=rtol, abs_tol=0.0) and x != y:
                add(Change(path, x, y, "changed"))
            return
        if type(x) is not type(y):
            add(Change(path, x, y, "type"))
        elif x != y:
            add(Change(path, x, y, "changed"))

    walk(a, b, "$")
    return out, count


def _literal_brackets(pattern: str) -> str:
    """An ``--ignore`` path as an fnmatch pattern: brackets are the path's own (an
    index), ``*`` and ``?`` the wildcards.

    >>> fnmatch.fnmatchcase("$.rows[3].ts", _literal_brackets("$.rows[*].ts"))
    True
    """
    return pattern.replace("[", "\0").replace("]", "[]]").replace("\0", "[[]")


def _numbers(x: Any, y: Any) -> bool:
    return (
        isinstance(x, int | float)
        and isinstance(y, int | float)
        and not isinstance(x, bool)
        and not isinstance(y, bool)
    )
