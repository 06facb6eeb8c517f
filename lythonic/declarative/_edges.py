"""The edge language of ``lyth.yaml``: ``a >> b >> c``, ``a >> [b, c]``, ``a >> b.param``.

Grammar (whitespace is free)::

    chain    := group (">>" group)+
    group    := endpoint | "[" endpoint ("," endpoint)* [","] "]"
    endpoint := name ["." parameter]

Each ``>>`` connects every endpoint on its left with every endpoint on its
right. ``b.param`` feeds ``b``'s parameter ``param`` explicitly; it names an
input, so it cannot start a chain (as in Python, where
``a >> b.param("x") >> c`` continues from ``b``).

``add_edges`` adds a DAG's parsed edges to the built ``Dag``, turning unknown
steps, duplicates and refused edges into diagnostics at their characters.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from lythonic.declarative._diagnostics import did_you_mean

if TYPE_CHECKING:
    from lythonic.compose.namespace import Dag
    from lythonic.declarative._model import DagSpec
    from lythonic.declarative._yaml import Path, SourceMap

__all__ = [
    "EdgeDecl",
    "EdgeSite",
    "EdgeSyntaxError",
    "EdgeTarget",
    "Endpoint",
    "add_edges",
    "parse_edges",
]

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


# -- adding the edges of a DAG of the file --------------------------------------

EdgeSite = tuple["Path", int]
"""Where an edge is declared: the edge string's path and the upstream's offset in it."""


class EdgeTarget(Protocol):
    """What adding edges needs of the builder: where to report, what is broken."""

    smap: SourceMap
    broken: set[str]
    edge_sites: dict[str, dict[tuple[str, str, str | None], EdgeSite]]

    def diag(self, path: Path, message: str, code: str, **kw: Any) -> None: ...


def add_edges(b: EdgeTarget, name: str, dag: Dag, spec: DagSpec, tainted: set[str]) -> None:
    """Parse the edge strings of DAG ``name`` and add them; problems become diagnostics."""
    sites = b.edge_sites.setdefault(name, {})
    for i, text in enumerate(spec.edges):
        path: Path = ("dags", name, "edges", i)
        try:
            decls = parse_edges(text)
        except EdgeSyntaxError as e:
            b.diag(path, f"edge {text!r}: {e.message}", "edge_syntax", offset=e.offset)
            b.broken.add(name)
            continue
        for decl in decls:
            ends = (decl.upstream, decl.downstream)
            unknown = [e for e in ends if e.name not in spec.nodes]
            for end in unknown:
                b.diag(
                    path,
                    f"unknown step '{end.name}' in edge of DAG '{name}'",
                    "unknown_node",
                    offset=end.offset,
                    hint=did_you_mean(end.name, spec.nodes),
                )
            if unknown:
                tainted.update(e.name for e in ends)
                continue
            if any(e.name in tainted for e in ends):
                continue
            key = (decl.upstream.name, decl.downstream.name, decl.param)
            if key in sites:
                line = b.smap.at_offset(*sites[key])[0]
                b.diag(
                    path,
                    f"edge {decl} is declared twice (first on line {line})",
                    "duplicate_edge",
                    offset=decl.upstream.offset,
                )
                continue
            try:
                dag.add_edge(
                    dag.nodes[decl.upstream.name],
                    dag.nodes[decl.downstream.name],
                    param=decl.param,
                )
            except ValueError as e:
                where = decl.downstream.param_offset if decl.param else decl.upstream.offset
                b.diag(path, f"edge {decl}: {e}", "edge", offset=where)
                tainted.update(x.name for x in ends)
                continue
            sites[key] = (path, decl.upstream.offset)
