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


_STEP = {"ref": "tests.x:f"}
_CACHE = {"type": "cache", "gref": "tests.x:f"}
_AGREE: dict[str, dict[str, Any]] = {
    "timeout 3": {"dags": {"d": {"nodes": {"a": {**_STEP, "timeout": 3}}}}},
    "timeout 1h30m": {"dags": {"d": {"nodes": {"a": {**_STEP, "timeout": "1h30m"}}}}},
    "timeout '0s'": {"dags": {"d": {"nodes": {"a": {**_STEP, "timeout": "0s"}}}}},
    "timeout ' 5s '": {"dags": {"d": {"nodes": {"a": {**_STEP, "timeout": " 5s "}}}}},
    "timeout .inf": {"dags": {"d": {"nodes": {"a": {**_STEP, "timeout": float("inf")}}}}},
    "timeout -.inf": {"dags": {"d": {"nodes": {"a": {**_STEP, "timeout": float("-inf")}}}}},
    "timeout .nan": {"dags": {"d": {"nodes": {"a": {**_STEP, "timeout": float("nan")}}}}},
    "backoff 0": {"dags": {"d": {"nodes": {"a": {**_STEP, "retry_backoff": 0}}}}},
    "backoff .nan": {"dags": {"d": {"nodes": {"a": {**_STEP, "retry_backoff": float("nan")}}}}},
    "backoff .inf": {"dags": {"d": {"nodes": {"a": {**_STEP, "retry_backoff": float("inf")}}}}},
    "retries 1.0": {"dags": {"d": {"nodes": {"a": {**_STEP, "retries": 1.0}}}}},
    "retries 1.5": {"dags": {"d": {"nodes": {"a": {**_STEP, "retries": 1.5}}}}},
    "version 1.0": {"version": 1.0},
    "version '1'": {"version": "1"},
    "ttl ok": {"namespace": [{**_CACHE, "min_ttl": 1, "max_ttl": 2}]},
    "ttl .inf": {"namespace": [{**_CACHE, "min_ttl": 1, "max_ttl": float("inf")}]},
    "ttl .nan": {"namespace": [{**_CACHE, "min_ttl": float("nan"), "max_ttl": 2}]},
    "ttl negative": {"namespace": [{**_CACHE, "min_ttl": -1, "max_ttl": 2}]},
}
_LOADER_ONLY: dict[str, dict[str, Any]] = {
    # JSON Schema cannot compare two fields; the loader says it on one line.
    "cache min_ttl > max_ttl": {"namespace": [{**_CACHE, "min_ttl": 3, "max_ttl": 2}]},
    "fragment defaults min_ttl > max_ttl": {
        "namespace": [
            {
                "type": "fragment",
                "gref": "tests.x",
                "nsref": "x:",
                "defaults": {"cache": {"min_ttl": 3, "max_ttl": 2}},
            }
        ]
    },
    "fragment method min_ttl > max_ttl": {
        "namespace": [
            {
                "type": "fragment",
                "gref": "tests.x",
                "nsref": "x:",
                "configs": {"m": {"min_ttl": 3, "max_ttl": 2}},
            }
        ]
    },
}


def _verdicts(patch: dict[str, Any]) -> tuple[bool, list[str]]:
    """(the schema accepts it, the loader's error lines) for the base config with ``patch``."""
    from lythonic.declarative import LythSettings, compile_config

    doc: dict[str, Any] = {"version": 1, "dags": {"d": {"nodes": {"a": "tests.x:f"}}}, **patch}
    schema_ok = not list(jsonschema.Draft7Validator(json_schema()).iter_errors(doc))
    _, diags = compile_config(
        yaml.safe_dump(doc), settings=LythSettings(allow_imports=["tests"]), static=True
    )
    return schema_ok, [str(d) for d in diags if d.severity == "error"]


@pytest.mark.parametrize("case", sorted(_AGREE))
def test_schema_and_loader_agree(case: str) -> None:
    """The editor's schema and the loader accept and refuse the same values (NaN and inf too)."""
    schema_ok, errors = _verdicts(_AGREE[case])
    assert schema_ok == (errors == []), (case, errors)
    assert all("\n" not in e for e in errors)


def test_durations_that_are_not_finite_get_one_clear_message() -> None:
    """`.inf` and `.nan` as a timeout say the duration must be finite, not 'is not a duration'."""
    for value in (float("inf"), float("nan")):
        _, errors = _verdicts({"dags": {"d": {"nodes": {"a": {**_STEP, "timeout": value}}}}})
        assert len(errors) == 1 and "must be a finite number of seconds" in errors[0]


@pytest.mark.parametrize("case", sorted(_LOADER_ONLY))
def test_cross_field_rules_are_one_positioned_line(case: str) -> None:
    """A rule JSON Schema cannot express is the loader's: one `file:line:col: message` line."""
    schema_ok, errors = _verdicts(_LOADER_ONLY[case])
    assert schema_ok
    assert len(errors) == 1, errors
    assert re.match(
        r"^lyth\.yaml:\d+:\d+: .*max_ttl \(2\) must be at least min_ttl \(3\)", errors[0]
    )
    assert "\n" not in errors[0] and "validation error" not in errors[0]


def test_the_schema_has_an_id_naming_the_format_version() -> None:
    """`$id` names the schema (format version 1); editors resolve its refs as before."""
    schema = json_schema()
    assert schema["$id"] == "https://lythonic.dev/schemas/lyth-1.schema.json"
    jsonschema.Draft7Validator.check_schema(schema)


def test_with_steps_types_each_steps_inputs_from_its_signature(tmp_path: Path) -> None:
    """`steps_schema` of a loaded config: a DAG's and a trigger's step inputs are typed
    from the function (`parts: int`): a string there, or a parameter the step does not
    have, is flagged; right values pass; an event trigger may use a template."""
    from lythonic.declarative import LythSettings, load_config
    from lythonic.declarative._schema import steps_schema

    config = tmp_path / "lyth.yaml"
    config.write_text(
        "dags:\n"
        "  d:\n"
        "    nodes:\n"
        "      split: tests.declarative.fixtures.steps:join\n"
        "    inputs: {split: {s: a, n: 2}}\n"
        "triggers:\n"
        "  t: {dag: d, cron: '@daily', inputs: {split: {n: 3}}}\n"
        "  f:\n"
        "    dag: d\n"
        "    type: file\n"
        "    path: in\n"
        "    inputs: {split: {s: '{file.name}', n: '{file.size}'}}\n"
    )
    cfg = load_config(config, settings=LythSettings(allow_imports=["tests.declarative.fixtures"]))
    validator = jsonschema.Draft7Validator(steps_schema(cfg))
    data = yaml.safe_load(config.read_text())
    assert list(validator.iter_errors(data)) == []
    data["dags"]["d"]["inputs"]["split"]["n"] = "two"
    errors = [e.message for e in validator.iter_errors(data)]
    assert errors == ["'two' is not of type 'integer'"]
    data["dags"]["d"]["inputs"]["split"] = {"s": "a", "n": 2, "m": 1}
    assert any("'m' was unexpected" in e.message for e in validator.iter_errors(data))
    data = yaml.safe_load(config.read_text())
    data["triggers"]["t"]["inputs"]["split"]["n"] = "3"
    assert [e.message for e in validator.iter_errors(data)] == ["'3' is not of type 'integer'"]
