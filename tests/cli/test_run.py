"""`lyth run`: runs a DAG once with provenance, prints outputs and the run id."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lythonic.cli import commands
from lythonic.compose.dag_provenance import DagProvenance
from lythonic.declarative import LythSettings
from tests.cli.conftest import ROOT, STEPS, Invoke

LYTH_YAML = str(ROOT / "lyth.yaml")


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A small config with a source that needs an input and a step that can fail."""
    path = tmp_path / "lyth.yaml"
    path.write_text(
        f"""version: 1
dags:
  shout:
    nodes:
      up: {STEPS}:upper
      size: {STEPS}:length
    edges: [up >> size]
  broken:
    nodes:
      text: {STEPS}:text
      boom: {STEPS}:fail
    edges: [text >> boom]
"""
    )
    return path


def _run_ids(db: Path) -> list[str]:
    prov = DagProvenance(db)
    try:
        return [r.run_id for r in prov.get_recent_runs(limit=10, top_level_only=True)]
    finally:
        prov.close()


def test_run_prints_outputs_and_records_the_run(lyth: Invoke, tmp_path: Path) -> None:
    """The bundled word_count runs; stdout names the run; the store holds it."""
    data = tmp_path / "data"
    result = lyth("run", "word_count", "--config", LYTH_YAML, "--data", str(data))
    assert result.exit_code == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith("run ") and " of word_count: completed in " in first
    run_id = first.split()[1]
    assert "reduce:" in result.stdout and '"values": 7' in result.stdout
    assert _run_ids(data / "dags.db") == [run_id]
    prov = DagProvenance(data / "dags.db")
    try:
        row = prov.get_run(run_id)
        assert row is not None and row["status"] == "completed" and row["initiated_by"] == "manual"
        labels = {n["node_label"] for n in prov.get_node_executions(run_id)}
        assert labels == {"read", "split", "chunks", "reduce"}
    finally:
        prov.close()


def test_json_output(lyth: Invoke, tmp_path: Path) -> None:
    """--json gives run id, status, outputs and the store on stdout."""
    result = lyth("run", "etl", "-c", LYTH_YAML, "-d", str(tmp_path), "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["status"] == "completed" and data["dag"] == "etl"
    assert data["outputs"] == {"totals": {"amer": 112.47, "apac": 274.5, "emea": 237.38}}
    assert data["provenance"] == str((tmp_path / "dags.db").resolve())


def test_inputs_from_the_command_line(lyth: Invoke, config: Path, tmp_path: Path) -> None:
    """--input STEP.PARAM=VALUE (JSON or text) and --inputs-json (file or stdin) feed steps."""
    ok = lyth("run", "shout", "-c", str(config), "-i", "up.s=hello", "--json")
    assert json.loads(ok.stdout)["outputs"] == {"size": 5}
    quoted = lyth("run", "shout", "-c", str(config), "-i", 'up.s="42"', "--json")
    assert json.loads(quoted.stdout)["outputs"] == {"size": 2}
    inputs = tmp_path / "inputs.json"
    inputs.write_text('{"up": {"s": "abc"}}')
    from_file = lyth("run", "shout", "-c", str(config), "--inputs-json", str(inputs), "--json")
    assert json.loads(from_file.stdout)["outputs"] == {"size": 3}
    from_stdin = lyth(
        "run",
        "shout",
        "-c",
        str(config),
        "--inputs-json",
        "-",
        "--json",
        input='{"up": {"s": "x"}}',
    )
    assert json.loads(from_stdin.stdout)["outputs"] == {"size": 1}
    both = lyth(
        "run",
        "shout",
        "-c",
        str(config),
        "--inputs-json",
        str(inputs),
        "-i",
        "up.s=abcdef",
        "--json",
    )
    assert json.loads(both.stdout)["outputs"] == {"size": 6}


def test_input_text_takes_the_parameter_type(lyth: Invoke, tmp_path: Path) -> None:
    """`--input up.s=42` gives a str parameter the text "42"; an int parameter gets 42."""
    path = tmp_path / "lyth.yaml"
    path.write_text(
        f"version: 1\ndags:\n  j:\n    nodes:\n      u: {STEPS}:upper\n      j: {STEPS}:join\n"
    )
    args = ["-i", "u.s=42", "-i", "j.s=a", "-i", "j.n=2", "--json"]
    result = lyth("run", "j", "-c", str(path), *args)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["outputs"] == {"u": "42", "j": "a:2"}


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("1e999", "--input j.n=1e999: does not fit parameter 'n: int' of step 'j'"),
        ("NaN", "--input j.n=NaN: does not fit parameter 'n: int'"),
        ("Infinity", "--input j.n=Infinity: does not fit parameter 'n: int'"),
        ("[3]", "--input j.n=[3]: does not fit parameter 'n: int'"),
        ("two", "--input j.n=two: does not fit parameter 'n: int'"),
    ],
)
def test_an_input_that_does_not_fit_its_parameter_is_a_usage_error(
    lyth: Invoke, tmp_path: Path, value: str, words: str
) -> None:
    """A --input value the parameter's type refuses: exit 2 naming the input; nothing runs."""
    path = tmp_path / "lyth.yaml"
    path.write_text(f"version: 1\ndags:\n  j:\n    nodes:\n      j: {STEPS}:join\n")
    result = lyth("run", "j", "-c", str(path), "-i", "j.s=x", "-i", f"j.n={value}")
    assert result.exit_code == 2 and words in result.stderr, result.stderr
    assert "\n" not in result.stderr.strip()
    assert not (tmp_path / "data" / "dags.db").exists()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["run", "shuot"], "unknown DAG 'shuot'; did you mean 'shout'?"),
        (["run", "shout", "-i", "upp.s=1"], "DAG 'shout' has no step 'upp'; did you mean 'up'?"),
        (["run", "shout", "-i", "up.x=1"], "step 'up' has no parameter 'x'"),
        (["run", "shout", "-i", "up=1"], "write STEP.PARAM=VALUE"),
        (["run", "shout"], "DAG 'shout' needs input 'up.s': pass --input up.s=..."),
        (["run", "shout", "--inputs-json", "missing.json"], "--inputs-json missing.json"),
    ],
)
def test_usage_errors(lyth: Invoke, config: Path, args: list[str], words: str) -> None:
    """Wrong DAG, step, parameter or input syntax: exit 2 with the fix, nothing runs."""
    result = lyth(*args, "-c", str(config))
    assert result.exit_code == 2 and words in result.stderr, result.stderr
    assert not (config.parent / "data" / "dags.db").exists()


