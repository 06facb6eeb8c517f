"""The edge language of ``lyth.yaml``: ``a >> b >> c``, ``a >> [b, c]``, ``a >> b.param``.

Grammar (whitespace is free)::

    chain    := group (">>" group)+
    group    := endpoint | "[" endpoint ("," endpoint)* [","] "]"
    endpoint := name ["." parameter]

Each ``>>`` connects every endpoint on its left with every endpoint on its
right. ``b.param`` feeds ``b``'s parameter ``param`` explicitly; it names an
input, so it cannot start a chain (as in Python, where
``a >> b.param("x") >> c`` continues from ``b``).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

__all__ = ["EdgeDecl", "EdgeSyntaxError", "Endpoint", "parse_edges"]

_TOKEN = re.compile(r"\s*(?:(>>)|([\[\],.])|([A-Za-z0-9_]+)|(\S))")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A step named in an edge, with the character offset where its name starts."""

    name: str
    offset: int
    param: str | None = None
    param_offset: int = 0


@dataclass(frozen=True, slots=True)
class EdgeDecl:
    """One ``upstream >> downstream[.param]`` connection declared by an edge string."""

    upstream: Endpoint
    downstream: Endpoint

    @property
    def param(self) -> str | None:
        return self.downstream.param

    def __str__(self) -> str:
        target = self.downstream.name + (f".{self.param}" if self.param else "")
        return f"{self.upstream.name} >> {target}"


class EdgeSyntaxError(ValueError):
    """An edge string does not follow the grammar; ``offset`` is where it goes wrong."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


def _tokens(text: str) -> list[tuple[str, str, int]]:
    """``(kind, text, offset)`` with kinds ``>>``, ``punct``, ``word``, ``end``."""
    out: list[tuple[str, str, int]] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            break
        pos = m.end()
        if m.group(1):
            out.append((">>", ">>", m.start(1)))
        elif m.group(2):
            out.append(("punct", m.group(2), m.start(2)))
        elif m.group(3):
            out.append(("word", m.group(3), m.start(3)))
        elif m.group(4):
            char = m.group(4)
            hint = " (edges use '>>')" if char in "-=>" else ""
            raise EdgeSyntaxError(f"unexpected character {char!r}{hint}", m.start(4))
    out.append(("end", "", len(text.rstrip())))
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, str, int]:
        return self.toks[self.i]

    def take(self) -> tuple[str, str, int]:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def endpoint(self) -> Endpoint:
        kind, word, offset = self.take()
        if kind != "word":
            shown = "the end" if kind == "end" else repr(word)
            raise EdgeSyntaxError(f"expected a step name, found {shown}", offset)
        if not _NAME.match(word):
            raise EdgeSyntaxError(
                f"'{word}' is not a step name (a letter, then letters, digits or underscores)",
                offset,
            )
        if self.peek()[1] != ".":
            return Endpoint(word, offset)
        self.take()
        kind, param, param_offset = self.take()
        if kind != "word" or not _IDENT.match(param):
            raise EdgeSyntaxError(f"expected a parameter name after '{word}.'", param_offset)
        return Endpoint(word, offset, param, param_offset)

    def group(self) -> list[Endpoint]:
        if self.peek()[1] != "[":
            return [self.endpoint()]
        self.take()
        items = [self.endpoint()]
        while self.peek()[1] == ",":
            self.take()
            if self.peek()[1] == "]":
                break
            items.append(self.endpoint())
        kind, word, offset = self.take()
        if word != "]":
            shown = "the end" if kind == "end" else repr(word)
            raise EdgeSyntaxError(f"expected ',' or ']' in a list of steps, found {shown}", offset)
        return items

    def chain(self) -> list[EdgeDecl]:
        groups = [self.group()]
        while self.peek()[0] == ">>":
            self.take()
            groups.append(self.group())
        kind, word, offset = self.peek()
        if kind != "end":
            raise EdgeSyntaxError(f"expected '>>', found {word!r}", offset)
        if len(groups) == 1:
            raise EdgeSyntaxError("an edge connects steps with '>>', e.g. 'a >> b'", offset)
        for start in groups[0]:
            if start.param is not None:
                raise EdgeSyntaxError(
                    f"'{start.name}.{start.param}' names an input of '{start.name}'; a chain "
                    "cannot start with one",
                    start.param_offset,
                )
        edges: list[EdgeDecl] = []
        for ups, downs in itertools.pairwise(groups):
            for up in ups:
                up_node = Endpoint(up.name, up.offset)
                edges.extend(EdgeDecl(up_node, down) for down in downs)
        return edges


def parse_edges(text: str) -> list[EdgeDecl]:
    """The connections one edge string declares; raises ``EdgeSyntaxError``."""
    if not text.strip():
        raise EdgeSyntaxError("an edge cannot be empty", 0)
    return _Parser(text).chain()
