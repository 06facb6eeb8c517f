"""Pydantic validation errors of the config model, as positioned diagnostics.

A pydantic error has a location (keys and indices, plus the tags of the
unions it went through); we turn it into a place in the file, a sentence for
people ("unknown key 'retires' in step 'extract' of DAG 'etl'") and, where we
can, a hint ("did you mean 'retries'?").
"""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from lythonic.declarative._diagnostics import Diagnostic, did_you_mean
from lythonic.declarative._model import NODE_KINDS, UNION_TAGS, LythConfig
from lythonic.declarative._namespace_model import NS_TYPES
from lythonic.declarative._namespace_model import UNION_TAGS as NS_UNION_TAGS
from lythonic.declarative._types import IDENT_RE, NAME_RE, REF_RE
from lythonic.declarative._yaml import Path, SourceMap

__all__ = ["describe_path", "schema_diagnostics"]

_TAGS = UNION_TAGS | NS_UNION_TAGS
_NAME_RULE = "a letter, then letters, digits or underscores (at most 64 characters)"


def describe_path(path: Path) -> str:
    """Where ``path`` is, in words: ``step 'x' of DAG 'd'``, ``trigger 't'`` ..."""
    p = list(path)
    if len(p) >= 4 and p[0] == "dags" and p[2] == "nodes":
        return f"step '{p[3]}' of DAG '{p[1]}'"
    if len(p) >= 4 and p[0] == "dags" and p[2] == "inputs":
        return f"inputs of step '{p[3]}' of DAG '{p[1]}'"
    if len(p) >= 3 and p[0] == "dags" and p[2] == "defaults":
        return f"defaults of DAG '{p[1]}'"
    if len(p) >= 2 and p[0] == "dags":
        return f"DAG '{p[1]}'"
    if len(p) >= 2 and p[0] == "triggers":
        return f"trigger '{p[1]}'"
    if len(p) >= 2 and p[0] == "namespace" and isinstance(p[1], int):
        return f"namespace entry {p[1] + 1}"
    if p:
        return f"'{p[0]}'"
    return "the top level"


def _unwrap(t: Any) -> Any:
    while True:
        origin = typing.get_origin(t)
        if origin is typing.Annotated:
            t = typing.get_args(t)[0]
            continue
        args = typing.get_args(t)
        if origin in (typing.Union, types.UnionType):
            rest = [a for a in args if a is not type(None)]
            if len(rest) == 1:
                t = rest[0]
                continue
        return t


def _tag_of(member: Any) -> str | None:
    if typing.get_origin(member) is typing.Annotated:
        for meta in typing.get_args(member)[1:]:
            tag = getattr(meta, "tag", None)
            if isinstance(tag, str):
                return tag
    return None


def _step(t: Any, item: str | int) -> Any:
    t = _unwrap(t)
    if isinstance(t, type) and issubclass(t, BaseModel):
        field = t.model_fields.get(str(item))
        return field.annotation if field is not None else None
    origin = typing.get_origin(t)
    if origin is dict:
        return typing.get_args(t)[1]
    if origin is list:
        return typing.get_args(t)[0]
    for member in typing.get_args(t):
        if _tag_of(member) == item:
            return member
    return None


