"""Adding the ``edges:`` of a DAG: parse each string, check the names, ``add_edge``."""

from __future__ import annotations

from typing import Any, Protocol

from lythonic.compose.namespace import Dag
from lythonic.declarative._diagnostics import did_you_mean
from lythonic.declarative._edges import EdgeSyntaxError, parse_edges
from lythonic.declarative._model import DagSpec
from lythonic.declarative._yaml import Path, SourceMap

__all__ = ["EdgeSite", "EdgeTarget", "add_edges"]

EdgeSite = tuple[Path, int]
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
