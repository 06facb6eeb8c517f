"""lythonic.types: the registry of string, JSON and SQLite forms of Python types."""

from __future__ import annotations

import sys
import types
from datetime import UTC, date, datetime
from enum import Enum, IntEnum, StrEnum
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from pydantic import BaseModel

from lythonic import GlobalRef, NsRef
from lythonic.types import (
    KNOWN_TYPES,
    DbTypeInfo,
    JsonBase,
    KnownType,
    KnownTypeArgs,
    KnownTypesMap,
)


class Fruit(StrEnum):
    PEAR = "pear"
    BANANA = "banana"


class Tool(IntEnum):
    SPANNER = 1
    WRENCH = 2


class Point(BaseModel):
    x: int
    y: int


class Animal(JsonBase):
    name: str


class Dog(Animal):
    good: bool = True


@pytest.mark.parametrize(
    ("value", "as_string", "as_json", "as_db", "db_type"),
    [
        (1, "1", 1, 1, "INTEGER"),
        (True, "True", True, True, "INTEGER"),
        (5.4, "5.4", 5.4, 5.4, "REAL"),
        ("hi", "hi", "hi", "hi", "TEXT"),
        (b"hello", "aGVsbG8=", "aGVsbG8=", b"hello", "BLOB"),
        (date(2025, 11, 6), "2025-11-06", "2025-11-06", "2025-11-06", "TEXT"),
        (
            datetime(2025, 11, 7, 7, 58, 51, 107831, tzinfo=UTC),
            "2025-11-07T07:58:51.107831+00:00",
            "2025-11-07T07:58:51.107831+00:00",
            "2025-11-07T07:58:51.107831+00:00",
            "TEXT",
        ),
        (Path("/a/b.txt"), "/a/b.txt", "/a/b.txt", "/a/b.txt", "TEXT"),
        (NsRef("a.b:c"), "a.b:c", "a.b:c", "a.b:c", "TEXT"),
        (GlobalRef("json:dumps"), "json:dumps", "json:dumps", "json:dumps", "TEXT"),
        (Fruit.PEAR, "pear", "pear", "pear", "TEXT"),
        (Tool.WRENCH, "2", 2, 2, "INTEGER"),
        (Point(x=1, y=2), '{"x": 1, "y": 2}', {"x": 1, "y": 2}, '{"x": 1, "y": 2}', "TEXT"),
    ],
)
def test_round_trips(value: Any, as_string: str, as_json: Any, as_db: Any, db_type: str) -> None:
    """Each built-in type maps to its string, JSON and db forms and back to an equal value."""
    kt = KNOWN_TYPES.resolve_type(type(value))
    assert (kt.string.map_to(value), kt.json.map_to(value), kt.db.map_to(value)) == (
        as_string,
        as_json,
        as_db,
    )
    assert kt.string.map_from(as_string) == value
    assert kt.json.map_from(as_json) == value
    assert kt.db.map_from(as_db) == value
    assert kt.db_type_info.name == db_type


def test_none_passes_through_every_conversion() -> None:
    """None maps to None in every direction, for every entry."""
    for kt in [*KNOWN_TYPES.types_by_type.values()]:
        for pair in (kt.string, kt.json, kt.db):
            assert pair.map_to(None) is None
            assert pair.map_from(None) is None


@pytest.mark.parametrize(
    ("t", "simple"),
    [
        (int, True),
        (float, True),
        (bool, True),
        (str, True),
        (date, True),
        (datetime, True),
        (Path, True),
        (NsRef, True),
        (GlobalRef, True),
        (Fruit, True),
        (Tool, True),
        (bytes, False),
        (Point, False),
        (Dog, False),
    ],
)
def test_simple_type_flags(t: type, simple: bool) -> None:
    """Plain URL-safe scalars are simple_type; bytes and models are not."""
    assert KNOWN_TYPES.resolve_type(t).simple_type is simple


def test_bool_text_is_parsed() -> None:
    """bool from text understands true/false words instead of bool('False') being True."""
    kt = KNOWN_TYPES.resolve_type(bool)
    assert [kt.string.map_from(s) for s in ("True", "false", "0", "YES", "off")] == [
        True,
        False,
        False,
        True,
        False,
    ]
    with pytest.raises(ValueError, match="not a boolean: 'maybe'"):
        kt.string.map_from("maybe")


