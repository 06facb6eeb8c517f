"""Typed JSON for recorded values, so restart and replay hand functions their own types.

Plain JSON values (str, int, finite float, bool, None, lists, and dicts with
str keys) are written as themselves, so the common case stays readable and
upstream readers can ``json.loads`` it. Everything else becomes a tagged
object ``{"__lyth__": <tag>, ...}``: tuples, sets, dicts with other keys,
dates and times, Decimal, UUID, Path, bytes, Enums, dataclasses, pydantic
models. A value none of that covers is recorded as an ``"unrecorded"``
placeholder (its type, a truncated repr, its size); encoding never raises.

Decoding reverses the tags, then, given the annotation the function declares
(``decode(text, annotation)``), validates the value into it with pydantic, so
``list[Point]`` comes back as points even from an untagged list of dicts.
Classes named in a tag are looked up among modules already imported, never
imported because a database says so, and used only when they fit the tag (an
Enum for ``enum``, a pydantic model for ``model``, ...): a record naming any
other class decodes to its plain data, so a crafted file cannot make decoding
call ``subprocess.Popen``.

>>> from datetime import date
>>> text = encode({"day": date(2024, 5, 1), "pair": (1, 2)})
>>> decode(text)
{'day': datetime.date(2024, 5, 1), 'pair': (1, 2)}
"""

from __future__ import annotations

import base64
import dataclasses
import inspect
import json
import logging
import math
import reprlib
import sys
import uuid
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from functools import lru_cache
from pathlib import PurePath
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from lythonic._events import event
from lythonic._public import publish

__all__ = ["TAG", "Unrecorded", "coerce", "decode", "encode", "has_unrecorded"]

log = logging.getLogger("lythonic.compose.provenance")

TAG = "__lyth__"
MAX_DEPTH = 200
"""Nesting deeper than this (or a container holding itself) is recorded as a placeholder."""

_SCALARS = frozenset({str, int, bool, type(None)})


def _no_default(o: Any) -> Any:
    raise TypeError(f"{type(o).__name__} is not JSON")


def _make_dumps() -> Any:
    """Compact, ASCII-only ``json.dumps`` without its per-call set-up (the C encoder, once)."""
    from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]

    if c_make_encoder is None:  # no C accelerator: the plain (slower) path
        return json.JSONEncoder(allow_nan=False, separators=(",", ":"), check_circular=False).encode
    encoder = c_make_encoder(
        None, _no_default, encode_basestring_ascii, None, ":", ",", False, False, False
    )
    join = "".join
    return lambda value: join(encoder(value, 0))


_dumps = _make_dumps()
_repr = reprlib.Repr()
_repr.maxstring = _repr.maxother = 160
_repr.maxlevel = 3


@dataclasses.dataclass(frozen=True, slots=True)
class Unrecorded:
    """Stands for a value that could not be recorded as JSON.

    ``type_name`` is its class (``module.Qualname``), ``text`` a truncated
    repr, ``size`` its ``sys.getsizeof`` in bytes.
    """

    type_name: str
    text: str
    size: int

    def __repr__(self) -> str:
        return f"<unrecorded {self.type_name}: {self.text}>"


def encode(value: Any) -> str:
    """``value`` as typed JSON text; never raises."""
    try:
        if _plain(value, 0):
            return _dumps(value)
        return _dumps(_prep(value, 0))
    except Exception:  # a broken __eq__, __iter__ or model serializer: record what we can
        return _dumps(_placeholder(value))


def _plain(v: Any, depth: int) -> bool:
    """True when ``json`` writes ``v`` exactly as a later ``json.loads`` gives it back."""
    t = type(v)
    if t in _SCALARS:
        return True
    if t is float:
        return math.isfinite(v)
    if depth >= MAX_DEPTH:
        return False
    if t is list:
        for x in v:
            tx = type(x)
            if tx is not int and tx is not str and not _plain(x, depth + 1):
                return False
        return True
    if t is dict:
        if TAG in v:
            return False
        for k, x in v.items():
            if type(k) is not str:
                return False
            tx = type(x)
            if tx is not int and tx is not str and not _plain(x, depth + 1):
                return False
        return True
    return False


