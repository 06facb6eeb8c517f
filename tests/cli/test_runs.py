"""lyth runs, runs show, restart and replay (in process, on a temporary store)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import Invoke

CONFIG = """\
dags:
  ping:
    nodes:
      work: tests.engine.steps:stamp
      loud: tests.engine.steps:shout
    edges:
      - work >> loud
    inputs:
      work: {{label: hi}}
  flaky:
    nodes:
      try_it: tests.engine.steps:flaky
      loud: tests.engine.steps:shout
    edges:
      - try_it >> loud
    inputs:
      try_it: {{marker: "{marker}"}}
"""


def _setup(tmp_path: Path) -> tuple[Path, Path]:
    marker = tmp_path / "marker"
    config = tmp_path / "lyth.yaml"
    config.write_text(CONFIG.format(marker=marker))
    return config, marker


def _run(lyth: Invoke, config: Path, dag: str) -> dict[str, object]:
    result = lyth("run", dag, "-c", str(config), "--json", allow_imports="tests.engine")
    return json.loads(result.stdout)


def test_runs_lists_newest_first_and_filters(lyth: Invoke, tmp_path: Path) -> None:
    """Runs are listed newest first; --dag, --status and --limit filter; --json is data."""
    config, _ = _setup(tmp_path)
    first = _run(lyth, config, "ping")
    failed = _run(lyth, config, "flaky")
    listed = lyth("runs", "-c", str(config), "--json")
    assert listed.exit_code == 0
    rows = json.loads(listed.stdout)
    assert [r["run_id"] for r in rows] == [failed["run_id"], first["run_id"]]
    assert rows[0]["status"] == "failed" and "not there yet" in rows[0]["error"]
    only = json.loads(lyth("runs", "-c", str(config), "--status", "failed", "--json").stdout)
    assert [r["run_id"] for r in only] == [failed["run_id"]]
    by_dag = json.loads(lyth("runs", "-c", str(config), "--dag", "ping", "--json").stdout)
    assert [r["dag"] for r in by_dag] == ["ping"]
    assert len(json.loads(lyth("runs", "-c", str(config), "-n", "1", "--json").stdout)) == 1
    text = lyth("runs", "-c", str(config)).stdout.splitlines()
    assert text[0].split() == ["RUN", "DAG", "STATUS", "STARTED", "(UTC)", "TOOK", "BY", "ERROR"]
    assert text[1].startswith(str(failed["run_id"]))


def test_a_bad_status_is_a_usage_error(lyth: Invoke, tmp_path: Path) -> None:
    """--status must be a run status; a typo gets a suggestion and exit 2."""
    config, _ = _setup(tmp_path)
    result = lyth("runs", "-c", str(config), "--status", "faild")
    assert result.exit_code == 2
    assert "did you mean 'failed'" in result.stderr


def test_no_runs_yet_is_not_an_error(lyth: Invoke, tmp_path: Path) -> None:
    """Before anything ran: an empty list, exit 0, and a note where the store would be."""
    config, _ = _setup(tmp_path)
    result = lyth("runs", "-c", str(config), "--json")
    assert (result.exit_code, json.loads(result.stdout)) == (0, [])
    assert "no runs recorded yet" in result.stderr


def test_show_lists_steps_and_with_io_their_values(lyth: Invoke, tmp_path: Path) -> None:
    """runs show: every step with status and attempt; --io adds decoded inputs and outputs."""
    config, _ = _setup(tmp_path)
    run = _run(lyth, config, "ping")
    shown = lyth("runs", "show", str(run["run_id"]), "-c", str(config))
    assert shown.exit_code == 0
    lines = shown.stdout.splitlines()
    assert "status    completed" in lines
    steps = [line.split()[:3] for line in lines if line.startswith(("work ", "loud "))]
    assert steps == [["work", "completed", "1"], ["loud", "completed", "1"]]
    assert "inputs" not in shown.stdout
    with_io = lyth("runs", "show", str(run["run_id"]), "-c", str(config), "--io").stdout
    assert '  inputs: {"label": "hi"}' in with_io
    assert '  output: "V1:HI:0"' in with_io
    data = json.loads(lyth("runs", "show", str(run["run_id"]), "-c", str(config), "--json").stdout)
    assert set(data["nodes"]) == {"work", "loud"}


def test_show_of_a_failed_run_prints_the_error(lyth: Invoke, tmp_path: Path) -> None:
    """A failed step's error is shown (last line in the table, in full below it)."""
    config, _ = _setup(tmp_path)
    run = _run(lyth, config, "flaky")
    shown = lyth("runs", "show", str(run["run_id"]), "-c", str(config)).stdout
    assert "failed" in shown and "RuntimeError" in shown and "is not there yet" in shown


def test_show_of_an_unknown_run_fails(lyth: Invoke, tmp_path: Path) -> None:
    """An unknown run id: exit 1 naming it."""
    config, _ = _setup(tmp_path)
    _run(lyth, config, "ping")
    result = lyth("runs", "show", "nope", "-c", str(config))
    assert result.exit_code == 1 and "no run 'nope'" in result.stderr


def test_restart_continues_a_failed_run_under_its_id(lyth: Invoke, tmp_path: Path) -> None:
    """After fixing the cause, restart completes the same run; completed runs are refused."""
    config, marker = _setup(tmp_path)
    run = _run(lyth, config, "flaky")
    assert run["status"] == "failed"
    marker.write_text("")
    restarted = lyth(
        "restart", str(run["run_id"]), "-c", str(config), "--json", allow_imports="tests.engine"
    )
    assert restarted.exit_code == 0, restarted.stderr
    data = json.loads(restarted.stdout)
    assert (data["run_id"], data["status"], data["outputs"]) == (
        run["run_id"],
        "completed",
        {"loud": "OK"},
    )
    again = lyth("restart", str(run["run_id"]), "-c", str(config), allow_imports="tests.engine")
    assert again.exit_code == 1 and "has status 'completed'" in again.stderr


def test_replay_reruns_a_step_as_a_new_run(lyth: Invoke, tmp_path: Path) -> None:
    """replay --node makes a new run; an unknown step is refused with the step names."""
    config, _ = _setup(tmp_path)
    run = _run(lyth, config, "ping")
    replayed = lyth(
        "replay",
        str(run["run_id"]),
        "--node",
        "loud",
        "-c",
        str(config),
        "--json",
        allow_imports="tests.engine",
    )
    assert replayed.exit_code == 0, replayed.stderr
    data = json.loads(replayed.stdout)
    assert data["run_id"] != run["run_id"] and data["outputs"] == {"loud": "V1:HI:0"}
    shown = lyth("runs", "show", data["run_id"], "-c", str(config), "--json").stdout
    assert json.loads(shown)["nodes"]["work"]["status"] == "skipped"
    bad = lyth(
        "replay",
        str(run["run_id"]),
        "--node",
        "lowd",
        "-c",
        str(config),
        allow_imports="tests.engine",
    )
    assert bad.exit_code == 1 and "no node 'lowd'" in bad.stderr
