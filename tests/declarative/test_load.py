"""load_config: a YAML file becomes runnable Dag objects, equal to their Python twins."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from lythonic.compose.dag_provenance import DagProvenance
from lythonic.compose.namespace import CallNode, Dag, MapNode, MapSwitchNode, SwitchNode
from lythonic.declarative import (
    ConfigError,
    LythSettings,
    UnknownDagError,
    compile_config,
    load_config,
    validate_config,
)
from tests.declarative.conftest import STEPS

ROOT = Path(__file__).resolve().parents[2]


def _rows(db: DagProvenance, run_id: str) -> dict[str, Any]:
    """What a run recorded, without ids and timings."""
    nodes = sorted(
        (n["node_label"], n["status"], n["input_json"], n["output_json"])
        for n in db.get_node_executions(run_id)
    )
    edges = sorted(
        (e["upstream_label"], e["downstream_label"]) for e in db.get_edge_traversals(run_id)
    )
    children = sorted((c.dag_nsref.split("/", 1)[1], c.status) for c in db.get_child_runs(run_id))
    return {"nodes": nodes, "edges": edges, "children": children}


def test_yaml_and_python_twins_run_identically(tmp_path: Path) -> None:
    """The word_count DAG from YAML and from Python: same structure, outputs and provenance rows."""
    from examples.pipelines.words import word_count_dag

    cfg = load_config(ROOT / "examples" / "pipelines" / "word_count.yaml")
    yaml_dag, py_dag = cfg.dags["word_count"], word_count_dag()
    assert yaml_dag.definition_hash() == py_dag.definition_hash()

    from lythonic.compose.dag_runner import DagRunner

    db = DagProvenance(tmp_path / "dags.db")
    inputs = {"split": {"parts": 4}, "reduce": {"top": 10}}
    from_yaml = asyncio.run(
        DagRunner(yaml_dag, provenance=db).run(source_inputs=inputs, dag_nsref="word_count")
    )
    from_python = asyncio.run(
        DagRunner(py_dag, provenance=db).run(source_inputs=inputs, dag_nsref="word_count")
    )
    db.flush()
    assert from_yaml.status == from_python.status == "completed"
    assert from_yaml.outputs == from_python.outputs and from_yaml.outputs["reduce"]
    assert _rows(db, from_yaml.run_id) == _rows(db, from_python.run_id)
    assert len(_rows(db, from_yaml.run_id)["children"]) == 4
    yaml_run, py_run = db.get_run(from_yaml.run_id), db.get_run(from_python.run_id)
    assert yaml_run is not None and py_run is not None
    assert yaml_run["dag_hash"] == py_run["dag_hash"]
    db.close()


def test_config_run_records_revision(tmp_path: Path) -> None:
    """LoadedConfig.run applies the file's inputs and records the config revision."""
    cfg = load_config(ROOT / "lyth.yaml", data_dir=tmp_path)
    db = DagProvenance(cfg.storage.dags_db)
    result = asyncio.run(cfg.run("monthly_report", provenance=db, initiator="test"))
    db.flush()
    assert result.status == "completed" and "Sales, May 2024" in result.outputs["render"]
    row = db.get_run(result.run_id)
    assert row is not None and row["config_revision"] == cfg.revision
    assert row["initiated_by"] == "test" and row["dag_nsref"] == "monthly_report"
    assert cfg.storage.dags_db == tmp_path.resolve() / "dags.db"
    db.close()