def _cls_ref(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _placeholder(v: Any) -> dict[str, Any]:
    cls = type(v)
    try:
        text = _repr.repr(v)
    except Exception:
        text = object.__repr__(v)
    try:
        size = sys.getsizeof(v)
    except Exception:
        size = -1
    return {
        TAG: "unrecorded",
        "type": f"{cls.__module__}.{cls.__qualname__}",
        "repr": text[:200],
        "size": size,
    }


def _prep(v: Any, depth: int) -> Any:
    """A JSON-ready copy of ``v`` with tags for everything plain JSON would change."""
    t = type(v)
    if t in _SCALARS:
        return v
    if depth >= MAX_DEPTH:
        return _placeholder(v)
    try:
        return _prep_typed(v, t, depth + 1)
    except Exception:
        return _placeholder(v)


def _prep_typed(v: Any, t: type, depth: int) -> Any:
    if t is float:
        return v if math.isfinite(v) else {TAG: "float", "value": repr(v)}
    if t is list:
        return [_prep(x, depth) for x in v]
    if t is dict or (isinstance(v, Mapping) and not isinstance(v, BaseModel)):
        if TAG not in v and all(type(k) is str for k in v):
            return {k: _prep(x, depth) for k, x in v.items()}
        return {TAG: "dict", "items": [[_prep(k, depth), _prep(x, depth)] for k, x in v.items()]}
    if isinstance(v, Enum):
        return {TAG: "enum", "class": _cls_ref(t), "value": _prep(v.value, depth)}
    if isinstance(v, bool):  # subclasses of the JSON scalars that are not Enums
        return bool(v)
    if isinstance(v, int):
        return int(v)
    if isinstance(v, str):
        return str(v)
    if isinstance(v, float):
        return _prep_typed(float(v), float, depth)
    if isinstance(v, tuple):
        items = [_prep(x, depth) for x in v]
        if hasattr(v, "_fields"):
            return {TAG: "namedtuple", "class": _cls_ref(t), "items": items}
        return {TAG: "tuple", "items": items}
    if isinstance(v, list):
        return [_prep(x, depth) for x in v]
    if isinstance(v, frozenset):
        return {TAG: "frozenset", "items": [_prep(x, depth) for x in v]}
    if isinstance(v, set):
        return {TAG: "set", "items": [_prep(x, depth) for x in v]}
    if isinstance(v, BaseModel):
        dumped = v.model_dump(mode="json", by_alias=True)
        return {TAG: "model", "class": _cls_ref(t), "value": _prep(dumped, depth)}
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        fields = {f.name: _prep(getattr(v, f.name), depth) for f in dataclasses.fields(v)}
        return {TAG: "dataclass", "class": _cls_ref(t), "value": fields}
    if isinstance(v, datetime):
        return {TAG: "datetime", "value": v.isoformat()}
    if isinstance(v, date):
        return {TAG: "date", "value": v.isoformat()}
    if isinstance(v, time):
        return {TAG: "time", "value": v.isoformat()}
    if isinstance(v, timedelta):
        return {TAG: "timedelta", "value": [v.days, v.seconds, v.microseconds]}
    if isinstance(v, Decimal):
        return {TAG: "decimal", "value": str(v)}
    if isinstance(v, uuid.UUID):
        return {TAG: "uuid", "value": str(v)}
    if isinstance(v, PurePath):
        return {TAG: "path", "value": str(v)}
    if isinstance(v, bytes | bytearray | memoryview):
        return {TAG: "bytes", "value": base64.b64encode(bytes(v)).decode("ascii")}
    if isinstance(v, complex):
        return {TAG: "complex", "value": [_prep(v.real, depth), _prep(v.imag, depth)]}
    from lythonic._refs import NsRef

    if isinstance(v, NsRef):
        return {TAG: "ref", "class": _cls_ref(t), "value": str(v)}
    return _placeholder(v)


# -- decoding ---------------------------------------------------------------


def _find_class(ref: Any) -> type | None:
    """The class ``module:qualname`` names, if its module is already imported.

    Only the modules' and classes' own ``__dict__`` are read (no ``getattr``,
    so no module ``__getattr__`` can import anything), and the class found
    must itself be defined at that name: an alias such as ``mypkg:Popen``
    (``from subprocess import Popen``) is not accepted.
    """
    if not isinstance(ref, str) or ":" not in ref:
        return None
    module_name, _, qualname = ref.partition(":")
    obj: Any = sys.modules.get(module_name)
    for part in qualname.split("."):
        if obj is None or part == "<locals>":
            return None
        namespace = getattr(obj, "__dict__", None)
        obj = namespace.get(part) if isinstance(namespace, Mapping) else None
    if not isinstance(obj, type):
        return None
    if obj.__module__ != module_name or obj.__qualname__ != qualname:
        return None
    return obj


_CLASS_TAGS = frozenset({"namedtuple", "enum", "model", "dataclass", "ref"})


def _fits(tag: Any, cls: type) -> bool:
    """True when ``cls`` is a class ``encode`` could have written under ``tag``.

    A record names its class, and the record may come from a file someone else
    wrote: calling whatever class it names (``subprocess:Popen``) would run
    code. So a class is used only for the tag it belongs to.
    """
    if tag == "namedtuple":
        return issubclass(cls, tuple) and isinstance(getattr(cls, "_fields", None), tuple)
    if tag == "enum":
        return issubclass(cls, Enum)
    if tag == "model":
        return issubclass(cls, BaseModel)
    if tag == "dataclass":
        return dataclasses.is_dataclass(cls)
    if tag == "ref":
        from lythonic._refs import NsRef

        return issubclass(cls, NsRef)
    return False


def _class_for(d: dict[str, Any]) -> type | None:
    """The class a tagged record names, when it is imported and fits the tag."""
    cls = _find_class(d.get("class"))
    if cls is None:
        return None
    if not _fits(d.get(TAG), cls):
        log.warning(
            "a recorded %s value names class %r, which is not one; using the data as recorded",
            d.get(TAG),
            d.get("class"),
            extra=event("value_class_unknown", tag=d.get(TAG), cls=d.get("class")),
        )
        return None
    return cls


def _untag(d: dict[str, Any]) -> Any:
    tag = d.get(TAG)
    value: Any = d.get("value")
    if tag == "tuple":
        return tuple(d["items"])
    if tag == "dict":
        return {_hashable(k): x for k, x in d["items"]}
    if tag == "set":
        return {_hashable(x) for x in d["items"]}
    if tag == "frozenset":
        return frozenset(_hashable(x) for x in d["items"])
    if tag == "float":
        return float(value)
    if tag == "datetime":
        return datetime.fromisoformat(value)
    if tag == "date":
        return date.fromisoformat(value)
    if tag == "time":
        return time.fromisoformat(value)
    if tag == "timedelta":
        return timedelta(days=value[0], seconds=value[1], microseconds=value[2])
    if tag == "decimal":
        return Decimal(value)
    if tag == "uuid":
        return uuid.UUID(value)
    if tag == "path":
        from pathlib import Path

        return Path(value)
    if tag == "bytes":
        return base64.b64decode(value)
    if tag == "complex":
        return complex(value[0], value[1])
    if tag == "unrecorded":
        return Unrecorded(str(d.get("type")), str(d.get("repr")), int(d.get("size", -1)))
    if tag not in _CLASS_TAGS:
        return d  # written by a newer version: keep it as recorded
    cls = _class_for(d)
    if tag == "namedtuple":
        return cls(*d["items"]) if cls is not None else tuple(d["items"])
    if cls is None:
        # The class is not importable here: keep the data rather than fail.
        return value
    if tag == "enum":
        return cls(value)
    if tag == "model":
        return cls.model_validate(value)  # type: ignore[attr-defined]
    if tag == "dataclass":
        init = {f.name for f in dataclasses.fields(cls) if f.init}
        obj = cls(**{k: x for k, x in value.items() if k in init})
        for k, x in value.items():
            if k not in init:
                object.__setattr__(obj, k, x)
        return obj
    return cls(value)  # "ref"


def _hashable(x: Any) -> Any:
    if isinstance(x, list):
        return tuple(_hashable(i) for i in x)
    if isinstance(x, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in x.items()))
    if isinstance(x, set):
        return frozenset(x)
    return x


