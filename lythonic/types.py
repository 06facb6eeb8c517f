"""Type registry: how a Python type is written as a string, a JSON value and an SQLite value.

Each registered type is a :class:`KnownType` with three :class:`MapPair`
conversions (``string``, ``json``, ``db``); ``KNOWN_TYPES`` holds them.

>>> kt = KNOWN_TYPES.resolve_type(date)
>>> kt.string.map_to(date(2025, 1, 2)), kt.db_type_info.name, kt.simple_type
('2025-01-02', 'TEXT', True)

A type is resolved by exact match first, then through its MRO: subclasses of
an *abstract* entry (``Path``, ``JsonBase``) share that entry, and subclasses
of a *factory* entry (``Enum``, ``IntEnum``, ``BaseModel``) get an entry of
their own, built and registered on first use.
"""

from __future__ import annotations

import base64
import inspect
import json as _json
from collections.abc import Callable, Iterator
from datetime import date, datetime
from enum import Enum, IntEnum
from pathlib import Path
from typing import Any, Generic, Self, TypeVar

from pydantic import BaseModel, model_validator

from lythonic import GlobalRef, NsRef, get_module

__all__ = [
    "KNOWN_TYPES",
    "DbTypeInfo",
    "JsonBase",
    "KnownType",
    "KnownTypeArgs",
    "KnownTypesMap",
    "MapPair",
]

T = TypeVar("T")

Mapper = Callable[[Any], Any]


class _NoneSafe:
    """Wraps a conversion so that None passes through unchanged."""

    __slots__ = ("fn",)

    def __init__(self, fn: Mapper) -> None:
        self.fn = fn

    def __call__(self, x: Any) -> Any:
        return None if x is None else self.fn(x)


def _none_safe(*fns: Mapper) -> Mapper:
    """Compose ``fns`` left to right into one None-preserving conversion."""
    if len(fns) == 1:
        fn = fns[0]
        return fn if isinstance(fn, _NoneSafe) else _NoneSafe(fn)

    def composed(x: Any) -> Any:
        for f in fns:
            x = f(x)
        return x

    return _NoneSafe(composed)


def _b64encode(b: bytes) -> str:
    return base64.b64encode(b).decode()


def _b64decode(s: str | bytes) -> bytes:
    return base64.b64decode(s) if isinstance(s, str) else s


_TRUE_WORDS = frozenset({"true", "1", "yes", "on", "y", "t"})
_FALSE_WORDS = frozenset({"false", "0", "no", "off", "n", "f", ""})


def _parse_bool(s: Any) -> bool:
    # bool("False") is True, so text needs a real parser.
    if not isinstance(s, str):
        return bool(s)
    word = s.strip().lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise ValueError(f"not a boolean: {s!r} (use true/false, yes/no, 1/0)")


def _enum_value(x: Any) -> Any:
    return x.value if isinstance(x, Enum) else x


def _model_to_json(m: BaseModel) -> Any:
    return m.model_dump(mode="json")


class MapPair(Generic[T]):
    """A pair of conversions between a Python value and its ``target_type`` form.

    ``map_to`` turns a Python value into the target form; ``map_from`` turns it back.
    """

    __slots__ = ("map_from", "map_to", "target_type")

    def __init__(
        self, map_from: Callable[[T], Any], map_to: Callable[[Any], T], target_type: type
    ) -> None:
        self.map_from = map_from
        self.map_to = map_to
        self.target_type = target_type

    def __repr__(self) -> str:
        return f"MapPair(target_type={self.target_type.__name__})"


# SQLite storage class -> (Python types stored as is, the Python type read back)
_STORAGE: dict[str, tuple[tuple[type, ...], type]] = {
    "INTEGER": ((int, bool), int),
    "REAL": ((float,), float),
    "TEXT": ((str,), str),
    "BLOB": ((bytes,), bytes),
}


