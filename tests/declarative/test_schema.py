"""The generated JSON Schema: checked in, fresh, draft-07, strict, described, and used."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from lythonic.declarative import json_schema, schema_text

ROOT = Path(__file__).resolve().parents[2]
CHECKED_IN = ROOT / "schemas" / "lyth.schema.json"
SHIPPED = [ROOT / "lyth.yaml", *sorted((ROOT / "examples").rglob("*.yaml"))]


def _walk(node: Any, path: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}/{i}")


def test_checked_in_schema_is_fresh() -> None:
    """schemas/lyth.schema.json is what the model generates (regenerate: lyth schema > ...)."""
    assert CHECKED_IN.read_text(encoding="utf-8") == schema_text(), (
        "schemas/lyth.schema.json is stale: run `lyth schema > schemas/lyth.schema.json`"
    )


def test_draft07() -> None:
    """The schema is a valid draft-07 schema and uses no later keywords."""
    schema = json_schema()
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    jsonschema.Draft7Validator.check_schema(schema)
    text = json.dumps(schema)
    for later in ('"$defs"', '"prefixItems"', '"unevaluatedProperties"', '"dependentRequired"'):
        assert later not in text
    assert all(ref.startswith("#/definitions/") for ref in re.findall(r'"\$ref": "([^"]+)"', text))


def test_every_key_is_described() -> None:
    """Every property of every object carries a description (editors show it on hover)."""
    missing = [
        f"{path}/properties/{name}"
        for path, node in _walk(json_schema())
        if isinstance(node.get("properties"), dict)
        for name, sub in node["properties"].items()
        if not sub.get("description")
    ]
    assert missing == []
    undescribed = [
        name for name, d in json_schema()["definitions"].items() if not d.get("description")
    ]
    assert undescribed == []


def test_objects_refuse_unknown_keys() -> None:
    """Every object with named keys sets additionalProperties: false, so typos are flagged."""
    loose = [
        path
        for path, node in _walk(json_schema())
        if ("properties" in node or "patternProperties" in node)
        and node.get("additionalProperties") is not False
    ]
    assert loose == []


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_yaml_validates_and_names_the_schema(path: Path) -> None:
    """Every shipped YAML passes the schema and carries a modeline pointing at the schema file."""
    text = path.read_text(encoding="utf-8")
    first = text.splitlines()[0]
    m = re.match(r"# yaml-language-server: \$schema=(\S+)$", first)
    assert m, f"{path} lacks the yaml-language-server modeline"
    assert (path.parent / m.group(1)).resolve() == CHECKED_IN
    errors = list(jsonschema.Draft7Validator(json_schema()).iter_errors(yaml.safe_load(text)))
    assert errors == []


def test_schema_refuses_what_the_model_refuses() -> None:
    """Spot checks of agreement: bad names, bad durations, extra keys, two node kinds."""
    validator = jsonschema.Draft7Validator(json_schema())
    bad = [
        {"dags": {"my-dag": {"nodes": {"a": "m:f"}}}},
        {"dags": {"d": {"nodes": {"a": {"ref": "m:f", "timeout": "0s"}}}}},
        {"dags": {"d": {"nodes": {"a": {"ref": "m:f", "timeout": "30 seconds"}}}}},
        {"dags": {"d": {"nodes": {"a": {"ref": "m:f", "map": "x"}}}}},
        {"dags": {"d": {"nodes": {}}}},
        {"dags": {"d": {"nodes": {"a": "m:f"}, "inputs": {"a": {"not-ident": 1}}}}},
        {"storage": {"log_level": "LOUD"}},
        {"namespace": [{"type": "fragment", "gref": "m", "nsref": "no_colon"}]},
    ]
    for data in bad:
        assert list(validator.iter_errors(data)), data
    good = {"dags": {"d": {"nodes": {"a": {"ref": "m:f", "timeout": "1h30m", "retry_backoff": 0}}}}}
    assert list(validator.iter_errors(good)) == []
