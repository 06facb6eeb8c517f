"""Typed JSON for recorded values: round trips, annotations, placeholders."""

from __future__ import annotations

import dataclasses
import enum
import json
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from pydantic import BaseModel

from lythonic import GlobalRef, NsRef
from lythonic._codec import Unrecorded, decode, encode, has_unrecorded


class Point(BaseModel):
    x: int
    y: int


class Color(enum.Enum):
    RED = "red"


@dataclasses.dataclass
class Box:
    size: tuple[int, int]
    label: str = "b"


class Pair(NamedTuple):
    a: int
    b: str


def test_plain_json_is_written_as_itself():
    """Values JSON holds exactly are stored untagged, readable by a plain json.loads."""
    value = {"a": [1, 2.5, "x", None, True], "b": {"c": {}}}
    assert json.loads(encode(value)) == value


@pytest.mark.parametrize(
    "value",
    [
        (1, (2, 3)),
        {1, 2},
        frozenset({"a"}),
        {1: "one", (2, 3): "pair"},
        datetime(2024, 5, 1, 12, 30, tzinfo=UTC),
        date(2024, 5, 1),
        time(7, 15),
        timedelta(days=2, seconds=5, microseconds=7),
        Decimal("1.10"),
        uuid.UUID(int=5),
        Path("/tmp/x"),
        b"\x00\xff",
        complex(1, -2),
        float("inf"),
        Color.RED,
        Point(x=1, y=2),
        Box((1, 2)),
        Pair(1, "b"),
        NsRef("a.b:c"),
        GlobalRef("json:dumps"),
        {"__lyth__": "tuple", "items": [1]},
    ],
    ids=lambda v: type(v).__name__,
)
def test_round_trip_keeps_the_type(value: Any):
    """Tuples, sets, dates, Decimal, UUID, Path, bytes, Enums, models, dataclasses come back as themselves."""
    back = decode(encode(value))
    assert type(back) is type(value)
    assert back == value


def test_nan_round_trips():
    """NaN is tagged (plain JSON has no NaN) and decodes to NaN."""
    back = decode(encode({"v": float("nan")}))
    assert back["v"] != back["v"]


def test_annotation_restores_types_of_untagged_json():
    """With the declared annotation, plain JSON becomes models, tuples and dates."""
    assert decode('{"x": 1, "y": 2}', Point) == Point(x=1, y=2)
    assert decode("[[1, 2], [3, 4]]", list[tuple[int, int]]) == [(1, 2), (3, 4)]
    assert decode('"2024-01-02"', date) == date(2024, 1, 2)


def test_value_that_does_not_fit_the_annotation_is_kept_as_recorded(caplog):
    """A recorded value the annotation rejects is returned unchanged, with a warning."""
    assert decode('"abc"', int) == "abc"
    assert "does not fit" in caplog.text


class Opaque:
    def __repr__(self) -> str:
        return "<Opaque " + "x" * 1000 + ">"


def test_unrepresentable_value_becomes_a_placeholder():
    """An object JSON cannot hold is recorded as type, truncated repr and size; encoding never raises."""
    text = encode({"ok": 1, "bad": Opaque()})
    back = decode(text)
    assert back["ok"] == 1
    placeholder = back["bad"]
    assert isinstance(placeholder, Unrecorded)
    assert placeholder.type_name.endswith("test_codec.Opaque")
    assert placeholder.text.startswith("<Opaque") and len(placeholder.text) <= 200
    assert placeholder.size > 0
    assert has_unrecorded(back)


def test_self_containing_list_is_recorded_without_recursion_error():
    """A container holding itself is cut off with a placeholder instead of crashing."""
    loop: list[Any] = []
    loop.append(loop)
    assert has_unrecorded(decode(encode(loop)))


class Exploding(BaseModel):
    x: int

    def model_dump(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")


def test_a_model_whose_dump_raises_is_a_placeholder():
    """A serializer that raises gives a placeholder, not an exception."""
    assert isinstance(decode(encode(Exploding(x=1))), Unrecorded)


def test_classes_are_never_imported_because_a_record_names_them():
    """A tag naming a class in a module that is not imported decodes to the raw data."""
    text = '{"__lyth__":"model","class":"not_a_module_xyz:Thing","value":{"a":1}}'
    assert decode(text) == {"a": 1}


@pytest.mark.parametrize(
    ("tag", "payload"),
    [
        ("namedtuple", '"items":[["touch","{marker}"]]'),
        ("enum", '"value":["touch","{marker}"]'),
        ("ref", '"value":["touch","{marker}"]'),
        ("model", '"value":{{"args":["touch","{marker}"]}}'),
        ("dataclass", '"value":{{"args":["touch","{marker}"]}}'),
    ],
)
def test_a_record_naming_a_class_of_another_kind_never_calls_it(
    tag: str, payload: str, tmp_path: Path
):
    """A crafted record naming subprocess:Popen under any class tag decodes to data; nothing runs."""
    import subprocess  # imported, so only the tag check stands in the way

    marker = tmp_path / "ran"
    text = '{"__lyth__":"%s","class":"subprocess:Popen",%s}' % (  # noqa: UP031
        tag,
        payload.format(marker=marker),
    )
    decoded = decode(text)
    assert not marker.exists()
    assert not isinstance(decoded, subprocess.Popen)


def test_a_class_is_accepted_only_under_its_own_name():
    """An alias (`module:Name` re-exported from elsewhere) is not a class the record can name."""
    import sys
    import types

    alias = types.ModuleType("lyth_codec_alias_mod")
    alias.Pair = Pair  # type: ignore[attr-defined]
    sys.modules["lyth_codec_alias_mod"] = alias
    try:
        text = '{"__lyth__":"namedtuple","class":"lyth_codec_alias_mod:Pair","items":[1,"x"]}'
        decoded = decode(text)
    finally:
        del sys.modules["lyth_codec_alias_mod"]
    assert decoded == (1, "x") and type(decoded) is tuple
    assert type(decode(encode(Pair(1, "x")))) is Pair


def test_decoding_never_triggers_a_module_getattr():
    """A module's lazy `__getattr__` (which may import) is not consulted when looking up a class."""
    import sys
    import types

    calls: list[str] = []
    lazy = types.ModuleType("lyth_codec_lazy_mod")

    def _getattr(name: str) -> Any:
        calls.append(name)
        return Color

    lazy.__getattr__ = _getattr  # type: ignore[method-assign]
    sys.modules["lyth_codec_lazy_mod"] = lazy
    try:
        decoded = decode('{"__lyth__":"enum","class":"lyth_codec_lazy_mod:Color","value":"red"}')
    finally:
        del sys.modules["lyth_codec_lazy_mod"]
    assert calls == [] and decoded == "red"
