"""Steps of the plan oracle's random DAGs: each fails while its label is in FAILING."""

from __future__ import annotations

from typing import Any

from lythonic.compose.namespace import DagContext

FAILING: set[str] = set()


def _check(ctx: DagContext) -> None:
    where = str(ctx.dag_nsref)
    if ctx.node_label in FAILING or any(f"/{label}[" in where for label in FAILING):
        raise RuntimeError(f"{ctx.node_label} fails on purpose")


def _base(x: Any) -> int:
    if isinstance(x, tuple):  # a route's (branch, value)
        return int(x[1])
    return sum(x) if isinstance(x, list) else int(x)


def plain(ctx: DagContext, x: Any = 0) -> int:
    _check(ctx)
    return _base(x) + 1


def fan(ctx: DagContext, x: Any = 0) -> list[int]:
    _check(ctx)
    base = _base(x)
    return [base, base + 1, base + 2]


def elem(ctx: DagContext, x: int) -> int:
    _check(ctx)
    return x * 2


def route(ctx: DagContext, x: Any = 0) -> tuple[str, int]:
    _check(ctx)
    base = _base(x)
    return ("even" if base % 2 == 0 else "odd", base)


def even(ctx: DagContext, x: int) -> int:
    _check(ctx)
    return x + 10


def odd(ctx: DagContext, x: int) -> int:
    _check(ctx)
    return x + 20
