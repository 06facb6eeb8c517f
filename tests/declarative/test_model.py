"""The strict config model: node forms, durations, names, defaults."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from lythonic.declarative import (
    CallNodeSpec,
    LythConfig,
    MapNodeSpec,
    NsrefNodeSpec,
    RefNodeSpec,
    SwitchNodeSpec,
    SwitchSpec,
    parse_duration,
)


def _dag(nodes: dict[str, Any], **extra: Any) -> LythConfig:
    return LythConfig.model_validate({"dags": {"d": {"nodes": nodes, **extra}}})


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        (30, 30.0),
        (1.5, 1.5),
        ("30s", 30.0),
        ("2m", 120.0),
        ("1h30m", 5400.0),
        ("500ms", 0.5),
        ("1d", 86400.0),
        ("0.25s", 0.25),
    ],
)
def test_durations(text: Any, seconds: float) -> None:
    """Durations are seconds, or text with ms/s/m/h/d units."""
    assert parse_duration(text) == seconds
    spec = _dag({"a": {"ref": "m:f", "timeout": text}})
    assert spec.dags["d"].nodes["a"].timeout == seconds  # type: ignore[union-attr]


@pytest.mark.parametrize("text", ["30 seconds", "0s", 0, -1, "1x", True, "s"])
def test_bad_timeouts(text: Any) -> None:
    """A timeout must be a positive duration."""
    with pytest.raises(ValidationError):
        _dag({"a": {"ref": "m:f", "timeout": text}})


def test_zero_backoff_is_allowed() -> None:
    """A retry backoff may be zero (retry at once)."""
    spec = _dag({"a": {"ref": "m:f", "retries": 2, "retry_backoff": "0s"}})
    assert spec.dags["d"].nodes["a"].retry_backoff == 0.0  # type: ignore[union-attr]


def test_node_forms() -> None:
    """Each node form becomes its own class; a bare string is a function reference."""
    spec = _dag(
        {
            "a": "pkg.mod:fn",
            "b": {"ref": "pkg.mod:fn", "retries": 2, "inline": True},
            "c": {"nsref": "market:prices"},
            "d": {"map": "sub", "concurrency": 4},
            "e": {"map": {"switch": {"x": "sub", "y": "pkg:f"}}},
            "f": {"call": "pkg.mod:factory"},
            "g": {"switch": {"csv": "sub", "json": "pkg.mod:parse"}},
        }
    )
    nodes = spec.dags["d"].nodes
    assert nodes["a"] == "pkg.mod:fn"
    assert isinstance(nodes["b"], RefNodeSpec) and nodes["b"].inline and nodes["b"].retries == 2
    assert isinstance(nodes["c"], NsrefNodeSpec)
    assert isinstance(nodes["d"], MapNodeSpec) and nodes["d"].concurrency == 4
    assert isinstance(nodes["e"], MapNodeSpec) and isinstance(nodes["e"].map, SwitchSpec)
    assert isinstance(nodes["f"], CallNodeSpec)
    assert isinstance(nodes["g"], SwitchNodeSpec) and list(nodes["g"].switch) == ["csv", "json"]


@pytest.mark.parametrize(
    "node",
    [
        {"ref": "m:f", "retries": "3"},
        {"ref": "m:f", "retries": True},
        {"ref": "m:f", "retries": -1},
        {"ref": "m:f", "inline": "yes"},
        {"ref": "m:f", "concurrency": 3},
        {"map": "sub", "inline": True},
        {"map": "sub", "concurrency": 0},
        {"ref": "m:f", "map": "sub"},
        {"switch": {}},
        {"ref": "no_colon"},
        {"ref": "m:_private"},
        {"ref": "m:f:g"},
        {"refs": "m:f"},
        42,
    ],
)
def test_strictness(node: Any) -> None:
    """Wrong types, unknown keys, two kinds at once and malformed references are refused."""
    with pytest.raises(ValidationError):
        _dag({"a": node})


@pytest.mark.parametrize("name", ["my-dag", "2nd", "a.b", "", "x" * 65, "_hidden"])
def test_names_are_plain(name: str) -> None:
    """DAG, step and trigger names are a letter then letters, digits or underscores (<= 64)."""
    with pytest.raises(ValidationError):
        LythConfig.model_validate({"dags": {name: {"nodes": {"a": "m:f"}}}})
    with pytest.raises(ValidationError):
        _dag({name: "m:f"})
    with pytest.raises(ValidationError):
        LythConfig.model_validate({"triggers": {name: {"dag": "d", "cron": "* * * * *"}}})


def test_defaults() -> None:
    """An almost empty file is valid; version defaults to 1; triggers get their defaults."""
    spec = LythConfig.model_validate({"triggers": {"t": {"dag": "d", "cron": "0 * * * *"}}})
    assert spec.version == 1 and spec.dags == {} and spec.namespace == []
    trigger = spec.triggers["t"]
    assert (trigger.timezone, trigger.catchup, trigger.overlap, trigger.enabled) == (
        "UTC",
        "none",
        "skip",
        True,
    )
    assert trigger.catchup_window is None and trigger.catchup_cap == 100


def test_only_version_1() -> None:
    """Another version (or a string) is refused, so a future format cannot be misread."""
    for version in (2, "1", 0):
        with pytest.raises(ValidationError):
            LythConfig.model_validate({"version": version})


def test_upstream_namespace_entries() -> None:
    """Upstream lythonic's namespace entries (auto, cache, fragment, trigger shorthand) validate."""
    spec = LythConfig.model_validate(
        {
            "namespace": [
                {
                    "nsref": "examples:task1",
                    "gref": "pkg.mod:task1",
                    "triggers": [{"name": "t1", "type": "poll", "schedule": "*/19 * * * * *"}],
                },
                {"gref": "pkg.mod:failing", "triggers": ["*/37 * * * * *"]},
                {
                    "type": "cache",
                    "nsref": "examples:ts",
                    "gref": "pkg.mod:ts",
                    "min_ttl": 0.0005,
                    "max_ttl": 0.001,
                },
                {"nsref": "examples:dag1", "gref": "pkg.mod:dag1__"},
                {
                    "type": "fragment",
                    "gref": "pkg.mod:SleepFragment",
                    "nsref": "frag:",
                    "init": {"delay": 0.3},
                    "configs": {
                        "frag_dag": {"triggers": [{"name": "r", "schedule": "*/29 * * * * *"}]}
                    },
                },
                {
                    "type": "fragment",
                    "gref": "pkg.transforms",
                    "nsref": "transforms:",
                    "defaults": {"cache": {"min_ttl": 1, "max_ttl": 5}},
                },
            ]
        }
    )
    assert [e.type for e in spec.namespace] == [
        "auto",
        "auto",
        "cache",
        "auto",
        "fragment",
        "fragment",
    ]


def test_yaml_cannot_widen_the_allow_list() -> None:
    """The import allow-list is not a config key: only trusted settings hold it."""
    with pytest.raises(ValidationError):
        LythConfig.model_validate({"allow_imports": ["os"]})
    with pytest.raises(ValidationError):
        LythConfig.model_validate({"storage": {"allow_imports": ["os"]}})


def test_whole_floats_count_as_integers() -> None:
    """`retries: 2.0` is 2 (JSON Schema's "integer" accepts it too); 2.5 and booleans are refused."""
    spec = _dag({"a": {"ref": "m:f", "retries": 2.0}}, max_concurrency=4.0)
    assert spec.dags["d"].nodes["a"].retries == 2  # type: ignore[union-attr]
    assert spec.dags["d"].max_concurrency == 4
    assert LythConfig.model_validate({"version": 1.0}).version == 1
    for bad in (2.5, True, -1, 101):
        with pytest.raises(ValidationError):
            _dag({"a": {"ref": "m:f", "retries": bad}})