def test_every_node_form_builds_and_runs(write_config, settings: LythSettings) -> None:
    """ref, inline, nsref, map, map over a switch, call (file DAG, factory, Dag object), switch."""
    path = write_config(
        f"""
        version: 1
        dags:
          main:
            max_concurrency: 4
            defaults: {{retries: 1, retry_backoff: 10ms, timeout: 5s, concurrency: 3}}
            nodes:
              text: {STEPS}:text
              where: {{ref: "{STEPS}:thread_name", inline: true}}
              up: {{nsref: "util:up"}}
              split: {STEPS}:words
              each: {{map: per_word}}
              labelled: {STEPS}:labelled
              routed: {{map: {{switch: {{hello: per_word, world: "{STEPS}:upper"}}}}}}
              pair: {STEPS}:pair
              branch: {{switch: {{hello: per_word, other: "{STEPS}:shout_dag"}}, retries: 0}}
              called: {{call: "{STEPS}:shout_dag"}}
              obj: "{STEPS}:shout_pipeline"
            edges:
              - text >> [where, up, pair, called, obj]
              - up >> split >> each
              - text >> labelled >> routed
              - pair >> branch
          per_word:
            nodes:
              up: {STEPS}:upper
        namespace:
          - nsref: "util:up"
            gref: {STEPS}:upper
        """
    )
    cfg = load_config(path, settings=settings)
    dag = cfg.dags["main"]
    kinds = {label: type(node) for label, node in dag.nodes.items()}
    assert kinds["each"] is MapNode and kinds["routed"] is MapSwitchNode
    assert (
        kinds["branch"] is SwitchNode and kinds["called"] is CallNode and kinds["obj"] is CallNode
    )
    assert dag.nodes["text"].retries == 1 and dag.nodes["text"].timeout == 5.0
    assert dag.nodes["text"].retry_backoff == 0.01 and dag.nodes["branch"].retries == 0
    assert dag.nodes["each"].concurrency == 3  # type: ignore[attr-defined]
    assert cfg.runner("main").max_concurrency == 4
    assert dag.nodes["up"].ns_node is cfg.namespace.get("util:up")
    result = asyncio.run(cfg.run("main"))
    assert result.status == "completed", result.error
    out = result.outputs
    assert out["where"] == f"hello world@{threading.main_thread().name}"
    assert out["each"] == ["HELLO", "WORLD"] and out["routed"] == ["HELLO", "WORLD"]
    assert out["branch"] == "HELLO WORLD" and out["called"] == out["obj"] == "HELLO WORLD!"


def test_inputs_reach_non_source_steps(write_config, settings: LythSettings) -> None:
    """`inputs` for a step with upstreams are passed on top of the wired values."""
    path = write_config(
        f"""
        dags:
          d:
            nodes:
              text: {STEPS}:text
              join: {STEPS}:join
            edges: [text >> join.s]
            inputs:
              text: {{value: abc}}
              join: {{n: 7}}
        """
    )
    cfg = load_config(path, settings=settings)
    assert asyncio.run(cfg.run("d")).outputs == {"join": "abc:7"}
    assert asyncio.run(cfg.run("d", {"join": {"n": 8}})).outputs == {"join": "abc:8"}


def test_namespace_entries_keep_working(write_config, settings: LythSettings) -> None:
    """Upstream entries (auto with triggers, factory DAG, module fragment) build and run."""
    path = write_config(
        f"""
        namespace:
          - nsref: "text:upper"
            gref: {STEPS}:upper
            triggers: ["*/30 * * * * *"]
          - nsref: "pipelines:shout"
            gref: {STEPS}:shout_dag__
          - type: fragment
            gref: tests.declarative.fixtures.frag
            nsref: "frag:"
        """
    )
    cfg = load_config(path, settings=settings)
    names = cfg.dag_names()
    assert {"text:upper", "pipelines:shout", "frag:greet", "frag:exclaim"} <= set(names)
    assert [t.name for _, t in cfg.namespace.triggers()] == ["upper_poll"]
    assert cfg.namespace.get("frag:greet").tags == frozenset({"text"})
    result = asyncio.run(cfg.run("frag:greet", {"greet": {"name": "ops"}}))
    assert result.outputs == {"greet": "hello ops"}
    shout = asyncio.run(cfg.run("pipelines:shout", {"upper": {"s": "hi"}}))
    assert shout.outputs == {"shout": "HI!"}


@pytest.mark.parametrize("static", [False, True])
def test_cache_entries_sharing_a_table_are_reported(
    write_config, settings: LythSettings, static: bool
) -> None:
    """Two cache entries whose nsrefs map to one table are a positioned error, also --static."""
    path = write_config(
        f"""
        namespace:
          - type: cache
            nsref: "a.b:c"
            gref: {STEPS}:upper
            min_ttl: 1
            max_ttl: 2
          - type: cache
            nsref: "a:b.c"
            gref: {STEPS}:length
            min_ttl: 1
            max_ttl: 2
        """
    )
    diags = validate_config(path, settings=settings, static=static)
    assert [(d.line, d.code) for d in diags] == [(7, "cache_table")]
    assert "'a:b.c'" in diags[0].message and "'a__b__c'" in diags[0].message


def test_unknown_dag_has_a_hint() -> None:
    """Asking for a DAG that is not there says which one was meant."""
    cfg = load_config(ROOT / "lyth.yaml")
    with pytest.raises(UnknownDagError, match="did you mean 'word_count'"):
        cfg.get_dag("word_cuont")


