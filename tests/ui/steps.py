"""Steps of the web view's test runs (importable by module path, as lyth.yaml needs)."""

from __future__ import annotations


def numbers(n: int = 120) -> list[int]:
    return list(range(n))


def square(x: int) -> int:
    if x == 7:
        raise ValueError("seven is not allowed here")
    return x * x


def total(values: list[int]) -> int:
    return sum(values)


def shout(text: str = "<script>alert(1)</script>") -> str:
    return text


def big(size: int = 400_000) -> str:
    return "x" * size


def echo(value: str) -> dict[str, str]:
    return {"value": value}