def test_failed_run_exits_1_without_traceback(lyth: Invoke, config: Path) -> None:
    """A failing step: exit 1, the error on stderr (no traceback), the run recorded as failed."""
    result = lyth("run", "broken", "-c", str(config))
    assert result.exit_code == 1
    assert " of broken: failed in " in result.stdout
    assert "lyth: step 'boom' failed: RuntimeError: cannot handle 'hello world'" in result.stderr
    assert "Traceback" not in result.stderr
    prov = DagProvenance(config.parent / "data" / "dags.db")
    try:
        (run,) = prov.get_recent_runs(limit=5, top_level_only=True)
        assert run.status == "failed"
        failed = [n for n in prov.get_node_executions(run.run_id) if n["status"] == "failed"]
        assert "Traceback" in failed[0]["error"]
    finally:
        prov.close()


def test_invalid_config_runs_nothing(lyth: Invoke, tmp_path: Path) -> None:
    """An invalid config: exit 1 with its diagnostics; no store is created."""
    path = tmp_path / "lyth.yaml"
    path.write_text("dags:\n  d:\n    nodes: {a: os:system}\n")
    result = lyth("run", "d", "-c", str(path))
    assert result.exit_code == 1
    assert f"{path}:3:16: module 'os' may never be imported" in result.stderr
    assert "invalid config, nothing was run" in result.stderr
    assert not (tmp_path / "data").exists()


def test_progress_on_a_terminal(config: Path) -> None:
    """With a progress sink (a terminal), each top-level step is reported as it finishes."""
    lines: list[str] = []
    settings = LythSettings(allow_imports=["tests.declarative.fixtures"])
    reply = commands.run(
        "shout", config, settings, inputs={"up": {"s": "abc"}}, progress=lines.append
    )
    assert reply.code == 0
    assert lines[0].startswith("lyth: running shout (run ")
    assert [line.split()[1] for line in lines[1:]] == ["up", "size"]
    assert all(line.strip().startswith("✓") for line in lines[1:])


def test_graph_command(lyth: Invoke) -> None:
    """`lyth graph` prints Mermaid by default, DOT or JSON on request; unknown DAG is exit 2."""
    mermaid = lyth("graph", "word_count", "-c", LYTH_YAML)
    assert mermaid.exit_code == 0 and mermaid.stdout.startswith("flowchart LR\n")
    dot = lyth("graph", "etl", "-c", LYTH_YAML, "--format", "dot")
    assert dot.stdout.startswith('digraph "etl"')
    as_json = lyth("graph", "etl", "-c", LYTH_YAML, "-f", "json")
    assert json.loads(as_json.stdout)["dag"] == "etl"
    missing = lyth("graph", "etll", "-c", LYTH_YAML)
    assert missing.exit_code == 2 and "did you mean 'etl'?" in missing.stderr
    bad = lyth("graph", "etl", "-c", LYTH_YAML, "-f", "svg")
    assert bad.exit_code == 2


