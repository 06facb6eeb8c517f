"""Steps for the engine tests (allowed as ``tests.engine``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from lythonic.compose.namespace import DagContext

SEEN: list[tuple[str, Any, str]] = []
CLOCK: list[Any] = []  # the FakeClock of the running test, for steps that wait on it


async def stamp(ctx: DagContext, label: str = "none", extra: int = 0) -> str:
    """Records which run saw which label; returns ``v1:<label>``."""
    SEEN.append((ctx.run_id, ctx.scheduled_at, label))
    return f"v1:{label}:{extra}"


async def stamp_v2(ctx: DagContext, label: str = "none", extra: int = 0) -> str:
    """The 'edited' step: returns ``v2:<label>``."""
    SEEN.append((ctx.run_id, ctx.scheduled_at, label))
    return f"v2:{label}:{extra}"


async def slow(label: str = "none") -> str:
    """Waits 90 minutes on the test's fake clock."""
    clock = CLOCK[0]
    await clock.sleep_until(clock.now() + timedelta(minutes=90))
    return f"slow:{label}"


def flaky(marker: str) -> str:
    """Fails until the file ``marker`` exists (a run to restart)."""
    from pathlib import Path

    if not Path(marker).exists():
        raise RuntimeError(f"{marker} is not there yet")
    return "ok"


def shout(text: str) -> str:
    """Upper-case text."""
    return text.upper()


def chunks(n: int = 5) -> list[int]:
    """0 .. n-1, for a map."""
    return list(range(n))


def odd_fails(i: int) -> int:
    """A map element: odd numbers fail with the user's own error."""
    if i % 2:
        raise ValueError(f"element {i} is odd")
    return i


def timed_retry(marker: str) -> str:
    """Fails on the first attempt (it leaves ``marker``), passes on the next."""
    from pathlib import Path

    if not Path(marker).exists():
        Path(marker).write_text("tried")
        raise RuntimeError("first attempt fails")
    return "ok"