class DbTypeInfo(Enum):
    """The SQLite storage class a value is written with.

    >>> DbTypeInfo.from_type(bool).name
    'INTEGER'
    """

    INTEGER = "INTEGER"
    REAL = "REAL"
    TEXT = "TEXT"
    BLOB = "BLOB"

    @property
    def input_types(self) -> tuple[type, ...]:
        return _STORAGE[self.value][0]

    @property
    def target_type(self) -> type:
        return _STORAGE[self.value][1]

    @classmethod
    def from_type(cls, t: type) -> DbTypeInfo:
        for member in cls:
            if t in member.input_types:
                return member
        raise ValueError(f"{t!r} is not stored natively by SQLite (int, bool, float, str, bytes)")

    @classmethod
    def is_db_type(cls, t: type) -> bool:
        return any(t in member.input_types for member in cls)

    @classmethod
    def _missing_(cls, value: object) -> DbTypeInfo | None:
        # DbTypeInfo(int) works as a lookup by Python type.
        if isinstance(value, type) and cls.is_db_type(value):
            return cls.from_type(value)
        return None


class KnownTypeArgs(BaseModel):
    """How to register a type; the conversions that are not given are derived.

    Give ``concrete_type`` for one class, or ``abstract_type`` for a class whose
    subclasses share the entry; with ``is_factory=True`` each subclass gets its
    own entry (its constructor and classmethods replace the abstract ones).
    Derivation starts from the string maps when given, else from the JSON
    maps, else from the SQLite form (``db_type``, or the type itself when
    SQLite stores it natively).

    >>> _ = KnownTypeArgs(concrete_type=complex, map_from_string=complex)
    """

    map_from_string: Callable[[str], Any] | None = None
    map_to_string: Callable[[Any], str] | None = None
    map_from_json: Callable[[Any], Any] | None = None
    map_to_json: Callable[[Any], Any] | None = None
    map_from_db: Callable[[Any], Any] | None = None
    map_to_db: Callable[[Any], Any] | None = None
    db_type: type | None = None
    json_type: type | None = None
    concrete_type: type | None = None
    abstract_type: type | None = None
    is_factory: bool = False
    simple_type: bool = False
    name: str | None = None
    aliases: list[str] | None = None

    def get_type(self) -> type:
        if self.concrete_type is not None:
            if self.abstract_type is not None or self.is_factory:
                raise ValueError(
                    "give either concrete_type or abstract_type; a factory is abstract"
                )
            return self.concrete_type
        if self.abstract_type is None:
            raise ValueError("KnownTypeArgs needs concrete_type or abstract_type")
        return self.abstract_type

    def build_concrete_type(self, concrete_type: type) -> KnownTypeArgs:
        """The args of a factory, specialised to ``concrete_type`` (a subclass)."""
        base = self.get_type()
        if not self.is_factory or not issubclass(concrete_type, base):
            raise ValueError(f"{concrete_type!r} cannot be built from {base!r}")

        def specialise(fn: Mapper | None) -> Mapper | None:
            if fn is base:
                return concrete_type
            if inspect.ismethod(fn) and fn.__self__ is base:
                return getattr(concrete_type, fn.__name__)
            return fn

        return self.model_copy(
            update={
                "concrete_type": concrete_type,
                "abstract_type": None,
                "is_factory": False,
                "name": None,
                "aliases": None,
                "map_from_string": specialise(self.map_from_string),
                "map_from_json": specialise(self.map_from_json),
                "map_from_db": specialise(self.map_from_db),
            }
        )


