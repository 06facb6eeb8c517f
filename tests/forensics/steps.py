"""Steps of the diff tests: items to price, a price each, totals."""

from __future__ import annotations

from lythonic.compose.namespace import DagContext


def items(n: int = 10, bump: int = -1, drift: float = 0.0) -> list[dict[str, float]]:
    return [{"i": i, "extra": (0.5 if i == bump else 0.0) + drift} for i in range(n)]


def price(item: dict[str, float]) -> float:
    return float(item["i"]) + item["extra"]


def totals(prices: list[float]) -> dict[str, float]:
    return {"sum": sum(prices), "count": len(prices)}


def scale(values: list[float], factor: float = 2.0) -> list[float]:
    return [v * factor for v in values]


def context_aware(ctx: DagContext, x: int = 1) -> dict[str, object]:
    return {"replaying": ctx.replaying, "attempt": ctx.attempt, "x": x}


def opaque(lock: object) -> str:
    return type(lock).__name__


def make_lock() -> object:
    import threading

    return threading.Lock()


def chatty(n: int = 3) -> int:
    import logging

    log = logging.getLogger("tests.forensics.chatty")
    for i in range(n):
        log.info("working on %d", i)
    log.warning("done with %d", n)
    return n


CALLS: list[str] = []  # what the cached and routed steps did, for the plan tests


def quote(ticker: str = "ACME") -> float:
    CALLS.append(f"quote {ticker}")
    return float(len(ticker))


def route(x: float) -> dict[str, object]:
    return {"__switch__": "big" if x > 3 else "small", "x": x}


def big(value: dict[str, object]) -> str:
    CALLS.append("big")
    return f"big {value['x']}"


def small(value: dict[str, object]) -> str:
    CALLS.append("small")
    return f"small {value['x']}"