def test_a_step_named_in_two_edges_is_reported_once(write_config, settings: LythSettings) -> None:
    """An unknown step in the middle of a chain (two edges) gives one diagnostic, not two."""
    path = write_config(
        f"""
        dags:
          d:
            nodes:
              a: {STEPS}:text
              c: {STEPS}:length
            edges:
              - a >> typo >> c
        """
    )
    diags = validate_config(path, settings=settings)
    assert [(d.line, d.code) for d in diags] == [(7, "unknown_node")]


def test_load_config_raises_with_every_problem(write_config, settings: LythSettings) -> None:
    """All problems of a file come back at once, each with its position."""
    path = write_config(
        f"""
        dags:
          d:
            nodes:
              a: {STEPS}:text
              b: {STEPS}:uper
              c: {STEPS}:length
            edges:
              - a >> c >> x
        triggers:
          t: {{dag: d, cron: "* * *", timezone: Mars/Olympus}}
        """
    )
    with pytest.raises(ConfigError) as info:
        load_config(path, settings=settings)
    where = [(d.line, d.column, d.code) for d in info.value.errors]
    assert where == [
        (5, 10, "ref_missing"),
        (8, 19, "unknown_node"),
        (10, 21, "cron"),
        (10, 40, "timezone"),
    ]


def test_sub_dag_inputs_do_not_apply(write_config, settings: LythSettings) -> None:
    """A DAG whose steps rely on its `inputs` cannot run as a sub-DAG, where they do not apply."""
    path = write_config(
        f"""
        dags:
          main:
            nodes:
              text: {STEPS}:text
              inner: {{call: needs_n}}
            edges: [text >> inner]
          needs_n:
            nodes:
              up: {STEPS}:upper
              join: {STEPS}:join
            edges: [up >> join]
            inputs:
              join: {{n: 3}}
        """
    )
    errors = [d for d in validate_config(path, settings=settings) if d.severity == "error"]
    assert len(errors) == 1 and (errors[0].line, errors[0].column) == (5, 7)
    assert "runs DAG 'needs_n' as a sub-DAG, where its `inputs` do not apply" in errors[0].message


def test_warnings_do_not_fail(write_config, settings: LythSettings) -> None:
    """An unannotated upstream that feeds nothing is a warning; the config still loads."""
    path = write_config(
        f"""
        dags:
          d:
            nodes:
              text: {STEPS}:text
              loose: {STEPS}:untyped
              up: {STEPS}:upper
            edges: [text >> up, loose >> up]
        """
    )
    cfg = load_config(path, settings=settings)
    assert [d.severity for d in cfg.warnings] == ["warning"]
    assert cfg.warnings[0].line == 7


def test_static_mode_imports_nothing(write_config, settings: LythSettings) -> None:
    """--static checks structure without importing the referenced modules."""
    os.environ.pop("LYTH_TEST_SIDEEFFECT_IMPORTED", None)
    path = write_config(
        """
        dags:
          d:
            nodes:
              a: tests.declarative.fixtures.sideeffect:step
              b: {call: d}
              c: os:system
            edges: [a >> b, a >> c]
        """
    )
    diags = validate_config(path, settings=settings, static=True)
    assert [d.code for d in diags] == ["dag_cycle", "import_denied"]
    assert "LYTH_TEST_SIDEEFFECT_IMPORTED" not in os.environ


