"""The type-compatibility rules that wiring and validation share."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal, NewType, Optional, TypeVar, Union

import pytest
from pydantic import BaseModel

from lythonic.compose.nodes._typecompat import fan_in_element, format_type, is_any, is_compatible


class Base(BaseModel):
    x: int = 0


class Child(Base):
    pass


UserId = NewType("UserId", int)
T = TypeVar("T")
Bounded = TypeVar("Bounded", bound=Base)

COMPATIBLE = [
    (int, int),
    (Child, Base),
    (int, float),
    (bool, int),
    (int, Any),
    (Any, int),
    (int, Optional[int]),  # noqa: UP045 -- the typing spelling is what is tested
    (int, int | None),
    (int, Union[int, str]),  # noqa: UP007 -- the typing spelling is what is tested
    (int | str, int | str | None),
    (dict[str, int], dict),
    (dict, dict[str, int]),
    (dict[str, int], dict[str, Any]),
    (dict[str, int], Mapping[str, int]),
    (list[int], Sequence[int]),
    (list[Child], list[Base]),
    (tuple[int, int], tuple[int, ...]),
    (Annotated[int, "meta"], int),
    (UserId, int),
    (T, str),
    (Child, Bounded),
    (Literal["a", "b"], str),
    (type(None), Optional[int]),  # noqa: UP045
    ("SomeForwardRef", int),
]

INCOMPATIBLE = [
    (str, int),
    (float, int),
    (Base, Child),
    (int | None, int),
    (int | str, int),
    (dict[str, int], dict[str, str]),
    (list[str], list[int]),
    (list[int], dict),
    (tuple[int, str], tuple[int, ...]),
    (type(None), int),
    (Literal[1], str),
]


@pytest.mark.parametrize(("up", "down"), COMPATIBLE)
def test_compatible_pairs(up: Any, down: Any) -> None:
    """Each pair is a value the parameter can take."""
    assert is_compatible(up, down)


@pytest.mark.parametrize(("up", "down"), INCOMPATIBLE)
def test_incompatible_pairs(up: Any, down: Any) -> None:
    """Each pair is a value the parameter cannot take."""
    assert not is_compatible(up, down)


def test_fan_in_element() -> None:
    """list[X] parameters collect X upstreams; other parameters do not."""
    assert fan_in_element(list[int]) is int
    assert fan_in_element(list) is Any
    assert fan_in_element("list[Foo]") == "Foo"
    assert fan_in_element(int) is None and fan_in_element(dict[str, int]) is None


def test_is_any_and_format_type() -> None:
    """Unknown annotations count as Any; types print readably."""
    assert is_any(None) and is_any(Any) and is_any(object) and is_any("Unresolved")
    assert not is_any(int)
    assert format_type(dict[str, int]) == "dict[str, int]"
    assert format_type(Optional[int]) == "Optional[int]"  # noqa: UP045
    assert format_type(type(None)) == "None"
    assert format_type(Base) == "Base" and format_type(int) == "int"
