"""References by name: ``NsRef`` ("scope:name" inside a namespace), ``GlobalRef``
("module:attr" to a Python object) and ``ModuleRef`` (a module path).

A reference is resolved lazily: building one never imports anything, so a
config file can name objects before their modules are importable.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from types import ModuleType
from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import CoreSchema, core_schema

from lythonic._public import publish


def get_module(name: str) -> ModuleType:
    """Return the module ``name``, importing it when it is not loaded yet."""
    module = sys.modules.get(name)
    if module is None:
        module = importlib.import_module(name)
    return module


def _str_schema(cls: type) -> CoreSchema:
    """A pydantic schema that accepts ``cls`` or ``str`` and serializes as ``str``."""
    from_str = core_schema.no_info_plain_validator_function(
        lambda v: v if type(v) is cls else cls(v)
    )
    return core_schema.json_or_python_schema(
        json_schema=core_schema.chain_schema([core_schema.str_schema(), from_str]),
        python_schema=from_str,
        serialization=core_schema.plain_serializer_function_ser_schema(str),
    )


class NsRef:
    """A ``"scope.path:name"`` reference inside a namespace.

    >>> NsRef("market.data:fetch").scope, NsRef("market.data:fetch").name
    (['market', 'data'], 'fetch')
    >>> str(NsRef(":fetch")), NsRef("a.b").name
    ('fetch', 'a.b')
    """

    __slots__ = ("name", "scope")

    scope: list[str]
    name: str

    def __init__(self, s: NsRef | str) -> None:
        if isinstance(s, NsRef):
            self.scope, self.name = list(s.scope), s.name
        elif ":" in s:
            prefix, self.name = s.split(":", 1)
            self.scope = prefix.split(".") if prefix else []
        else:
            self.scope, self.name = [], s

    def __str__(self) -> str:
        if not self.scope:
            return self.name
        return f"{'.'.join(self.scope)}:{self.name}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, NsRef):
            return self.scope == other.scope and self.name == other.name
        if isinstance(other, str):
            return str(self) == other
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    # Hashes the parts, not the string form: an NsRef is a dict key of its own
    # kind; mixing NsRef and str keys in one dict is not supported (as upstream).
    def __hash__(self) -> int:
        return hash((tuple(self.scope), self.name))

    def __lt__(self, other: object) -> bool:
        return str(self) < str(other)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return _str_schema(cls)


class GlobalRef(NsRef):
    """A reference to a Python object as ``"package.module:attr"``.

    A string without ``:`` names a module. ``get_instance()`` imports and
    resolves; a missing ``name__`` attribute is produced by calling the
    factory ``name()`` (the ``__`` convention).

    >>> GlobalRef("json:dumps").get_instance().__name__
    'dumps'
    """

    __slots__ = ()

    def __init__(self, s: Any) -> None:
        if isinstance(s, NsRef):
            self.scope, self.name = list(s.scope), s.name
        elif isinstance(s, ModuleType):
            self.scope, self.name = s.__name__.split("."), ""
        elif isinstance(s, str):
            assert s, "GlobalRef needs a non-empty string"
            parts = s.split(":")
            assert len(parts) <= 2, f"too many ':' in {s!r}"
            if len(parts) == 1:
                self.scope, self.name = parts[0].split("."), ""
            else:
                self.scope = parts[0].split(".") if parts[0] else []
                self.name = parts[1]
        elif inspect.isclass(s) or inspect.isfunction(s) or inspect.ismethod(s):
            self.scope, self.name = s.__module__.split("."), s.__name__
        else:
            raise TypeError(f"cannot build a GlobalRef from {type(s).__name__}: {s!r}")

    @property
    def module(self) -> str:
        return ".".join(self.scope)

    def __repr__(self) -> str:
        return f"GlobalRef({str(self)!r})"

    def get_module(self) -> ModuleType:
        return get_module(self.module)

    def is_module(self) -> bool:
        return not self.name

    def is_class(self) -> bool:
        return not self.is_module() and inspect.isclass(self.get_instance())

    def is_function(self) -> bool:
        return not self.is_module() and inspect.isfunction(self.get_instance())

    def is_async(self) -> bool:
        if self.is_module():
            return False
        obj = self.get_instance()
        if inspect.isclass(obj):
            return inspect.iscoroutinefunction(obj.__call__)
        return inspect.iscoroutinefunction(obj)

    def get_instance(self) -> Any:
        assert not self.is_module(), f"{self!r} refers to a module, not an object in it"
        module = self.get_module()
        try:
            return getattr(module, self.name)
        except AttributeError:
            if not self.name.endswith("__"):
                raise
            factory = getattr(module, self.name[:-2])
            return factory()


class ModuleRef:
    """A reference to a module by its dotted path.

    >>> ModuleRef("json").import_module().__name__
    'json'
    """

    __slots__ = ("path",)

    def __init__(self, s: Any) -> None:
        if isinstance(s, ModuleRef):
            self.path: str = s.path
        elif isinstance(s, ModuleType):
            self.path = s.__name__
        elif isinstance(s, NsRef):
            self.path = ".".join(s.scope)
        elif isinstance(s, str):
            self.path = s
        else:
            raise TypeError(f"cannot build a ModuleRef from {type(s).__name__}: {s!r}")

    def import_module(self) -> ModuleType:
        return get_module(self.path)

    def __str__(self) -> str:
        return self.path

    def __repr__(self) -> str:
        return f"ModuleRef({self.path!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ModuleRef):
            return self.path == other.path
        if isinstance(other, str):
            return self.path == other
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __hash__(self) -> int:
        return hash(self.path)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return _str_schema(cls)


publish("lythonic", NsRef, GlobalRef, ModuleRef, get_module)
