"""FieldInfo: one pydantic field read as one column (type, nullability, key markers)."""

from __future__ import annotations

import re
from enum import Enum
from types import NoneType, UnionType
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Union, get_args, get_origin

from pydantic.fields import FieldInfo as PydanticFieldInfo

from lythonic._public import publish
from lythonic.state._errors import ModelDefinitionError
from lythonic.state._sqlite import quote_ident, sql_literal
from lythonic.types import KnownType

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = ["FieldInfo"]

# One marker at the start of a description: (PK), (AK) or (FK:Table.field).
_MARKER = re.compile(r"\s*\((PK|AK|FK:[^)]*)\)")
_FK_TARGET = re.compile(r"\s*([A-Za-z_]\w*)\.([A-Za-z_]\w*)\s*")


def _where(owner: str | None, name: str) -> str:
    return f"{owner}.{name}" if owner else name


def _read_annotation(ann: Any, where: str) -> tuple[type, bool, list[Any] | None]:
    """(python type, nullable, fixed choices) of a field annotation."""
    origin = get_origin(ann)
    if origin is UnionType or origin is Union:
        args = get_args(ann)
        inner = [a for a in args if a is not NoneType]
        if len(inner) != 1 or len(inner) == len(args):
            raise ModelDefinitionError(
                f"{where}: unsupported annotation {ann!r}; a union must be `X | None` "
                "(use a BaseModel or JsonBase field for anything richer)"
            )
        type_, _, choices = _read_annotation(inner[0], where)
        return type_, True, choices
    if origin is Literal:
        values = get_args(ann)
        choices = [v for v in values if v is not None]
        kinds = {type(c) for c in choices}
        if len(kinds) != 1:
            raise ModelDefinitionError(
                f"{where}: Literal {ann!r} must list values of one type, got "
                f"{sorted(k.__name__ for k in kinds) or 'none'}"
            )
        return kinds.pop(), len(choices) < len(values), choices
    if isinstance(ann, type) and origin is None:
        return ann, False, (list(ann) if issubclass(ann, Enum) else None)
    raise ModelDefinitionError(
        f"{where}: unsupported annotation {ann!r}; use a scalar type, `X | None`, Literal[...], "
        "an Enum, or a BaseModel/JsonBase (stored as JSON) instead of list/dict/Any"
    )


def _read_markers(description: str, where: str) -> tuple[str, bool, tuple[str, str] | None, bool]:
    """Strip the leading (PK)/(FK:T.f)/(AK) markers, in any order."""
    primary_key = alt_key = False
    foreign_key: tuple[str, str] | None = None
    rest = description
    while m := _MARKER.match(rest):
        marker = m.group(1)
        rest = rest[m.end() :]
        if marker == "PK":
            primary_key = True
        elif marker == "AK":
            alt_key = True
        else:
            target = _FK_TARGET.fullmatch(marker[3:])
            if target is None:
                raise ModelDefinitionError(
                    f"{where}: malformed foreign key marker ({marker}); write (FK:Table.field)"
                )
            foreign_key = (target.group(1), target.group(2))
    return rest.strip(), primary_key, foreign_key, alt_key


class FieldInfo(NamedTuple):
    """A model field as a column; compares equal to its plain 8-tuple."""

    name: str
    ktype: KnownType
    description: str
    nullable: bool
    primary_key: bool
    foreign_key: tuple[str, str] | None
    fixed_choices: list[Any] | None
    alt_key: bool

    @classmethod
    def build(
        cls, name: str, field_info: PydanticFieldInfo, *, owner: str | None = None
    ) -> FieldInfo:
        """Read ``field_info`` (from ``Model.model_fields``); ``owner`` names the model in errors."""
        where = _where(owner, name)
        if field_info.annotation is None:
            raise ModelDefinitionError(f"{where}: the field has no annotation")
        type_, nullable, choices = _read_annotation(field_info.annotation, where)
        try:
            ktype = KnownType.ensure(type_)
        except (ValueError, TypeError) as e:
            raise ModelDefinitionError(
                f"{where}: type {type_!r} has no SQLite mapping ({e}); register it in "
                "lythonic.types.KNOWN_TYPES or use a BaseModel field"
            ) from None
        description, primary_key, foreign_key, alt_key = _read_markers(
            field_info.description or "", where
        )
        if primary_key and nullable:
            raise ModelDefinitionError(f"{where}: a primary key cannot be nullable")
        if alt_key and nullable:
            raise ModelDefinitionError(f"{where}: an alternative key (AK) field cannot be nullable")
        return cls(name, ktype, description, nullable, primary_key, foreign_key, choices, alt_key)

    def check_constraint_ddl(self) -> str:
        """`` CHECK ("col" IN (...))`` for fields with fixed choices, else ``""``."""
        if self.fixed_choices is None:
            return ""
        values = ", ".join(sql_literal(self.ktype.db.map_to(c)) for c in self.fixed_choices)
        return f" CHECK ({quote_ident(self.name)} IN ({values}))"

    def to_sql_value(self, o: BaseModel) -> Any:
        return self.ktype.db.map_to(getattr(o, self.name))

    def from_sql_value(self, v: Any) -> Any:
        return self.ktype.db.map_from(v)

    def set_value(self, o: BaseModel, v: Any) -> None:
        setattr(o, self.name, self.from_sql_value(v))


publish("lythonic.state", FieldInfo)