def _model_at(loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The config class that applies at ``loc`` (a pydantic location, tags included)."""
    t: Any = LythConfig
    for item in loc:
        t = _step(t, item)
        if t is None:
            return None
    t = _unwrap(t)
    return t if isinstance(t, type) and issubclass(t, BaseModel) else None


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _pattern_message(value: Any, pattern: str, path: Path) -> tuple[str, str | None]:
    what = describe_path(path)
    if pattern == NAME_RE.pattern:
        return f"{_show(value)} is not a valid name in {what}: use {_NAME_RULE}", None
    if pattern == REF_RE.pattern:
        hint = None
        if isinstance(value, str) and NAME_RE.match(value):
            hint = f"to run DAG '{value}' here, write {{call: {value}}}"
        return (
            f"{_show(value)} in {what} is not a 'package.module:function' reference",
            hint,
        )
    if pattern == IDENT_RE.pattern:
        return f"{_show(value)} in {what} is not a parameter name", None
    if "|" in pattern and NAME_RE.pattern[1:-1] in pattern:
        return (
            f"{_show(value)} in {what} is neither a DAG name nor a 'package.module:attribute' "
            "reference",
            None,
        )
    return f"{_show(value)} in {what} does not match the pattern {pattern}", None


def _one(err: ErrorDetails, smap: SourceMap) -> Diagnostic:
    loc = tuple(err["loc"])
    kind = err["type"]
    ctx = err.get("ctx") or {}
    value = err.get("input")
    at_key = bool(loc) and loc[-1] == "[key]"
    clean: Path = tuple(x for x in loc if x not in _TAGS and x != "[key]")
    what = describe_path(clean[:-1] if kind in ("extra_forbidden", "missing") else clean)
    hint: str | None = None
    key = at_key
    path = clean

    if kind == "extra_forbidden":
        name = str(clean[-1])
        model = _model_at(loc[:-1])
        allowed = list(model.model_fields) if model is not None else []
        message = f"unknown key '{name}' in {what}"
        key = True
        if model is not None and name in NODE_KINDS:
            message = (
                f"{what} has more than one of {', '.join(NODE_KINDS)}; a step is exactly one "
                f"kind: remove '{name}' or the other one"
            )
        elif name == "inline":
            hint = "'inline' applies to ref steps (Python functions)"
        elif name == "concurrency":
            hint = "'concurrency' applies to map steps"
        else:
            hint = did_you_mean(name, allowed) or (
                f"allowed keys: {', '.join(allowed)}" if allowed else None
            )
    elif kind == "missing":
        name = str(clean[-1])
        message = f"{what} needs the key '{name}'"
        path = clean[:-1]
        key = True
    elif kind == "string_pattern_mismatch":
        message, hint = _pattern_message(value, str(ctx.get("pattern", "")), clean)
    elif kind == "literal_error":
        expected = str(ctx.get("expected", ""))
        options = [o.strip().strip("'") for o in expected.replace(" or ", ", ").split(",")]
        if isinstance(value, str) and value in options and f"'{value}'" not in expected:
            # `version: "1"`: the text of an allowed value that is not a string.
            message = f"{what} must be the number {value}, not the string {_show(value)}"
            hint = "write it without quotes"
        else:
            message = f"{_show(value)} in {what} is not one of: {', '.join(options)}"
            hint = did_you_mean(str(value), options)
    elif kind == "node_kind":
        message = f"{what}: {err['msg']}"
        if isinstance(value, dict):
            for k in value:
                hint = did_you_mean(str(k), NODE_KINDS)
                if hint:
                    break
    elif kind == "namespace_type":
        given = value.get("type") if isinstance(value, dict) else None
        if given is not None:
            message = f"{what}: unknown type {_show(given)} (use auto, cache or fragment)"
            hint = did_you_mean(str(given), NS_TYPES)
            path = (*clean, "type")
        else:
            message = f"{what}: {err['msg']}"
    elif kind == "value_error":
        message = f"{what}: {err['msg'].removeprefix('Value error, ')}"
    else:
        message = f"{what}: {_friendly(kind, err['msg'], ctx)}, got {_show(value)}"
    if at_key:
        message = f"{_show(clean[-1])} is not a valid name in {describe_path(clean[:-1])}: "
        message += f"use {_NAME_RULE}" if _is_name_rule(ctx) else "use a Python identifier"
    return smap.diag(path, message, code="schema", key=key, hint=hint)


def _is_name_rule(ctx: dict[str, Any]) -> bool:
    return ctx.get("pattern") == NAME_RE.pattern


_FRIENDLY = {
    "int_type": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_type": "expected a number",
    "bool_type": "expected true or false",
    "string_type": "expected a string",
    "dict_type": "expected a mapping (key: value)",
    "list_type": "expected a list",
    "model_type": "expected a mapping (key: value)",
    "model_attributes_type": "expected a mapping (key: value)",
    "literal_error": "not an allowed value",
}


def _friendly(kind: str, msg: str, ctx: dict[str, Any]) -> str:
    if kind == "greater_than_equal":
        return f"must be at least {ctx.get('ge')}"
    if kind == "greater_than":
        return f"must be more than {ctx.get('gt')}"
    if kind == "less_than_equal":
        return f"must be at most {ctx.get('le')}"
    if kind == "too_short":
        return "needs at least one entry"
    return _FRIENDLY.get(kind, msg[:1].lower() + msg[1:])


def schema_diagnostics(error: ValidationError, smap: SourceMap) -> list[Diagnostic]:
    """One diagnostic per pydantic error, in file order."""
    diags = [_one(err, smap) for err in error.errors(include_url=False)]
    return sorted(set(diags), key=lambda d: (d.line, d.column, d.message))