def test_the_config_directory_never_shadows_the_standard_library(
    tmp_path: Path, settings: LythSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A static check leaves sys.path alone; a full one appends the config's directory once."""
    import importlib.util
    import sys

    monkeypatch.setattr(sys, "path", list(sys.path))
    (tmp_path / "wave.py").write_text("raise SystemExit('the shadow was imported')\n")
    path = tmp_path / "lyth.yaml"
    path.write_text(f"version: 1\ndags:\n  d:\n    nodes:\n      a: {STEPS}:text\n")
    before = list(sys.path)
    assert validate_config(path, settings=settings, static=True) == []
    assert sys.path == before
    assert validate_config(path, settings=settings) == []
    assert validate_config(path, settings=settings) == []
    assert sys.path == [*before, str(tmp_path)]
    spec = importlib.util.find_spec("wave")
    assert spec is not None and spec.origin != str(tmp_path / "wave.py")


def test_storage_paths(tmp_path: Path, settings: LythSettings) -> None:
    """data_dir: settings, else storage.data_dir (relative to the file), else data/ next to it."""
    text = "storage: {data_dir: store, dags_db: runs/prov.db}\n"
    cfg, _ = compile_config(text, base_dir=tmp_path, settings=settings)
    assert cfg is not None
    assert cfg.data_dir == tmp_path.resolve() / "store"
    assert cfg.storage.dags_db == tmp_path.resolve() / "store" / "runs" / "prov.db"
    assert cfg.storage.triggers_db.name == "triggers.db" and cfg.storage.log_level == "INFO"
    plain, _ = compile_config("version: 1\n", base_dir=tmp_path, settings=settings)
    assert plain is not None and plain.data_dir == tmp_path.resolve() / "data"
    moved = settings.model_copy(update={"data_dir": tmp_path / "elsewhere", "log_level": "DEBUG"})
    over, _ = compile_config(text, base_dir=tmp_path, settings=moved)
    assert over is not None and over.data_dir == (tmp_path / "elsewhere").resolve()
    assert over.storage.log_level == "DEBUG"


def test_revision_follows_content(tmp_path: Path, settings: LythSettings) -> None:
    """The revision is a digest of the text: same text, same revision; an edit changes it."""
    a, _ = compile_config("version: 1\n", base_dir=tmp_path, settings=settings)
    b, _ = compile_config("version: 1\n", base_dir=tmp_path, settings=settings)
    c, _ = compile_config("version: 1  # edited\n", base_dir=tmp_path, settings=settings)
    assert a is not None and b is not None and c is not None
    assert a.revision == b.revision != c.revision


def test_loaded_config_is_read_only() -> None:
    """A loaded config is a snapshot: its DAG mapping cannot be changed."""
    cfg = load_config(ROOT / "lyth.yaml")
    with pytest.raises(TypeError):
        cfg.dags["x"] = Dag()  # type: ignore[index]
    with pytest.raises(AttributeError):
        cfg.revision = "other"  # type: ignore[misc]


@pytest.mark.parametrize("static", [False, True])
def test_a_timeout_on_an_inline_step_is_reported_at_the_timeout(
    write_config, settings: LythSettings, static: bool
) -> None:
    """`inline: true` with `timeout:` is an error at the timeout key (also without
    imports), and `isolation: process` with `inline: true` at the isolation key."""
    path = write_config(
        f"""
        version: 1
        dags:
          main:
            nodes:
              a: {{ref: "{STEPS}:text", inline: true, timeout: 2s}}
              b: {{ref: "{STEPS}:text", inline: true, isolation: process}}
        """
    )
    diags = [
        d for d in validate_config(path, settings=settings, static=static) if d.severity == "error"
    ]
    lines = path.read_text().splitlines()
    assert [(d.line, d.code) for d in diags] == [(5, "inline_timeout"), (6, "isolation_mode")]
    assert lines[4][diags[0].column - 1 :].startswith("2s}")
    assert lines[5][diags[1].column - 1 :].startswith("process}")
    assert "a timeout cannot be enforced" in diags[0].message


def test_the_dag_default_timeout_skips_inline_steps(write_config, settings: LythSettings) -> None:
    """`defaults.timeout` binds the steps that can be timed; an inline step runs without one."""
    path = write_config(
        f"""
        version: 1
        dags:
          main:
            defaults: {{timeout: 5s}}
            nodes:
              a: {{ref: "{STEPS}:text", inline: true}}
              b: {STEPS}:upper
            edges: [a >> b]
        """
    )
    cfg = load_config(path, settings=settings)
    assert cfg.dags["main"].nodes["a"].timeout is None
    assert cfg.dags["main"].nodes["b"].timeout == 5.0


def test_isolation_process_runs_the_step_in_a_child(write_config, settings: LythSettings) -> None:
    """`isolation: process` in YAML builds the same step as Dag.node(..., isolation=...);
    on a DAG reference it is an error."""
    path = write_config(
        f"""
        version: 1
        dags:
          main:
            nodes:
              text: {STEPS}:text
              where: {{ref: "{STEPS}:pid", isolation: process}}
            edges: [text >> where]
          wrong:
            nodes:
              called: {{ref: "{STEPS}:shout_dag", isolation: process}}
        """
    )
    diags = validate_config(path, settings=settings)
    assert [(d.code, d.message.split(";")[0]) for d in diags if d.severity == "error"] == [
        ("step", f"'{STEPS}:shout_dag' is a DAG")
    ]
    path.write_text(path.read_text().split("  wrong:")[0])
    cfg = load_config(path, settings=settings)
    assert cfg.dags["main"].nodes["where"].isolation == "process"
    result = asyncio.run(cfg.run("main"))
    assert result.status == "completed", result.error
    assert result.outputs["where"] != os.getpid()
