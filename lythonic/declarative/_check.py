"""Semantic checks on built DAGs: ``Dag.check`` issues placed in the YAML, inputs, triggers.

The compose layer decides what is wrong with a DAG (``Dag.check`` returns
``DagIssue``s naming nodes, edges and parameters); here each issue is put
back at the line that declared the node or edge, and the checks only the
config has (inputs, triggers) are added.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from lythonic.compose.namespace import DagIssue
from lythonic.compose.nodes import DagShape, accepts_any_kwarg, format_type, node_params
from lythonic.declarative._build import Builder
from lythonic.declarative._diagnostics import did_you_mean
from lythonic.declarative._inputs import input_mismatch
from lythonic.declarative._trigger_checks import (
    check_event_trigger,
    cron_problem,
    sample_inputs,
    timezone_problem,
)
from lythonic.declarative._yaml import Path

__all__ = ["check_config", "check_inputs", "check_schedule", "missing_source_inputs"]

# Without imports, signatures are unknown: only the structure can be judged.
_STRUCTURAL = frozenset({"cycle", "composite_upstreams"})


def check_inputs(
    b: Builder,
    dag: DagShape,
    inputs: Mapping[str, Mapping[str, Any]],
    path: Path,
    declared: Mapping[str, Any] | None = None,
) -> None:
    """Every input names a step of ``dag`` and a parameter that step takes, with a
    value that fits the parameter's annotation (pydantic, lax mode).

    ``declared`` are the step names the file declares: one that could not be
    built was reported already.
    """
    for label, params in inputs.items():
        node = dag.nodes.get(label)
        if node is None and declared is not None and label in declared:
            continue
        if node is None:
            b.diag(
                (*path, label),
                f"inputs name unknown step '{label}'",
                "unknown_input",
                key=True,
                hint=did_you_mean(label, dag.nodes),
            )
            continue
        if node.kind != "node":
            b.diag(
                (*path, label),
                f"step '{label}' is a {node.kind} step; it takes its upstream value, not inputs",
                "unknown_input",
                key=True,
            )
            continue
        declared_params = {p.name: p for p in node_params(node.ns_node)}
        any_kwarg = accepts_any_kwarg(node.ns_node)
        for param, value in params.items():
            known = declared_params.get(param)
            if known is None:
                if any_kwarg:
                    continue
                names = list(declared_params)
                b.diag(
                    (*path, label, param),
                    f"step '{label}' has no parameter '{param}'",
                    "unknown_input",
                    key=True,
                    hint=did_you_mean(param, names) or f"it takes: {', '.join(names) or 'none'}",
                )
                continue
            problem = input_mismatch(known.annotation, value)
            if problem is not None:
                b.diag(
                    (*path, label, param),
                    f"input {_show(value)} does not fit parameter "
                    f"'{param}: {format_type(known.annotation)}' of step '{label}': {problem}",
                    "input_type",
                )


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def missing_source_inputs(
    dag: DagShape, inputs: Mapping[str, Mapping[str, Any]]
) -> list[tuple[str, str]]:
    """``(step, parameter)`` pairs a run of ``dag`` with ``inputs`` would lack."""
    missing = []
    for node in dag.sources():
        if node.kind != "node":
            continue
        given = inputs.get(node.label, {})
        for param in node_params(node.ns_node):
            if param.required and param.name not in given:
                missing.append((node.label, param.name))
    return missing


def _issue_site(b: Builder, name: str, issue: DagIssue) -> tuple[Path, dict[str, Any]]:
    sites = b.edge_sites.get(name, {})
    if issue.edge is not None:
        up, down = issue.edge
        for key in ((up, down, issue.param), (up, down, None)):
            if key in sites:
                path, offset = sites[key]
                return path, {"offset": offset}
        for (u, d, _), (path, offset) in sites.items():
            if (u, d) == (up, down):
                return path, {"offset": offset}
    label = issue.nodes[0] if issue.nodes else None
    if label is not None:
        return ("dags", name, "nodes", label), {"key": True}
    return ("dags", name), {"key": True}


_PY_PORT = re.compile(r"\.param\('(\w+)'\)")


def _in_yaml_terms(message: str) -> str:
    """Compose messages show the Python fix (``b.param('x')``); YAML writes ``b.x``."""
    return _PY_PORT.sub(r".\1", message).replace(".param(...)", ".<parameter>")


def report_issues(b: Builder, name: str, issues: list[DagIssue]) -> None:
    """Place each ``Dag.check`` issue of file DAG ``name`` at its YAML declaration."""
    spec = b.spec.dags[name]
    tainted = b.tainted.get(name, set())
    for issue in issues:
        if tainted.intersection(issue.nodes) or (issue.edge and tainted.intersection(issue.edge)):
            continue  # a consequence of a problem already reported
        if b.static and issue.code not in _STRUCTURAL:
            continue
        if issue.dag_path:
            _report_nested(b, name, issue, spec.inputs)
            continue
        path, where = _issue_site(b, name, issue)
        b.diag(path, _in_yaml_terms(issue.message), issue.code, severity=issue.severity, **where)


def _report_nested(
    b: Builder, name: str, issue: DagIssue, inputs: Mapping[str, Mapping[str, Any]]
) -> None:
    head = issue.dag_path[0]
    label = head.split("[", 1)[0]
    target = b.file_targets.get((name, head))
    path: Path = ("dags", name, "nodes", label)
    if target is not None:
        # A DAG of this file is checked on its own; only what differs when it
        # runs as a sub-DAG is news here: its `inputs` do not apply there.
        own_inputs = b.spec.dags[target].inputs
        fed_by_inputs = (
            len(issue.dag_path) == 1
            and issue.code == "unfed_param"
            and issue.param is not None
            and issue.nodes
            and issue.param in own_inputs.get(issue.nodes[0], {})
        )
        if fed_by_inputs:
            b.diag(
                path,
                f"step '{label}' runs DAG '{target}' as a sub-DAG, where its `inputs` do not "
                f"apply: {_in_yaml_terms(issue.message)}",
                issue.code,
                severity=issue.severity,
                key=True,
            )
        return
    b.diag(
        path,
        f"in the sub-DAG of step '{label}': {_in_yaml_terms(str(issue))}",
        issue.code,
        severity=issue.severity,
        key=True,
    )


def check_schedule(
    b: Builder, cron: str | None, timezone: str | None, path: Path, cron_key: str = "cron"
) -> bool:
    """A trigger's cron expression and time zone (keys of the mapping at ``path``)."""
    problem = cron_problem(cron) if cron is not None else None
    if problem is not None:
        b.diag((*path, cron_key), problem, "cron")
    tz = timezone_problem(timezone) if timezone is not None else None
    if tz is not None:
        b.diag((*path, "timezone"), tz[0], "timezone", hint=tz[1])
    return problem is None and tz is None