def _hook(d: dict[str, Any]) -> Any:
    if TAG not in d:
        return d
    try:
        return _untag(d)
    except Exception as e:  # a class that changed since the value was recorded
        log.warning(
            "could not restore a recorded %s value: %s",
            d.get(TAG),
            e,
            extra=event("value_not_restored", tag=d.get(TAG), error=str(e)),
        )
        return d.get("value", d)


_decoder = json.JSONDecoder(object_hook=_hook)


def decode(text: str | None, annotation: Any = None) -> Any:
    """The value ``encode`` recorded as ``text``, as ``annotation`` when one is given."""
    if text is None:
        return None
    value = _decoder.decode(text)
    return coerce(value, annotation)


@lru_cache(maxsize=512)
def _adapter(annotation: Any) -> TypeAdapter[Any]:
    return TypeAdapter(annotation)


def coerce(value: Any, annotation: Any) -> Any:
    """``value`` validated into ``annotation``; unchanged when that is impossible."""
    if annotation is None or annotation is Any or annotation is inspect.Parameter.empty:
        return value
    if has_unrecorded(value):
        return value
    try:
        try:
            adapter = _adapter(annotation)
        except TypeError:  # an unhashable annotation
            adapter = TypeAdapter(annotation)
    except Exception:  # an annotation pydantic cannot validate (an arbitrary class)
        return value
    try:
        return adapter.validate_python(value)
    except ValidationError as e:
        log.warning(
            "a recorded value does not fit %s any more (%s); using it as recorded",
            annotation,
            e.errors()[0].get("msg", e) if e.errors() else e,
            extra=event("value_does_not_fit", annotation=str(annotation)),
        )
        return value


def has_unrecorded(value: Any, depth: int = 0) -> bool:
    """True when ``value`` holds a placeholder for something that was not recordable."""
    if isinstance(value, Unrecorded):
        return True
    if depth > MAX_DEPTH:
        return False
    if isinstance(value, dict):
        return any(has_unrecorded(x, depth + 1) for x in value.values())
    if isinstance(value, list | tuple | set | frozenset):
        return any(has_unrecorded(x, depth + 1) for x in value)
    return False


publish("lythonic.compose.dag_provenance", Unrecorded)
