"""The JSON Schema of ``lyth.yaml``, generated from the config model.

The checked-in copy (``schemas/lyth.schema.json``) is what editors use through
the ``# yaml-language-server: $schema=...`` modeline; regenerate it with
``lyth schema > schemas/lyth.schema.json`` (a test fails when it is stale).
The output is draft-07 (the draft most editors support): ``$defs`` become
``definitions`` and every object refuses unknown keys. ``$id`` names it.

``steps_schema(cfg)`` (``lyth schema --with-steps``) adds what only a loaded
config knows: the parameters of each step, typed from its function's
signature, under ``dags.<dag>.inputs`` and ``triggers.<name>.inputs``, so an
editor flags an input of the wrong type or a parameter the step does not have.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from lythonic.declarative._model import LythConfig

__all__ = ["DRAFT", "SCHEMA_ID", "json_schema", "schema_text", "steps_schema"]

DRAFT = "http://json-schema.org/draft-07/schema#"
SCHEMA_ID = "https://lythonic.dev/schemas/lyth-1.schema.json"
"""The schema's ``$id``: names format version 1 of lyth.yaml (changes with ``version``)."""


def _to_draft07(node: Any) -> Any:
    if isinstance(node, list):
        return [_to_draft07(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "title":
            continue  # generated from class and field names: noise next to descriptions
        if key == "$ref" and isinstance(value, str):
            out[key] = value.replace("#/$defs/", "#/definitions/")
        elif key in ("properties", "patternProperties", "$defs"):
            # The keys of these mappings are names, not keywords: keep them all.
            out["definitions" if key == "$defs" else key] = {
                name: _to_draft07(sub) for name, sub in value.items()
            }
        else:
            out[key] = _to_draft07(value)
    if "patternProperties" in out and "additionalProperties" not in out:
        # A key that matches no pattern (an invalid name) must be refused too.
        out["additionalProperties"] = False
    return out


@cache
def json_schema() -> dict[str, Any]:
    """The draft-07 JSON Schema of a ``lyth.yaml`` file."""
    raw = LythConfig.model_json_schema(mode="validation")
    schema = _to_draft07(raw)
    head = {
        "$schema": DRAFT,
        "$id": SCHEMA_ID,
        "title": "lyth.yaml",
        "description": raw.get("description", ""),
    }
    body = {k: v for k, v in schema.items() if k not in head}
    definitions = body.pop("definitions", {})
    return {**head, **body, "definitions": dict(sorted(definitions.items()))}


def schema_text(schema: dict[str, Any] | None = None) -> str:
    """The schema (default: ``json_schema()``) as the text of ``schemas/lyth.schema.json``."""
    return json.dumps(schema or json_schema(), indent=2, ensure_ascii=False) + "\n"


def _param_schema(annotation: Any) -> dict[str, Any]:
    """The JSON Schema of values of ``annotation`` ({} when it cannot say)."""
    import inspect

    from pydantic import TypeAdapter

    if annotation is inspect.Parameter.empty or annotation is None:
        return {}
    try:
        return _to_draft07(TypeAdapter(annotation).json_schema(mode="validation"))
    except Exception:  # a type pydantic cannot describe: anything goes
        return {}


def _step_inputs(dag: Any, templated: bool) -> dict[str, Any]:
    """``{"properties": {step: {"properties": {param: schema}}}}`` for ``dag``'s steps."""
    from lythonic.compose.nodes import accepts_any_kwarg, node_params

    steps: dict[str, Any] = {}
    for label, node in dag.nodes.items():
        if node.kind != "node":
            continue
        params: dict[str, Any] = {}
        for p in node_params(node.ns_node):
            typed = _param_schema(p.annotation)
            if templated and typed:  # an event trigger may fill it from what fired it
                typed = {"anyOf": [typed, {"type": "string", "pattern": "\\{[^{}]+\\}"}]}
            params[p.name] = typed
        step: dict[str, Any] = {"properties": params}
        if not accepts_any_kwarg(node.ns_node):
            step["additionalProperties"] = False
        steps[label] = step
    return {"properties": steps}


def steps_schema(cfg: Any) -> dict[str, Any]:
    """``json_schema()`` with the inputs of ``cfg``'s DAGs and triggers typed per step."""
    schema = json.loads(json.dumps(json_schema()))
    dags = schema["properties"]["dags"]
    dags["properties"] = {
        name: {"properties": {"inputs": _step_inputs(dag, templated=False)}}
        for name, dag in cfg.dags.items()
    }
    triggers = schema["properties"]["triggers"]
    typed_triggers: dict[str, Any] = {}
    for name, trigger in cfg.triggers.items():
        if trigger.dag in cfg.dags:
            inputs = _step_inputs(cfg.dags[trigger.dag], templated=trigger.type != "cron")
            typed_triggers[name] = {"properties": {"inputs": inputs}}
    triggers["properties"] = typed_triggers
    schema["description"] = (
        f"{schema.get('description', '')} With the steps of {cfg.path or 'a config'}."
    ).strip()
    return schema
