"""``Result``: an explicit success-or-error value, for code that prefers
returning errors to raising them."""

from __future__ import annotations

from typing import Generic, TypeVar

from lythonic._public import publish

TOk = TypeVar("TOk")
TErr = TypeVar("TErr")


class Result(Generic[TOk, TErr]):
    """Exactly one of ``ok`` and ``err`` is set.

    >>> Result.Ok(5).unwrap()
    5
    >>> Result.Err("boom").is_err()
    True
    """

    __slots__ = ("_err", "_ok")

    def __init__(self, ok: TOk | None = None, err: TErr | None = None) -> None:
        assert (ok is None) != (err is None), "Result needs exactly one of ok and err"
        self._ok = ok
        self._err = err

    @classmethod
    def Ok(cls, value: TOk) -> Result[TOk, TErr]:
        return cls(ok=value)

    @classmethod
    def Err(cls, error: TErr) -> Result[TOk, TErr]:
        return cls(err=error)

    def is_ok(self) -> bool:
        return self._ok is not None

    def is_err(self) -> bool:
        return self._err is not None

    def ok(self) -> TOk | None:
        return self._ok

    def err(self) -> TErr | None:
        return self._err

    def unwrap(self) -> TOk:
        if self._ok is None:
            raise ValueError(f"Called unwrap on Err: {self._err}")
        return self._ok

    def unwrap_err(self) -> TErr:
        if self._err is None:
            raise ValueError(f"Called unwrap_err on Ok: {self._ok}")
        return self._err

    def __repr__(self) -> str:
        return f"Ok({self._ok!r})" if self._ok is not None else f"Err({self._err!r})"


publish("lythonic", Result)
