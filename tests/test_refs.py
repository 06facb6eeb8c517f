"""References, Result and the top-level helpers."""

from __future__ import annotations

import json
from datetime import UTC

import pytest
from pydantic import BaseModel

from lythonic import GlobalRef, ModuleRef, NsRef, Result, str_or_none, utc_now


def factory() -> dict[str, int]:
    """A factory for the ``name__`` convention."""
    return {"made": 1}


cached__ = {"cached": True}


def cached() -> dict[str, bool]:
    return {"cached": False}


class Holder(BaseModel):
    ns: NsRef
    g: GlobalRef
    m: ModuleRef


def test_nsref_parses_scope_and_name() -> None:
    """Text before the first ':' is the dotted scope, the rest the name."""
    ref = NsRef("market.data:fetch")
    assert (ref.scope, ref.name) == (["market", "data"], "fetch")
    assert NsRef("a.b").scope == [] and NsRef("a.b").name == "a.b"
    assert NsRef("x:y:z").name == "y:z"


def test_nsref_str_repr_and_equality() -> None:
    """str drops an empty scope; equality works against NsRef and str; hash is of the parts."""
    assert str(NsRef(":f")) == "f"
    assert str(NsRef("a.b:")) == "a.b:"
    assert repr(NsRef("m:f")) == "NsRef('m:f')"
    assert NsRef("m:f") == "m:f" and NsRef("m:f") == NsRef("m:f")
    assert NsRef("m:f") != NsRef("m:g")
    assert hash(NsRef("m:f")) == hash((("m",), "f"))
    assert NsRef("a:b") < NsRef("b:a")
    assert NsRef(NsRef("m:f")) == NsRef("m:f")


def test_globalref_from_objects_and_strings() -> None:
    """Modules, functions, classes and strings all become module:name references."""
    assert str(GlobalRef(json)) == "json:"  # a module-only ref keeps the colon, as upstream
    assert GlobalRef(json).is_module()
    assert str(GlobalRef(json.dumps)) == "json:dumps"
    assert str(GlobalRef(Holder)) == "tests.test_refs:Holder"
    assert GlobalRef("json:dumps").get_instance() is json.dumps
    assert GlobalRef("json").module == "json"
    assert repr(GlobalRef("json:dumps")) == "GlobalRef('json:dumps')"
    assert GlobalRef(":x").scope == []


def test_globalref_rejects_bad_strings() -> None:
    """An empty string and more than one ':' are refused."""
    with pytest.raises(AssertionError):
        GlobalRef("")
    with pytest.raises(AssertionError, match="too many"):
        GlobalRef("a:b:c")


def test_globalref_factory_convention() -> None:
    """``name__`` calls ``name()`` unless an attribute ``name__`` exists."""
    assert GlobalRef("tests.test_refs:factory__").get_instance() == {"made": 1}
    assert GlobalRef("tests.test_refs:cached__").get_instance() == {"cached": True}
    with pytest.raises(AttributeError):
        GlobalRef("tests.test_refs:missing__").get_instance()


def test_globalref_kind_checks() -> None:
    """is_class / is_function / is_async inspect the resolved object."""

    assert GlobalRef("tests.test_refs:Holder").is_class()
    assert GlobalRef("tests.test_refs:factory").is_function()
    assert not GlobalRef("json").is_async()
    assert GlobalRef("asyncio:sleep").is_async()


def test_moduleref_forms() -> None:
    """ModuleRef takes a str, a module, a ModuleRef or an NsRef's scope."""
    assert ModuleRef("json").import_module() is json
    assert ModuleRef(json) == "json"
    assert ModuleRef(NsRef("a.b:c")).path == "a.b"
    assert repr(ModuleRef("json")) == "ModuleRef('json')"
    assert hash(ModuleRef("json")) == hash(ModuleRef(json))
    with pytest.raises(TypeError):
        ModuleRef(42)


def test_refs_round_trip_through_pydantic() -> None:
    """Refs validate from strings and serialize back to strings."""
    h = Holder.model_validate({"ns": "a:b", "g": "json:dumps", "m": "json"})
    assert isinstance(h.g, GlobalRef) and h.g.get_instance() is json.dumps
    assert h.model_dump(mode="json") == {"ns": "a:b", "g": "json:dumps", "m": "json"}
    assert Holder.model_validate_json(h.model_dump_json()) == h


def test_result_ok_and_err() -> None:
    """Exactly one side is set; unwrap on the wrong side explains itself."""
    ok, err = Result.Ok(123), Result.Err("fail")
    assert ok.is_ok() and not ok.is_err() and ok.unwrap() == 123 and ok.ok() == 123
    assert err.is_err() and err.unwrap_err() == "fail" and err.err() == "fail"
    assert (repr(ok), repr(err)) == ("Ok(123)", "Err('fail')")
    with pytest.raises(ValueError, match="Called unwrap on Err"):
        err.unwrap()
    with pytest.raises(ValueError, match="Called unwrap_err on Ok"):
        ok.unwrap_err()
    with pytest.raises(AssertionError):
        Result()


def test_helpers() -> None:
    """utc_now is aware UTC; str_or_none keeps None."""
    assert utc_now().tzinfo is UTC
    assert str_or_none(None) is None and str_or_none(5) == "5"