def test_graph_of_a_broken_file_says_nothing_was_drawn(lyth: Invoke, tmp_path: Path) -> None:
    """`lyth graph` on an invalid file lists the problems and says nothing was drawn (not run)."""
    path = tmp_path / "lyth.yaml"
    path.write_text(f"version: 1\ndags:\n  d:\n    nodes:\n      a: {STEPS}:uper\n")
    result = lyth("graph", "d", "-c", str(path))
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == f"{path}: invalid config, nothing to draw"
    assert "nothing was run" not in result.stderr


def test_graph_shows_step_descriptions(lyth: Invoke, tmp_path: Path) -> None:
    """`lyth graph` draws what a step's `description` says."""
    path = tmp_path / "lyth.yaml"
    path.write_text(
        f"version: 1\ndags:\n  d:\n    nodes:\n"
        f"      a: {{ref: {STEPS}:text, description: Says hello}}\n"
    )
    result = lyth("graph", "d", "-c", str(path))
    assert result.exit_code == 0 and "<i>Says hello</i>" in result.stdout


def test_cache_entries_are_mounted(tmp_path: Path) -> None:
    """A step using a `type: cache` namespace entry is served from the cache store on re-runs."""
    from tests.declarative.fixtures import steps

    path = tmp_path / "lyth.yaml"
    path.write_text(
        f"""dags:
  d:
    nodes:
      text: {STEPS}:text
      up: {{nsref: "text:cached_upper"}}
    edges: [text >> up]
namespace:
  - type: cache
    nsref: "text:cached_upper"
    gref: {STEPS}:counted_upper
    min_ttl: 1
    max_ttl: 2
"""
    )
    settings = LythSettings(allow_imports=["tests.declarative.fixtures"])
    steps.CALLS.clear()
    first = commands.run("d", path, settings)
    second = commands.run("d", path, settings)
    assert first.code == second.code == 0
    assert 'up: "HELLO WORLD"' in first.stdout and 'up: "HELLO WORLD"' in second.stdout
    assert steps.CALLS == ["hello world"]
    assert (tmp_path / "data" / "cache.db").exists()


def test_unusable_store_is_reported(config: Path, tmp_path: Path) -> None:
    """A data directory where the store cannot be created: exit 1 with the reason, no traceback."""
    blocker = tmp_path / "not_a_dir"
    blocker.write_text("a file where the data directory should be")
    settings = LythSettings(allow_imports=["tests.declarative.fixtures"], data_dir=blocker)
    reply = commands.run("shout", config, settings, inputs={"up": {"s": "x"}})
    assert reply.code == 1
    assert reply.stderr[0].startswith(f"lyth: cannot open the provenance store {blocker.resolve()}")


def test_a_data_directory_on_a_network_file_system_is_refused_on_request(
    lyth: Invoke, config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LYTH_NETWORK_FS=refuse: `lyth run` on an NFS data directory exits 1 with one line."""
    from lythonic import _filesystem

    data = tmp_path / "data"
    mounts = tmp_path / "mountinfo"
    mounts.write_text(f"22 1 0:32 / {data} rw - nfs4 server:/x rw\n")
    monkeypatch.setattr(_filesystem, "MOUNTINFO", mounts)
    try:
        result = lyth(
            "run", "shout", "-c", str(config), "-d", str(data), "-i", "up.s=x", network_fs="refuse"
        )
    finally:
        _filesystem.set_network_fs_policy("warn")
    assert result.exit_code == 1
    assert "network file system (nfs4)" in result.stderr and "Traceback" not in result.stderr


def test_the_report_example_titles_the_month_it_was_given(lyth: Invoke, tmp_path: Path) -> None:
    """report.yaml's documented `--input sales.month=2024-04` renders April 2024 (the
    title follows the month of the data, it is not a second input to keep in step)."""
    config = str(ROOT / "examples" / "pipelines" / "report.yaml")
    result = lyth(
        "run",
        "monthly_report",
        "-c",
        config,
        "-d",
        str(tmp_path),
        "-i",
        "sales.month=2024-04",
        allow_imports="examples",
    )
    assert result.exit_code == 0, result.stderr
    assert "# Sales, April 2024" in result.stdout and "May" not in result.stdout