def _derive(a: KnownTypeArgs, t: type) -> tuple[MapPair[str], MapPair[Any], MapPair[Any]]:
    """Fill in the conversions ``a`` leaves out; returns the string, JSON and db pairs."""
    ns = _none_safe
    if a.map_from_string is not None or a.map_to_string is not None:
        from_s = ns(a.map_from_string or t)
        to_s = ns(a.map_to_string or str)
        string: MapPair[str] = MapPair(from_s, to_s, str)
        json: MapPair[Any] = MapPair(
            ns(a.map_from_json or from_s), ns(a.map_to_json or to_s), a.json_type or str
        )
        db: MapPair[Any] = MapPair(
            ns(a.map_from_db or from_s), ns(a.map_to_db or to_s), a.db_type or str
        )
        return string, json, db
    if a.map_from_json is not None and a.map_to_json is not None:
        from_j, to_j = ns(a.map_from_json), ns(a.map_to_json)
        json = MapPair(from_j, to_j, a.json_type or dict)
        string = MapPair(ns(_json.loads, from_j), ns(to_j, _json.dumps), str)
        db = MapPair(
            ns(a.map_from_db or string.map_from), ns(a.map_to_db or string.map_to), a.db_type or str
        )
        return string, json, db
    db_type = a.db_type or (t if DbTypeInfo.is_db_type(t) else None)
    if db_type is None:
        raise ValueError(f"cannot derive conversions for {t!r}: give string, JSON or db maps")
    read_db = _parse_bool if db_type is bool else db_type
    from_db = ns(a.map_from_db or (read_db if t is db_type else _none_safe(read_db, t)))
    to_db = ns(a.map_to_db or db_type)
    db = MapPair(from_db, to_db, db_type)
    if db_type is bytes:
        json = MapPair(ns(_b64decode, from_db), ns(to_db, _b64encode), a.json_type or str)
        string = MapPair(json.map_from, json.map_to, str)
    else:
        json = MapPair(from_db, to_db, a.json_type or db_type)
        string = MapPair(ns(read_db, from_db), ns(to_db, str), str)
    return string, json, db


class KnownType:
    """A registered type and its ``string``, ``json`` and ``db`` conversions.

    >>> KNOWN_TYPES.resolve_type(int)
    KnownType('int', <class 'int'>)
    """

    name: str
    aliases: set[str]
    type_: type
    is_abstract: bool
    string: MapPair[str]
    json: MapPair[Any]
    db: MapPair[Any]
    simple_type: bool

    def __init__(self, args: KnownTypeArgs) -> None:
        if args.is_factory:
            raise ValueError("a factory is registered with KnownTypesMap.register, not KnownType()")
        self.type_ = args.get_type()
        self.is_abstract = args.abstract_type is not None
        self.string, self.json, self.db = _derive(args, self.type_)
        self.name = (args.name or self.type_.__name__).lower()
        self.aliases = {self.name, *(a.lower() for a in args.aliases or ())}
        self.simple_type = args.simple_type

    @classmethod
    def ensure(cls, type_: type | str | KnownType) -> KnownType:
        return type_ if isinstance(type_, KnownType) else KNOWN_TYPES.resolve_type(type_)

    def get_type(self) -> type:
        return self.type_

    @property
    def db_type_info(self) -> DbTypeInfo:
        return DbTypeInfo.from_type(self.db.target_type)

    def __repr__(self) -> str:
        return f"KnownType({self.name!r}, {self.type_!r})"


# Scalars whose string form is plain and URL-safe are "simple" without saying so.
_PRIMITIVES = (int, float, bool, str)


class KnownTypesMap:
    """The registry: ``types`` by name and alias, ``types_by_type`` by class."""

    types: dict[str, KnownType]
    types_by_type: dict[type, KnownType]

    def __init__(self) -> None:
        self.types = {}
        self.types_by_type = {}
        self._factories: dict[type, KnownTypeArgs] = {}

    def register(self, *array_of_args: KnownTypeArgs) -> None:
        for args in array_of_args:
            if not args.simple_type and args.concrete_type in _PRIMITIVES:
                args = args.model_copy(update={"simple_type": True})
            if args.is_factory:
                self._factories[args.get_type()] = args
            else:
                self.register_type(KnownType(args))

    def register_type(self, t: KnownType) -> None:
        if t.type_ in self.types_by_type:
            raise ValueError(f"duplicate type {t.type_!r}")
        self.types_by_type[t.type_] = t
        for alias in t.aliases:
            self.types.setdefault(alias, t)

    def resolve_type(self, type_: type | str) -> KnownType:
        """The entry for ``type_`` (a class, or a registered name or alias).

        Raises ValueError for an unknown type and TypeError for a non-class.
        """
        if isinstance(type_, str):
            found = self.types.get(type_.lower())
            if found is None:
                raise ValueError(f"Unknown type {type_}")
            return found
        if not isinstance(type_, type):
            raise TypeError(f"expected a class or a type name, got {type_!r}")
        found = self.types_by_type.get(type_)
        if found is not None:
            return found
        for base in type_.__mro__[1:]:
            entry = self.types_by_type.get(base)
            if entry is not None and entry.is_abstract:
                return entry
            factory = self._factories.get(base)
            if factory is not None:
                built = KnownType(factory.build_concrete_type(type_))
                self.register_type(built)
                return built
        raise ValueError(f"Unknown type {type_}")


