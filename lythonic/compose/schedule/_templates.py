"""Input templates of event triggers: ``{file.path}``, ``{body.ref}``, ``{header.x-id}``.

A trigger's step inputs may name what fired the run. A string that is exactly
one placeholder takes the value as it is (``{file.size}`` stays an ``int``,
``{body.items}`` a list); placeholders inside a longer string are written out
as text; ``{{`` and ``}}`` are literal braces. Paths are dotted names and list
indexes (``{body.items.0.id}``); nothing is evaluated.

>>> render_inputs({"load": {"path": "{file.path}", "tag": "in-{file.name}"}},
...               {"file": {"path": "/in/a.csv", "name": "a.csv"}})
{'load': {'path': '/in/a.csv', 'tag': 'in-a.csv'}}
>>> placeholders("{{literal}} {body.ref}")
['body.ref']
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "TemplateError",
    "is_whole_placeholder",
    "placeholders",
    "render_inputs",
    "templated",
]

_PLACE = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")
_NAME = re.compile(r"^[A-Za-z_][\w-]*(\.[\w-]+)*$")


class TemplateError(ValueError):
    """A placeholder that cannot be filled (no such field in what fired the run)."""


def placeholders(text: str) -> list[str]:
    """The placeholders of ``text`` in order (``{{``/``}}`` are not placeholders).

    Raises ``TemplateError`` for an empty or malformed one (``{}``, ``{a b}``)
    or a lone brace.
    """
    out: list[str] = []
    pos = 0
    for m in _PLACE.finditer(text):
        _lone_brace(text[pos : m.start()])
        pos = m.end()
        name = m.group(1)
        if name is None:
            continue
        if not _NAME.match(name):
            raise TemplateError(
                f"'{{{name}}}' is not a placeholder: write a dotted name such as "
                "{file.path} or {body.ref} (double a brace to write it literally)"
            )
        out.append(name)
    _lone_brace(text[pos:])
    return out


def _lone_brace(text: str) -> None:
    if "{" in text or "}" in text:
        raise TemplateError(
            f"a lone brace in {text!r}: double it ({{{{ or }}}}) to write it literally"
        )


def is_whole_placeholder(text: str) -> str | None:
    """The name when ``text`` is exactly one placeholder, else None."""
    m = _PLACE.fullmatch(text)
    return m.group(1) if m is not None and m.group(1) is not None else None


def lookup(context: Mapping[str, Any], name: str) -> Any:
    """The value at the dotted ``name`` in ``context`` (header names ignore case)."""
    root, _, rest = name.partition(".")
    if root not in context:
        raise TemplateError(f"{{{name}}}: nothing called '{root}' fired this run")
    value: Any = context[root]
    walked = root
    for part in rest.split(".") if rest else ():
        if isinstance(value, Mapping):
            if part in value:
                value = value[part]
            elif root == "header" and part.lower() in value:
                value = value[part.lower()]
            else:
                raise TemplateError(f"{{{name}}}: '{walked}' has no '{part}'")
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            raise TemplateError(f"{{{name}}}: '{walked}' has no '{part}'")
        walked = f"{walked}.{part}"
    return value


def _render(value: Any, context: Mapping[str, Any]) -> Any:
    if isinstance(value, str):
        whole = is_whole_placeholder(value)
        if whole is not None:
            return lookup(context, whole)
        if "{" not in value and "}" not in value:
            return value

        def fill(m: re.Match[str]) -> str:
            token = m.group(0)
            if token in ("{{", "}}"):
                return token[0]
            found = lookup(context, m.group(1))
            return found if isinstance(found, str) else _text(found)

        placeholders(value)  # malformed text fails here, not half-rendered
        return _PLACE.sub(fill, value)
    if isinstance(value, list):
        return [_render(v, context) for v in value]
    if isinstance(value, dict):
        return {k: _render(v, context) for k, v in value.items()}
    return value


def _text(value: Any) -> str:
    import json

    return json.dumps(value, separators=(",", ":"), default=str)


def render_inputs(
    inputs: Mapping[str, Mapping[str, Any]], context: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    """``inputs`` (step -> {parameter: value}) with every placeholder filled from ``context``."""
    return {
        step: {param: _render(v, context) for param, v in params.items()}
        for step, params in inputs.items()
    }


def templated(inputs: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """``step.param`` of every input whose value names a placeholder."""
    out = []
    for step, params in inputs.items():
        for param, value in params.items():
            if isinstance(value, str):
                try:
                    found = placeholders(value)
                except TemplateError:
                    found = [value]
                if found:
                    out.append(f"{step}.{param}")
    return out