def _check_triggers(b: Builder) -> None:
    names_in_namespace = {t.name for _, t in b.namespace.triggers()}
    runnable = {str(n.nsref): n for n in b.namespace.nodes()}
    for name, trigger in b.spec.triggers.items():
        path: Path = ("triggers", name)
        if name in names_in_namespace:
            b.diag(
                path,
                f"trigger name '{name}' is also used by a namespace entry's trigger",
                "duplicate_name",
                key=True,
            )
        inputs = trigger.inputs
        if trigger.type == "cron":
            check_schedule(b, trigger.cron, trigger.timezone, path)
        elif check_event_trigger(b, name, trigger, path):
            inputs = sample_inputs(trigger.type, inputs)
        else:
            inputs = {}  # templates said what is wrong; no type checks on top
        dag = _trigger_dag(b, trigger.dag, runnable)
        if dag is None:
            if trigger.dag in b.broken:
                continue
            if b.static and any(trigger.dag.startswith(p) for p in b.fragment_prefixes):
                continue
            b.diag(
                (*path, "dag"),
                f"trigger '{name}' runs unknown DAG '{trigger.dag}'",
                "unknown_dag",
                hint=did_you_mean(trigger.dag, [*b.spec.dags, *runnable]),
            )
            continue
        if b.static or trigger.dag in b.broken:
            continue
        declared_steps = b.spec.dags[trigger.dag].nodes if trigger.dag in b.spec.dags else None
        check_inputs(b, dag, inputs, (*path, "inputs"), declared_steps)
        declared = b.spec.dags[trigger.dag].inputs if trigger.dag in b.spec.dags else {}
        merged = {
            n.label: {**declared.get(n.label, {}), **trigger.inputs.get(n.label, {})}
            for n in dag.sources()
        }
        for label, param in missing_source_inputs(dag, merged):
            b.diag(
                path,
                f"trigger '{name}' runs DAG '{trigger.dag}', but nothing gives its step "
                f"'{label}' the required input '{param}'",
                "missing_input",
                key=True,
                hint=f"add it under triggers.{name}.inputs.{label} or the DAG's inputs",
            )


def _trigger_dag(b: Builder, ref: str, runnable: Mapping[str, Any]) -> DagShape | None:
    if ref in b.dags:
        return b.dags[ref]
    node = runnable.get(ref)
    if node is None:
        return None
    return b.namespace.get_as_dag(ref)


HOOK_KEYS = ("on_failure", "on_success", "on_late")


def _resolve_hooks(b: Builder) -> None:
    """Import each DAG's and trigger's hooks through the allow-list (problems placed)."""
    owners: list[tuple[str, str, Any, Path]] = [
        ("dag", n, s, ("dags", n)) for n, s in b.spec.dags.items()
    ]
    owners += [("trigger", n, t, ("triggers", n)) for n, t in b.spec.triggers.items()]
    for kind, name, spec, path in owners:
        for key in HOOK_KEYS:
            ref = getattr(spec, key, None)
            if ref is None:
                continue
            try:
                fn = b.obtain_or_report(ref, (*path, key), "hook")
            except Exception:  # reported at its place
                continue
            if not callable(fn):
                b.diag((*path, key), f"{key} '{ref}' is not a function", "hook")
                continue
            b.hooks.setdefault((kind, name), {})[key] = fn


def check_config(b: Builder) -> None:
    """Check every built DAG, its inputs, and every trigger, adding diagnostics to ``b``."""
    for name, dag in b.dags.items():
        spec = b.spec.dags[name]
        inputs_path: Path = ("dags", name, "inputs")
        if not b.static:
            check_inputs(b, dag, spec.inputs, inputs_path, spec.nodes)
        given = {label: set(params) for label, params in spec.inputs.items()}
        report_issues(b, name, dag.check(inputs=given))
    for node in b.namespace.nodes():
        if node.dag is None or str(node.nsref) in b.dags or b.static:
            continue
        for issue in node.dag.check():
            if issue.severity == "error":
                index = _entry_index(b, str(node.nsref))
                b.diag(
                    ("namespace", index),
                    f"DAG '{node.nsref}': {issue}",
                    issue.code,
                )
    _check_triggers(b)
    _resolve_hooks(b)


def _entry_index(b: Builder, nsref: str) -> int:
    for i, entry in enumerate(b.spec.namespace):
        data = entry.model_dump()
        if data.get("nsref") == nsref or data.get("gref") == nsref:
            return i
        prefix = data.get("nsref") or ""
        if data.get("type") == "fragment" and re.match(re.escape(prefix), nsref):
            return i
    return 0
