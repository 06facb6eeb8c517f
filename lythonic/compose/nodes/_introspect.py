"""Callable introspection: what a function takes and returns, as data.

Type hints are resolved with ``typing.get_type_hints`` so modules written with
``from __future__ import annotations`` describe real types, not strings.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField

from lythonic._public import publish
from lythonic._refs import GlobalRef

__all__ = ["Method", "MethodDict", "MethodInterface", "ParamInfo", "resolve_hints"]


def resolve_hints(o: Any, localns: dict[str, Any] | None = None) -> dict[str, Any]:
    """Resolved type hints of ``o``; ``{}`` when they cannot be resolved."""
    target = o
    if inspect.isclass(o) and not issubclass(o, BaseModel):
        target = o.__init__
    try:
        return typing.get_type_hints(target, localns=localns)
    except Exception:
        # An unresolvable forward reference: fall back to the raw annotations
        # (callers treat strings they cannot interpret as "unknown type").
        return dict(getattr(target, "__annotations__", None) or {})


def _type_to_str(annotation: Any) -> str:
    if annotation is None or annotation is inspect.Parameter.empty:
        return "Any"
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation)


class ParamInfo(BaseModel):
    """One parameter of a callable, as serializable data."""

    model_config: ClassVar[ConfigDict] = ConfigDict(arbitrary_types_allowed=True, defer_build=True)

    name: str
    type_str: str = "Any"
    default: Any | None = None
    is_optional: bool = False
    description: str = ""
    annotation: Any = PydanticField(default=None, exclude=True)

    @classmethod
    def from_param(
        cls, param: inspect.Parameter, origin: Any, hints: dict[str, Any] | None = None
    ) -> ParamInfo:
        """Describe ``param`` of ``origin``; ``hints`` are its resolved type hints."""
        annotation: Any = None
        if hints and param.name in hints:
            annotation = hints[param.name]
        elif param.annotation is not inspect.Parameter.empty:
            annotation = param.annotation
        has_default = param.default is not inspect.Parameter.empty
        default = param.default if has_default else None
        description = ""
        if inspect.isclass(origin) and issubclass(origin, BaseModel):
            field = origin.model_fields.get(param.name)
            if field is not None:
                description = field.description or ""
                has_default = not field.is_required()
                if has_default:
                    default = field.get_default(call_default_factory=False)
        return cls(
            name=param.name,
            type_str=_type_to_str(annotation),
            annotation=annotation,
            default=default,
            is_optional=has_default,
            description=description,
        )


class MethodInterface(BaseModel):
    """A callable's parameters, return type and docstring, as serializable data."""

    model_config: ClassVar[ConfigDict] = ConfigDict(arbitrary_types_allowed=True, defer_build=True)

    params: list[ParamInfo]
    return_type: str | None = None
    doc: str | None = None
    return_annotation: Any = PydanticField(default=None, exclude=True)

    @classmethod
    def from_callable(cls, o: Callable[..., Any]) -> MethodInterface:
        sig = inspect.signature(o)
        hints = resolve_hints(o)
        params = [ParamInfo.from_param(p, origin=o, hints=hints) for p in sig.parameters.values()]
        ret = hints.get("return", sig.return_annotation)
        has_ret = ret is not inspect.Parameter.empty
        if ret is None:
            ret = type(None)
        return cls(
            params=params,
            return_type=_type_to_str(ret) if has_ret else None,
            return_annotation=ret if has_ret else None,
            doc=o.__doc__,
        )

    def validate_simple_type_args(self, func_name: str = "<unknown>") -> None:
        """Raise ValueError unless every parameter has a simple KnownType (a cache key)."""
        from lythonic.types import KNOWN_TYPES

        for param in self.params:
            if param.annotation is None:
                raise ValueError(
                    f"Parameter `{param.name}` on `{func_name}` has no type annotation; "
                    "a simple_type annotation (int, str, date, ...) is required"
                )
            type_name = getattr(param.annotation, "__name__", str(param.annotation))
            try:
                known = KNOWN_TYPES.resolve_type(param.annotation)
            except (ValueError, TypeError, AssertionError) as e:
                raise ValueError(
                    f"Parameter `{param.name}` on `{func_name}` has type `{type_name}`, "
                    "which is not a registered KnownType; a simple_type is required"
                ) from e
            if not known.simple_type:
                raise ValueError(
                    f"Parameter `{param.name}` on `{func_name}` has type `{type_name}`, "
                    "which is not a simple_type (required for a cache key)"
                )


class Method:
    """A callable plus its ``MethodInterface``.

    ``gref`` is None when the callable cannot be named globally (closures,
    lambdas inside functions, builtins without a module).
    """

    interface: MethodInterface
    name: str
    gref: GlobalRef | None

    def __init__(self, o: Callable[..., Any] | GlobalRef, *, name: str | None = None) -> None:
        self._callable: Callable[..., Any] | None
        if isinstance(o, GlobalRef):
            self.gref = o
            self._callable = None
            self.name = name or o.name
        else:
            self.gref = _gref_or_none(o)
            self._callable = o
            self.name = name or getattr(o, "__name__", None) or str(o)
        self.interface = MethodInterface.from_callable(self.o)

    @property
    def o(self) -> Callable[..., Any]:
        if self._callable is None:
            assert self.gref is not None
            self._callable = self.gref.get_instance()
        return self._callable

    @property
    def args(self) -> list[ParamInfo]:
        return self.interface.params

    @property
    def args_by_name(self) -> dict[str, ParamInfo]:
        return {p.name: p for p in self.interface.params}

    @property
    def return_annotation(self) -> Any | None:
        return self.interface.return_annotation

    @property
    def doc(self) -> str | None:
        return self.interface.doc

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.o(*args, **kwargs)

    def validate_simple_type_args(self) -> None:
        """Raise ValueError unless every parameter can be a cache key column."""
        self.interface.validate_simple_type_args(self.name)

    def __repr__(self) -> str:
        return f"Method({self.gref or self.name!s})"


def _gref_or_none(o: Any) -> GlobalRef | None:
    if "<locals>" in getattr(o, "__qualname__", ""):
        return None
    try:
        return GlobalRef(o)
    except (TypeError, ValueError, AttributeError):
        return None


T = TypeVar("T", bound=Method)


class MethodDict(Generic[T], dict[str, T]):
    """Methods keyed by their lowercased name; ``wrap`` works as a decorator."""

    method_type: type[T]

    def __init__(self, method_type: type[T]) -> None:
        super().__init__()
        self.method_type = method_type

    def add(self, o: Callable[..., Any]) -> T:
        method = self.method_type(o)
        self[method.name.lower()] = method
        return method

    def wrap(self, o: Callable[..., Any]) -> T:
        return self.add(o)


publish("lythonic.compose", ParamInfo, MethodInterface, Method, MethodDict)