def _subclasses(cls: type) -> Iterator[type]:
    sub: type
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _stored_class(ref: Any, base: type[JsonBase]) -> type[JsonBase]:
    """The class named by a stored ``type_gref``, when it is ``base`` or a subclass of it.

    Classes already loaded are matched first, so nothing is imported for them;
    otherwise the module is imported and the attribute looked up (never
    called: a stored value must not run code).
    """
    if not ref:
        return base
    text = str(ref)
    for cls in (base, *_subclasses(base)):
        if str(GlobalRef(cls)) == text:
            return cls
    gref = GlobalRef(text)
    try:
        found = getattr(get_module(gref.module), gref.name)
    except (ImportError, AttributeError) as e:
        raise ValueError(
            f"cannot load {base.__name__}: stored type_gref {text!r} not found ({e})"
        ) from e
    if isinstance(found, type) and issubclass(found, base):
        return found
    return base


class JsonBase(BaseModel):
    """A pydantic model whose JSON names its own class in ``type_gref``.

    A field typed with a base class loads back as the subclass that was saved.

    >>> class Dog(JsonBase):
    ...     name: str
    >>> Dog(name="Rex").to_json()["name"], JsonBase.from_json(Dog(name="Rex").to_json()).__class__.__name__
    ('Rex', 'Dog')
    """

    type_gref: GlobalRef | None = None

    @model_validator(mode="before")
    @classmethod
    def _stamp_type(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {**data, "type_gref": str(GlobalRef(cls))}
        return data

    @classmethod
    def from_json(cls, json: dict[str, Any]) -> Self:
        target = _stored_class(json.get("type_gref"), cls)
        return target.model_validate(json)  # type: ignore[return-value]

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def _iso(x: date) -> str:
    return x.isoformat()


KNOWN_TYPES = KnownTypesMap()

KNOWN_TYPES.register(
    KnownTypeArgs(concrete_type=int),
    KnownTypeArgs(concrete_type=float),
    KnownTypeArgs(concrete_type=str, aliases=["literal"]),
    KnownTypeArgs(concrete_type=bool),
    KnownTypeArgs(concrete_type=bytes),
    KnownTypeArgs(
        concrete_type=date, map_from_string=date.fromisoformat, map_to_string=_iso, simple_type=True
    ),
    KnownTypeArgs(
        concrete_type=datetime,
        map_from_string=datetime.fromisoformat,
        map_to_string=_iso,
        simple_type=True,
    ),
    KnownTypeArgs(concrete_type=NsRef, map_from_string=NsRef, simple_type=True),
    KnownTypeArgs(concrete_type=GlobalRef, map_from_string=GlobalRef, simple_type=True),
    KnownTypeArgs(abstract_type=Path, map_from_string=Path, simple_type=True),
    KnownTypeArgs(
        abstract_type=Enum,
        is_factory=True,
        map_from_string=Enum,
        map_to_string=_enum_value,
        simple_type=True,
    ),
    KnownTypeArgs(
        abstract_type=IntEnum,
        is_factory=True,
        db_type=int,
        map_from_db=IntEnum,
        map_to_db=lambda x: int(_enum_value(x)),
        simple_type=True,
    ),
    KnownTypeArgs(
        abstract_type=BaseModel,
        is_factory=True,
        json_type=dict,
        map_from_json=BaseModel.model_validate,
        map_to_json=_model_to_json,
    ),
    KnownTypeArgs(
        abstract_type=JsonBase,
        json_type=dict,
        map_from_json=JsonBase.from_json,
        map_to_json=_model_to_json,
    ),
)
