"""Step functions of bench/dask_targets.py (importable by the Dask workers)."""

from __future__ import annotations

ITEMS = 100_000
SPIN = 1_900_000  # pure-Python iterations of about 100 ms on this machine


def numbers(n: int) -> list[int]:
    return list(range(n))


def spins(n: int) -> list[int]:
    return [SPIN] * n


def spin(n: int) -> int:
    total = 0
    for i in range(n):
        total += i % 7
    return total


def twice(x: int) -> int:
    return 2 * x
