"""Callable introspection: ParamInfo, MethodInterface, Method, MethodDict."""

from __future__ import annotations

import inspect
import typing
from datetime import date
from typing import Any

import pytest
from pydantic import BaseModel, Field

from lythonic import GlobalRef
from lythonic.compose import Method, MethodDict, MethodInterface, ParamInfo


def sample(x: int, y: str = "hello") -> bool:
    """A sample function."""
    return bool(x) and bool(y)


def fetch(ticker: str, day: date, limit: int = 10) -> dict[str, Any]:
    return {"ticker": ticker, "day": day, "limit": limit}


def raw(data: bytes) -> None:
    del data


def untyped(a, b=2):  # type: ignore[no-untyped-def]
    return a


class Query(BaseModel):
    name: str = Field(description="The name")
    count: int = Field(default=0, description="How many")


def test_param_info_resolves_future_annotations() -> None:
    """String annotations from `from __future__ import annotations` become real types."""
    hints = typing.get_type_hints(sample)
    p0, p1 = (
        ParamInfo.from_param(p, sample, hints)
        for p in inspect.signature(sample).parameters.values()
    )
    assert (p0.name, p0.type_str, p0.annotation, p0.is_optional, p0.default) == (
        "x",
        "int",
        int,
        False,
        None,
    )
    assert (p1.name, p1.annotation, p1.is_optional, p1.default) == ("y", str, True, "hello")


def test_method_interface_describes_signature_and_doc() -> None:
    """Params in order, return type, docstring; annotation objects are not serialized."""
    iface = MethodInterface.from_callable(sample)
    assert [p.name for p in iface.params] == ["x", "y"]
    assert (iface.return_type, iface.return_annotation, iface.doc) == (
        "bool",
        bool,
        "A sample function.",
    )
    data = iface.model_dump()
    assert "return_annotation" not in data and all("annotation" not in p for p in data["params"])
    again = MethodInterface.model_validate(data)
    assert again.params[1].default == "hello" and again.return_annotation is None


def test_return_none_and_unannotated() -> None:
    """`-> None` gives NoneType; no annotation gives None."""
    assert MethodInterface.from_callable(raw).return_annotation is type(None)
    iface = MethodInterface.from_callable(untyped)
    assert iface.return_annotation is None and iface.params[0].type_str == "Any"


def test_interface_of_pydantic_model_uses_field_info() -> None:
    """A BaseModel class describes its fields, with descriptions and defaults."""
    iface = MethodInterface.from_callable(Query)
    assert [(p.name, p.description, p.is_optional, p.default) for p in iface.params] == [
        ("name", "The name", False, None),
        ("count", "How many", True, 0),
    ]


def test_simple_type_validation() -> None:
    """Cache keys need simple types; the error names the parameter and the function."""
    Method(fetch).validate_simple_type_args()
    with pytest.raises(ValueError, match=r"Parameter `data` on `raw`.*simple_type"):
        Method(raw).validate_simple_type_args()
    with pytest.raises(ValueError, match="no type annotation"):
        Method(untyped).validate_simple_type_args()


def test_method_from_callable_and_from_gref() -> None:
    """A Method knows its GlobalRef, name and args; a GlobalRef is resolved eagerly."""
    m = Method(fetch)
    assert str(m.gref) == "tests.compose.nodes.test_introspect:fetch"
    assert (m.name, [a.name for a in m.args]) == ("fetch", ["ticker", "day", "limit"])
    assert m.args_by_name["limit"].default == 10
    assert m(ticker="X", day=date(2024, 1, 1))["limit"] == 10
    by_ref = Method(GlobalRef("tests.compose.nodes.test_introspect:sample"))
    assert (
        by_ref.o is sample
        and by_ref.return_annotation is bool
        and by_ref.doc == "A sample function."
    )
    assert Method(fetch, name="other").name == "other"


def test_closures_and_builtins_have_no_gref() -> None:
    """Objects without a global name get gref None and still work."""

    def make_adder(n: int) -> typing.Callable[[int], int]:
        def adder(x: int) -> int:
            return x + n

        return adder

    m = Method(make_adder(5))
    assert m.gref is None and m.name == "adder" and m(3) == 8
    assert m.args[0].annotation is int


def test_method_dict_registers_by_lowercase_name() -> None:
    """MethodDict.add/wrap key methods by lowercased name and return the Method."""
    methods: MethodDict[Method] = MethodDict(Method)

    @methods.wrap
    def Shout(text: str) -> str:
        return text.upper()

    assert isinstance(Shout, Method) and methods["shout"] is Shout
    assert methods.add(sample).name == "sample" and "sample" in methods