def test_resolution_rules() -> None:
    """Names and aliases resolve; factories register subclasses; abstract entries are shared."""
    assert KNOWN_TYPES.resolve_type("INT") is KNOWN_TYPES.resolve_type(int)
    assert KNOWN_TYPES.resolve_type("literal") is KNOWN_TYPES.resolve_type(str)
    assert repr(KNOWN_TYPES.resolve_type(int)) == "KnownType('int', <class 'int'>)"
    assert KnownType.ensure("datetime") is KNOWN_TYPES.resolve_type(datetime)

    class Mood(Enum):
        UP = "up"

    assert Mood not in KNOWN_TYPES.types_by_type
    assert KNOWN_TYPES.resolve_type(Mood).name == "mood"
    assert Mood in KNOWN_TYPES.types_by_type
    assert KNOWN_TYPES.resolve_type(type(Path("x"))) is KNOWN_TYPES.resolve_type(Path)
    assert KNOWN_TYPES.resolve_type(Dog).type_ is JsonBase
    assert Dog not in KNOWN_TYPES.types_by_type


def test_resolution_errors() -> None:
    """Unknown names and classes give ValueError; a non-class gives TypeError."""
    with pytest.raises(ValueError, match="Unknown type zzz"):
        KNOWN_TYPES.resolve_type("zzz")
    with pytest.raises(ValueError, match="Unknown type <class 'dict'>"):
        KNOWN_TYPES.resolve_type(dict)
    with pytest.raises(TypeError):
        KNOWN_TYPES.resolve_type(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Unknown type"):
        KNOWN_TYPES.resolve_type(PurePosixPath)


def test_enum_values_are_accepted_where_members_are() -> None:
    """Enum and IntEnum db conversions take a raw value as well as a member."""
    assert KNOWN_TYPES.resolve_type(Fruit).db.map_to("banana") == "banana"
    assert KNOWN_TYPES.resolve_type(Tool).db.map_to(1) == 1
    assert KNOWN_TYPES.resolve_type(Tool).db.map_from(1) is Tool.SPANNER


def test_register_custom_type() -> None:
    """A type registered with string maps is stored as TEXT and round trips."""
    registry = KnownTypesMap()
    registry.register(
        KnownTypeArgs(
            concrete_type=complex, map_from_string=complex, simple_type=True, aliases=["cplx"]
        )
    )
    kt = registry.resolve_type("CPLX")
    assert kt.db.map_to(1 + 2j) == "(1+2j)"
    assert kt.db.map_from("(1+2j)") == 1 + 2j
    assert kt.db_type_info is DbTypeInfo.TEXT
    with pytest.raises(ValueError, match="duplicate type"):
        registry.register(KnownTypeArgs(concrete_type=complex, map_from_string=complex))
    with pytest.raises(ValueError, match="cannot derive conversions"):
        registry.register(KnownTypeArgs(concrete_type=object))


def test_db_type_info() -> None:
    """DbTypeInfo finds the storage class of a Python type."""
    assert DbTypeInfo.from_type(bool) is DbTypeInfo.INTEGER
    assert DbTypeInfo(float) is DbTypeInfo.REAL
    assert DbTypeInfo.BLOB.target_type is bytes
    assert DbTypeInfo.is_db_type(str)
    assert not DbTypeInfo.is_db_type(dict)
    with pytest.raises(ValueError, match="not stored natively"):
        DbTypeInfo.from_type(dict)


def test_json_base_names_its_class() -> None:
    """JsonBase stamps type_gref with the real class and loads the subclass back."""
    dog = Dog(name="Rex", type_gref="somewhere:Else")  # type: ignore[arg-type]
    data = dog.to_json()
    assert data == {"type_gref": f"{__name__}:Dog", "name": "Rex", "good": True}
    assert type(JsonBase.from_json(data)) is Dog
    assert type(Animal.from_json(data)) is Dog
    assert type(Animal.from_json({"name": "x"})) is Animal
    assert Animal.from_json({"name": "x"}).to_json()["type_gref"] == f"{__name__}:Animal"
    assert type(Dog.from_json(Animal(name="a").to_json())) is Dog


def test_json_base_imports_module_but_never_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stored type_gref is looked up, not called, and an unknown one is a clear error."""
    calls: list[str] = []
    module = types.ModuleType("fake_jsonbase_module")
    module.boom = lambda: calls.append("called")  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fake_jsonbase_module", module)
    with pytest.raises(
        ValueError, match="stored type_gref 'fake_jsonbase_module:boom__' not found"
    ):
        Animal.from_json({"type_gref": "fake_jsonbase_module:boom__", "name": "x"})
    assert type(Animal.from_json({"type_gref": "fake_jsonbase_module:boom", "name": "x"})) is Animal
    assert calls == []
    with pytest.raises(ValueError, match="no_such_module_xyz"):
        Animal.from_json({"type_gref": "no_such_module_xyz:Cls", "name": "x"})
