"""Steps of the durability tests (importable by the child processes too)."""

from __future__ import annotations

import asyncio

from lythonic.compose.namespace import Dag


def first(x: int) -> int:
    return x + 1


async def second(y: int, pause: float = 0.0) -> int:
    await asyncio.sleep(pause)
    if y < 0:
        raise ValueError("negative")
    return y * 2


def two_steps() -> Dag:
    dag = Dag()
    dag.node(first) >> dag.node(second)
    return dag
