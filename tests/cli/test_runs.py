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
    """An unknown run id is a usage error (exit 2) naming it."""
    config, _ = _setup(tmp_path)
    _run(lyth, config, "ping")
    result = lyth("runs", "show", "nope", "-c", str(config))
    assert result.exit_code == 2 and "no run 'nope'" in result.stderr


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
    assert bad.exit_code == 2 and "no step 'lowd'" in bad.stderr
    assert "did you mean 'loud'?" in bad.stderr


MAPPED = """\
dags:
  mapped:
    nodes:
      make: tests.engine.steps:chunks
      each: {map: one}
    edges: [make >> each]
  one:
    nodes:
      check: tests.engine.steps:odd_fails
  retried:
    nodes:
      again: {ref: tests.engine.steps:timed_retry, retries: 1, retry_backoff: 0s}
    inputs:
      again: {marker: "MARKER"}
"""


def _mapped(tmp_path: Path) -> Path:
    config = tmp_path / "lyth.yaml"
    config.write_text(MAPPED.replace("MARKER", str(tmp_path / "tried")))
    return config


def test_show_of_a_failed_map_puts_the_users_error_first(lyth: Invoke, tmp_path: Path) -> None:
    """A map step that failed: the root cause (the element's own exception and frame,
    in its child run) comes first; child runs are counted under the step, the failed
    ones listed with their ids; no lythonic frames in the tracebacks."""
    config = _mapped(tmp_path)
    run = _run(lyth, config, "mapped")
    shown = lyth("runs", "show", str(run["run_id"]), "-c", str(config)).stdout
    error = next(line for line in shown.splitlines() if line.startswith("error "))
    odd = error.split("each[")[1].split("]")[0]  # the element the run's error names
    assert odd in ("1", "3")
    _, _, rest = shown.partition("root cause: ")
    assert rest.startswith(f"ValueError: element {odd} is odd")
    assert "in step 'check' of child run" in rest and f"(each[{odd}]), attempt 1" in rest
    assert 'raise ValueError(f"element {i} is odd")' in rest
    assert "lythonic/compose" not in shown and "concurrent/futures" not in shown
    # Elements run side by side: once one fails, those still running are cancelled,
    # so how many got to finish varies; each is counted once, the failed ones listed.
    counts_line = next(line for line in shown.splitlines() if line.startswith("  each  ×5: "))
    counts = {
        status: int(n)
        for n, status in (part.split() for part in counts_line.split(": ", 1)[1].split(", "))
    }
    assert sum(counts.values()) == 5 and set(counts) <= {"completed", "failed", "cancelled"}
    failed_lines = [line for line in shown.splitlines() if line.startswith("    failed")]
    failed = sorted(line.split()[2] for line in failed_lines)
    assert len(failed) == counts["failed"] and f"each[{odd}]" in failed
    assert set(failed) <= {"each[1]", "each[3]"}
    table_row = next(line for line in shown.splitlines() if line.startswith("each "))
    assert f"SubDagFailed: Sub-DAG [each[{odd}]] failed" in table_row
    assert "lythonic.compose" not in table_row


def test_show_json_has_the_child_runs(lyth: Invoke, tmp_path: Path) -> None:
    """`runs show --json` prints what inspect_run returns, child runs under `sub_dags`."""
    config = _mapped(tmp_path)
    run = _run(lyth, config, "mapped")
    data = json.loads(lyth("runs", "show", str(run["run_id"]), "-c", str(config), "--json").stdout)
    subs = data["nodes"]["each"]["sub_dags"]
    assert {key: child["status"] for key, child in subs.items()}["each[1]"] == "failed"
    assert subs["each[0]"]["nodes"]["check"]["status"] == "completed"


def test_a_step_completed_after_a_retry_shows_no_error(lyth: Invoke, tmp_path: Path) -> None:
    """The ERROR column belongs to the step's final state: empty once it completed."""
    config = _mapped(tmp_path)
    run = _run(lyth, config, "retried")
    assert run["status"] == "completed"
    shown = lyth("runs", "show", str(run["run_id"]), "-c", str(config)).stdout
    row = next(line for line in shown.splitlines() if line.startswith("again "))
    assert row.split()[:3] == ["again", "completed", "2"]
    assert "RuntimeError" not in shown


def test_run_ids_can_be_given_by_a_unique_prefix(lyth: Invoke, tmp_path: Path) -> None:
    """`runs show` and `restart` take a unique prefix; an ambiguous one is exit 2."""
    config, marker = _setup(tmp_path)
    failed = _run(lyth, config, "flaky")
    prefix = str(failed["run_id"])[:8]
    shown = lyth("runs", "show", prefix, "-c", str(config))
    assert shown.exit_code == 0 and f"run       {failed['run_id']}" in shown.stdout
    marker.write_text("now")
    restarted = lyth("restart", prefix, "-c", str(config), "--json", allow_imports="tests.engine")
    assert restarted.exit_code == 0 and json.loads(restarted.stdout)["run_id"] == failed["run_id"]
    ambiguous = lyth("runs", "show", "", "-c", str(config))
    assert ambiguous.exit_code == 2


def test_a_run_left_running_by_a_dead_process_is_swept_and_restarted(
    lyth: Invoke, tmp_path: Path
) -> None:
    """`lyth runs sweep` marks runs of dead owners interrupted; `lyth restart` of such
    a run does it itself instead of telling the user to call Python."""
    import sqlite3

    config, marker = _setup(tmp_path)
    run = _run(lyth, config, "flaky")
    db = tmp_path / "data" / "dags.db"
    with sqlite3.connect(db) as conn:  # as a process killed mid-run leaves it
        conn.execute("INSERT INTO run_owners VALUES ('dead', 999999, 'elsewhere', NULL, 0, 0)")
        conn.execute(
            "UPDATE dag_runs SET status = 'running', owner_id = 'dead' WHERE run_id = ?",
            (run["run_id"],),
        )
    marker.write_text("now")
    restarted = lyth(
        "restart", str(run["run_id"]), "-c", str(config), "--json", allow_imports="tests.engine"
    )
    assert restarted.exit_code == 0, restarted.stderr
    assert json.loads(restarted.stdout)["status"] == "completed"
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE dag_runs SET status = 'running', owner_id = 'dead'")
    swept = lyth("runs", "sweep", "-c", str(config), "--json")
    assert swept.exit_code == 0 and len(json.loads(swept.stdout)) == 1
    assert "marked" not in swept.stderr or "interrupted" in swept.stderr


def test_every_runs_command_reports_an_unusable_store_in_one_line(
    lyth: Invoke, tmp_path: Path
) -> None:
    """A store written by a newer lythonic: runs, runs show, restart, replay, sweep and
    status each exit 1 with `cannot open <path>: ...` and no traceback."""
    import sqlite3

    config, _ = _setup(tmp_path)
    run = _run(lyth, config, "ping")
    db = tmp_path / "data" / "dags.db"
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE lythonic_schema SET version = 99 WHERE component = 'provenance'")
    rid = str(run["run_id"])
    for args in (
        ["runs"],
        ["runs", "show", rid],
        ["runs", "sweep"],
        ["restart", rid],
        ["replay", rid, "--node", "loud"],
        ["status"],
    ):
        result = lyth(*args, "-c", str(config), allow_imports="tests.engine")
        assert result.exit_code == 1, (args, result.stdout, result.stderr)
        assert f"cannot open {db}" in result.stderr and "newer" in result.stderr, args
        assert "Traceback" not in result.stderr and "Traceback" not in result.stdout, args
