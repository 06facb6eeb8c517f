"""From the validated config to a ``Namespace`` and ``Dag`` objects.

Everything is built through the public compose API (``Dag.node``,
``Dag.map``, ``Dag.switch``, ``add_edge``, ``Namespace.register``), so a DAG
declared in YAML is the very object its Python twin builds: same runs, same
provenance. Problems are collected as diagnostics at the YAML position that
caused them; building goes on so one pass reports them all.

Without a ``Resolver`` (static mode) nothing is imported: each reference
becomes a placeholder with the right shape, which still checks names, edges,
cycles and sub-DAG structure.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path as PathLib
from typing import Any

from lythonic.compose.namespace import Dag, DagNode, Namespace, NamespaceNode
from lythonic.compose.nodes import Method, call_mode, is_dag_factory
from lythonic.compose.run import INLINE
from lythonic.declarative._diagnostics import Diagnostic, did_you_mean, one_line
from lythonic.declarative._edges import EdgeSite, add_edges
from lythonic.declarative._imports import ImportPolicy, RefError, Resolver
from lythonic.declarative._model import (
    CallNodeSpec,
    DagDefaults,
    LythConfig,
    MapNodeSpec,
    NsrefNodeSpec,
    RefNodeSpec,
    SwitchSpec,
)
from lythonic.declarative._yaml import Path, SourceMap

__all__ = ["Builder", "EdgeSite"]


def placeholder(ref: str) -> Callable[..., Any]:
    """A stand-in for an unimported function: takes anything, returns anything."""

    def step(**kwargs: Any) -> Any:
        raise RuntimeError(f"'{ref}' was not imported (static validation)")

    step.__name__ = step.__qualname__ = ref.rpartition(":")[2] or "step"
    step.__module__ = "lythonic.declarative.static"
    return step


def _placeholder_dag(ref: str) -> Dag:
    dag = Dag()
    dag.node(placeholder(ref), label="step")
    return dag


def node_timeout(node: Any) -> float | None:
    """The timeout a step sets itself (not the DAG's default)."""
    return None if isinstance(node, str) else getattr(node, "timeout", None)


def runs_inline(built: DagNode) -> bool:
    """Whether a built function step runs on the event loop."""
    ns_node = built.ns_node
    fn = ns_node._decorated if ns_node._decorated is not None else ns_node.method.o
    return call_mode(fn, ns_node.method.o) == INLINE


def _inline_node(fn: Callable[..., Any], dag: Dag) -> NamespaceNode:
    """A node for ``fn`` that runs on the event loop, as ``@inline`` would."""

    @functools.wraps(fn)
    def on_loop(*args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    on_loop._lythonic_inline = True  # type: ignore[attr-defined]
    method = Method(fn)
    nsref = str(method.gref) if method.gref is not None else f"{fn.__module__}:{method.name}"
    return NamespaceNode(method=method, nsref=nsref, namespace=dag.namespace, decorated=on_loop)


def _first(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)


class Builder:
    """Builds one config; read ``namespace``, ``dags`` and ``diagnostics`` afterwards."""

    def __init__(
        self,
        spec: LythConfig,
        smap: SourceMap,
        resolver: Resolver | None,
        policy: ImportPolicy,
    ) -> None:
        self.spec = spec
        self.smap = smap
        self.resolver = resolver
        self.policy = policy
        self.diagnostics: list[Diagnostic] = []
        self._reported_sources: set[tuple[str, int, int]] = set()
        self.namespace = Namespace()
        self.dags: dict[str, Dag] = {}
        self.broken: set[str] = set()
        # Per DAG: steps whose problems were already reported (no follow-up noise).
        self.tainted: dict[str, set[str]] = {}
        self.edge_sites: dict[str, dict[tuple[str, str, str | None], EdgeSite]] = {}
        # (dag, step) -> the file DAG a composite step runs, when it is one of ours
        self.file_targets: dict[tuple[str, str], str] = {}
        self.fragment_prefixes: list[str] = []
        self._placeholders: dict[str, Callable[..., Any]] = {}
        # Where relative paths in the file start, and the directories file triggers may use.
        # ("dag"|"trigger", name) -> {"on_failure": fn, ...}: the hooks, resolved.
        self.hooks: dict[tuple[str, str], dict[str, Callable[..., Any]]] = {}
        self.base_dir: PathLib = PathLib.cwd()
        self.trigger_roots: list[PathLib] = [self.base_dir]

    @property
    def static(self) -> bool:
        return self.resolver is None

    def diag(self, path: Path, message: str, code: str, **kw: Any) -> None:
        self.diagnostics.append(self.smap.diag(path, message, code=code, **kw))

    # -- references -----------------------------------------------------------

    def obtain(self, ref: str, path: Path, want: str) -> Any:
        """The object ``ref`` names (a placeholder in static mode); raises RefError."""
        if self.resolver is not None:
            return self.resolver.resolve(ref)
        self.check_module(ref.partition(":")[0])
        if want == "dag":
            return _placeholder_dag(ref)
        # One stand-in per reference, as one function is one object when imported.
        found = self._placeholders.get(ref)
        if found is None:
            found = self._placeholders[ref] = placeholder(ref)
        return found

    def ref_error(self, path: Path, e: RefError) -> None:
        if e.source is None:
            self.diag(path, e.message, e.code, hint=e.hint)
            return
        if e.source in self._reported_sources:  # the same broken module: said once
            return
        self._reported_sources.add(e.source)
        file, line, col = e.source
        where = self.smap.value(path)
        used = f"{self.smap.file}:{where[0]}:{where[1]}"
        self.diagnostics.append(
            Diagnostic(file, line, col, f"{e.message} (first used at {used})", e.code, hint=e.hint)
        )

    def obtain_or_report(self, ref: str, path: Path, want: str) -> Any:
        """``obtain``, reporting a failure at ``path`` and raising ``_Reported``."""
        try:
            return self.obtain(ref, path, want)
        except RefError as e:
            self.ref_error(path, e)
            raise _Reported() from None

    def check_module(self, module: str) -> None:
        """The allow-list check alone (static mode); raises RefError."""
        refusal = self.policy.refusal(module)
        if refusal is not None:
            code, reason, hint = refusal
            raise RefError(code, f"module '{module}' {reason}", hint)

    # -- DAG order ----------------------------------------------------------------

    def dag_order(self) -> list[str]:
        """File DAGs, each after the file DAGs it runs as sub-DAGs; cycles reported."""
        uses: dict[str, list[tuple[str, Path]]] = {}
        for name, dag in self.spec.dags.items():
            uses[name] = []
            for label, node in dag.nodes.items():
                for target, tpath in _targets(node, ("dags", name, "nodes", label)):
                    if ":" in target:
                        continue
                    if target not in self.spec.dags:
                        self.diag(
                            tpath,
                            f"step '{label}' of DAG '{name}' runs unknown DAG '{target}'",
                            "unknown_dag",
                            hint=did_you_mean(target, self.spec.dags),
                        )
                        self.tainted.setdefault(name, set()).add(label)
                        self.broken.add(name)
                        continue
                    uses[name].append((target, tpath))
        order: list[str] = []
        state: dict[str, int] = {}  # 1 = visiting, 2 = done

        def visit(name: str, trail: list[str]) -> None:
            state[name] = 1
            for target, tpath in uses[name]:
                if state.get(target) == 1:
                    loop = [*trail[trail.index(target) :], target]
                    self.diag(
                        tpath,
                        "DAGs run each other in a cycle: " + " -> ".join(loop),
                        "dag_cycle",
                    )
                    self.broken.update(loop)
                elif state.get(target) is None:
                    visit(target, [*trail, target])
            state[name] = 2
            order.append(name)

        for name in uses:
            if name not in state:
                visit(name, [name])
        return order

    # -- one DAG ------------------------------------------------------------------

    def build_dag(self, name: str) -> None:
        spec = self.spec.dags[name]
        dag = Dag()
        self.dags[name] = dag
        tainted = self.tainted.setdefault(name, set())
        defaults = spec.defaults or DagDefaults()
        for label, node in spec.nodes.items():
            if label in tainted:
                continue
            path: Path = ("dags", name, "nodes", label)
            try:
                self._node(name, dag, label, node, defaults, path)
            except _Reported:
                tainted.add(label)
            except (ValueError, TypeError) as e:
                self.diag(path, f"step '{label}' of DAG '{name}': {one_line(e)}", "step", key=True)
                tainted.add(label)
            except Exception as e:  # user code (a @dag_factory) failed while building
                self.diag(
                    path,
                    f"step '{label}' of DAG '{name}': building it raised {type(e).__name__}: {e}",
                    "step",
                    key=True,
                )
                tainted.add(label)
        add_edges(self, name, dag, spec, tainted)
        if tainted:
            self.broken.add(name)

    def _node(
        self,
        dag_name: str,
        dag: Dag,
        label: str,
        node: Any,
        defaults: DagDefaults,
        path: Path,
    ) -> None:
        options: dict[str, Any] = {}
        if not isinstance(node, str):
            options = {
                "retries": _first(node.retries, defaults.retries),
                "retry_backoff": _first(node.retry_backoff, defaults.retry_backoff),
                "timeout": _first(node.timeout, defaults.timeout),
            }
        else:
            options = {
                "retries": defaults.retries,
                "retry_backoff": defaults.retry_backoff,
                "timeout": defaults.timeout,
            }
        built: DagNode
        if isinstance(node, str | RefNodeSpec):
            ref = node if isinstance(node, str) else node.ref
            inline = isinstance(node, RefNodeSpec) and node.inline
            options["remote"] = defaults.remote
            if isinstance(node, RefNodeSpec):
                self._check_call_options(node, path)
                if node.isolation is not None:
                    options["isolation"] = node.isolation
                options["remote"] = _first(node.remote, defaults.remote)
            built = self._ref_step(dag, label, ref, inline, options, path)
        elif isinstance(node, NsrefNodeSpec):
            built = self._nsref_step(dag, label, node.nsref, options, path)
        elif isinstance(node, MapNodeSpec):
            target = node.map
            concurrency = _first(node.concurrency, defaults.concurrency)
            if isinstance(target, SwitchSpec):
                branches = self._branches(dag_name, label, target.switch, (*path, "map", "switch"))
                built = dag.map(dag.switch(branches, label), label, concurrency=concurrency)
            else:
                sub = self._sub_dag(dag_name, label, target, (*path, "map"), "map")
                built = dag.map(sub, label, concurrency=concurrency)
        elif isinstance(node, CallNodeSpec):
            sub = self._sub_dag(dag_name, label, node.call, (*path, "call"), "call")
            built = dag.node(sub, label)
        else:
            branches = self._branches(dag_name, label, node.switch, (*path, "switch"))
            built = dag.switch(branches, label)
        for key, value in options.items():
            if value is not None:
                setattr(built, key, value)
        if built.kind == "node" and node_timeout(node) is None and runs_inline(built):
            # A DAG-wide default timeout cannot bind a step on the event loop; one set
            # on the step itself stays, and the checks report it (inline_timeout).
            built.timeout = None

    def _check_call_options(self, node: RefNodeSpec, path: Path) -> None:
        """Options an inline step cannot honour, reported where they are written."""
        if not node.inline:
            return
        if node.timeout is not None:
            self.diag(
                (*path, "timeout"),
                "an inline step runs on the event loop, where a timeout cannot be enforced; "
                "remove the timeout, or drop `inline: true` so the step runs in a worker "
                "thread (`isolation: process` also stops it when it hangs)",
                "inline_timeout",
            )
            raise _Reported()
        if node.isolation == "process":
            self.diag(
                (*path, "isolation"),
                "`isolation: process` runs the step in a child process; it cannot also be "
                "inline (on the event loop): choose one",
                "isolation_mode",
            )
            raise _Reported()

    def _ref_step(
        self,
        dag: Dag,
        label: str,
        ref: str,
        inline: bool,
        options: dict[str, Any],
        path: Path,
    ) -> DagNode:
        ref_path = (*path, "ref") if self.smap.has((*path, "ref")) else path
        obj = self.obtain_or_report(ref, ref_path, "step")
        if isinstance(obj, Dag) or is_dag_factory(obj):
            if inline:
                self.diag(
                    (*path, "inline"), f"'{ref}' is a DAG; inline applies to functions", "step"
                )
                raise _Reported()
            if options.pop("isolation", None) is not None:
                self.diag(
                    (*path, "isolation"),
                    f"'{ref}' is a DAG; isolation applies to functions (set it on its steps)",
                    "step",
                )
                raise _Reported()
            if options.pop("remote", None) is not None and self.smap.has((*path, "remote")):
                self.diag(
                    (*path, "remote"),
                    f"'{ref}' is a DAG; remote applies to functions (set it on its steps)",
                    "step",
                )
                raise _Reported()
            return dag.node(obj, label, **options)
        if not callable(obj):
            self.diag(
                ref_path,
                f"'{ref}' is a value of type {type(obj).__name__}, not a function or a DAG",
                "ref_kind",
            )
            raise _Reported()
        if inline:
            if inspect.iscoroutinefunction(obj):
                self.diag(
                    (*path, "inline"),
                    f"'{ref}' is async; inline applies to sync functions (async ones already "
                    "run on the event loop)",
                    "step",
                )
                raise _Reported()
            return dag.node(_inline_node(obj, dag), label, **options)
        return dag.node(obj, label, **options)

    def _nsref_step(
        self, dag: Dag, label: str, nsref: str, options: dict[str, Any], path: Path
    ) -> DagNode:
        try:
            ns_node = self.namespace.get(nsref)
        except KeyError:
            if self.static and any(nsref.startswith(p) for p in self.fragment_prefixes):
                return dag.node(placeholder(nsref), label, **options)
            self.diag(
                (*path, "nsref"),
                f"no namespace entry '{nsref}'",
                "unknown_nsref",
                hint=did_you_mean(nsref, [str(n.nsref) for n in self.namespace.nodes()]),
            )
            raise _Reported() from None
        if ns_node.dag is not None:
            return dag.node(ns_node.dag, label, **options)
        return dag.node(ns_node, label, **options)

    def _sub_dag(
        self,
        dag_name: str,
        label: str,
        target: str,
        path: Path,
        kind: str,
        branch: str | None = None,
    ) -> Dag:
        if ":" not in target:
            if target in self.broken:
                raise _Reported()  # its own problems are reported where they are
            key = label if branch is None else f"{label}[{branch}]"
            self.file_targets[(dag_name, key)] = target
            sub = self.dags[target]
        else:
            obj = self.obtain_or_report(target, path, "dag")
            if is_dag_factory(obj):
                obj = obj()
            if not isinstance(obj, Dag):
                self.diag(
                    path,
                    f"{kind} step '{label}' needs a DAG; '{target}' is a {type(obj).__name__}",
                    "ref_kind",
                    hint="declare a DAG for it under `dags:` and use its name",
                )
                raise _Reported()
            sub = obj
        self._one_in_one_out(sub, target, path, f"{kind} target")
        return sub

    def _one_in_one_out(self, sub: Dag, target: str, path: Path, what: str) -> None:
        sources, sinks = sub.sources(), sub.sinks()
        problems = []
        if len(sources) != 1:
            problems.append(
                f"{len(sources)} sources ({', '.join(n.label for n in sources) or 'none'})"
            )
        if len(sinks) != 1:
            problems.append(f"{len(sinks)} sinks ({', '.join(n.label for n in sinks) or 'none'})")
        if problems:
            self.diag(
                path,
                f"{what} '{target}' must have exactly one source and one sink; it has "
                + " and ".join(problems),
                "sub_dag_shape",
                hint="connect its steps so one step starts it and one ends it",
            )
            raise _Reported()

    def _branches(
        self, dag_name: str, label: str, branches: dict[str, str], path: Path
    ) -> dict[str, Any]:
        resolved: dict[str, Any] = {}
        failed = False
        for branch, target in branches.items():
            bpath = (*path, branch)
            try:
                if ":" not in target:
                    resolved[branch] = self._sub_dag(
                        dag_name, label, target, bpath, "switch branch", branch
                    )
                    continue
                obj = self.obtain_or_report(target, bpath, "dag")
                if isinstance(obj, Dag) or is_dag_factory(obj):
                    obj = obj if isinstance(obj, Dag) else obj()
                    self._one_in_one_out(obj, target, bpath, "switch branch")
                elif not callable(obj):
                    self.diag(bpath, f"'{target}' is not a DAG or a function", "ref_kind")
                    raise _Reported()
                resolved[branch] = obj
            except _Reported:
                failed = True
        if failed:
            raise _Reported()
        return resolved

    # -- registration ---------------------------------------------------------------

    def register_dags(self) -> None:
        for name, dag in self.dags.items():
            if name in self.namespace:
                self.diag(
                    ("dags", name),
                    f"DAG name '{name}' is also the nsref of a namespace entry",
                    "duplicate_name",
                    key=True,
                    hint="rename one of them",
                )
                continue
            self.namespace.register(dag, nsref=name)


class _Reported(Exception):
    """A step could not be built and its problem is already a diagnostic."""


def _targets(node: Any, path: Path) -> list[tuple[str, Path]]:
    """The DAG references of a step: ``(target, where)``."""
    if isinstance(node, MapNodeSpec):
        if isinstance(node.map, SwitchSpec):
            return [(t, (*path, "map", "switch", b)) for b, t in node.map.switch.items()]
        return [(node.map, (*path, "map"))]
    if isinstance(node, CallNodeSpec):
        return [(node.call, (*path, "call"))]
    if isinstance(node, str | RefNodeSpec | NsrefNodeSpec):
        return []
    return [(t, (*path, "switch", b)) for b, t in node.switch.items()]
