"""The JSON Schema of ``lyth.yaml``, generated from the config model.

The checked-in copy (``schemas/lyth.schema.json``) is what editors use through
the ``# yaml-language-server: $schema=...`` modeline; regenerate it with
``lyth schema > schemas/lyth.schema.json`` (a test fails when it is stale).
The output is draft-07 (the draft most editors support): ``$defs`` become
``definitions`` and every object refuses unknown keys.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from lythonic.declarative._model import LythConfig

__all__ = ["DRAFT", "json_schema", "schema_text"]

DRAFT = "http://json-schema.org/draft-07/schema#"


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
        "title": "lyth.yaml",
        "description": raw.get("description", ""),
    }
    body = {k: v for k, v in schema.items() if k not in head}
    definitions = body.pop("definitions", {})
    return {**head, **body, "definitions": dict(sorted(definitions.items()))}


def schema_text() -> str:
    """The schema as the text of ``schemas/lyth.schema.json``."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
