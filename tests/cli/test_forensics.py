"""lyth diff and lyth replay --isolated (in process, on real runs of a lyth.yaml)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import Invoke

CONFIG = """\
dags:
  prices:
    nodes:
      items: tests.forensics.steps:items
      prices: {map: one_price}
      totals: tests.forensics.steps:totals
    edges:
      - items >> prices >> totals
  one_price:
    nodes:
      price: tests.forensics.steps:price
"""


def _run(lyth: Invoke, config: Path, *inputs: str) -> str:
    args = [a for i in inputs for a in ("--input", i)]
    done = lyth(
        "run", "prices", "-c", str(config), "--json", *args, allow_imports="tests.forensics"
    )
    assert done.exit_code == 0, done.stderr
    return str(json.loads(done.stdout)["run_id"])


def test_diff_shows_inputs_values_and_elements_that_differ(lyth: Invoke, tmp_path: Path) -> None:
    """Text output: the inputs that changed, each step's output, the paths that differ
    and the map's elements counted; --exit-code exits 1 when they differ."""
    config = tmp_path / "lyth.yaml"
    config.write_text(CONFIG)
    a = _run(lyth, config, "items.n=4")
    b = _run(lyth, config, "items.n=4", "items.bump=2")
    shown = lyth("diff", a, b, "-c", str(config))
    assert shown.exit_code == 0, shown.stderr
    out = shown.stdout
    assert "definition: the same" in out
    assert "  $.items.bump: (absent) → 2" in out
    assert "  $.sum: 6.0 → 6.5" in out
    assert "child runs of prices: 3 equal, 1 differ" in out
    assert "  prices[2]: price: output differs" in out
    assert out.rstrip().endswith("they differ")
    assert lyth("diff", a, b, "-c", str(config), "--exit-code").exit_code == 1
    assert lyth("diff", a, a, "-c", str(config), "--exit-code").exit_code == 0


def test_diff_json_and_step_filter(lyth: Invoke, tmp_path: Path) -> None:
    """--json is one document; --node keeps those steps; --ignore leaves paths out."""
    config = tmp_path / "lyth.yaml"
    config.write_text(CONFIG)
    a = _run(lyth, config, "items.n=3")
    b = _run(lyth, config, "items.n=4")
    data = json.loads(lyth("diff", a, b, "-c", str(config), "--json", "-n", "totals").stdout)
    assert data["same"] is False
    assert [s["step"] for s in data["steps"]] == ["totals"]
    assert {c["path"] for c in data["steps"][0]["changes"]} == {"$.sum", "$.count"}
    quiet = json.loads(
        lyth(
            "diff", a, b, "-c", str(config), "--json", "-n", "totals", "--ignore", "$.count"
        ).stdout
    )
    assert [c["path"] for c in quiet["steps"][0]["changes"]] == ["$.sum"]


def test_unknown_runs_and_steps_are_usage_errors(lyth: Invoke, tmp_path: Path) -> None:
    """An unknown run or --node: exit 2, one line with a did-you-mean."""
    config = tmp_path / "lyth.yaml"
    config.write_text(CONFIG)
    a = _run(lyth, config)
    missing = lyth("diff", a, "nope", "-c", str(config))
    assert missing.exit_code == 2 and "no run 'nope'" in missing.stderr
    step = lyth("diff", a, a, "-c", str(config), "-n", "totls")
    assert step.exit_code == 2 and "did you mean 'totals'" in step.stderr
    assert "Traceback" not in missing.stderr + step.stderr


def test_replay_isolated_compares_one_step_with_the_record(lyth: Invoke, tmp_path: Path) -> None:
    """--isolated runs one step from its recorded inputs: the same output says so; an
    --input override shows the paths that differ; a child run's step by its path;
    --record adds a run by `replay`."""
    config = tmp_path / "lyth.yaml"
    config.write_text(CONFIG)
    run = _run(lyth, config, "items.n=4")

    def replay(*args: str):
        return lyth(
            "replay", run, "-c", str(config), "--isolated", *args, allow_imports="tests.forensics"
        )

    same = replay("--node", "totals")
    assert same.exit_code == 0, same.stderr
    assert "the same as recorded" in same.stdout
    child = replay("--node", "prices[1]/price", "--input", 'item={"i": 9, "extra": 0}')
    assert child.exit_code == 0, child.stderr
    assert "  $: 1.0 → 9.0" in child.stdout
    data = json.loads(replay("--node", "totals", "--record", "--json").stdout)
    assert data["equal"] is True and data["recorded_as"].startswith("replay-")
    runs = json.loads(lyth("runs", "-c", str(config), "--json").stdout)
    assert runs[0]["run_id"] == data["recorded_as"] and runs[0]["initiated_by"] == "replay"


def test_replay_isolated_usage_errors(lyth: Invoke, tmp_path: Path) -> None:
    """Two --node with --isolated, --record without it, a composite step, an unknown
    parameter: exit 2 with one line each."""
    config = tmp_path / "lyth.yaml"
    config.write_text(CONFIG)
    run = _run(lyth, config)
    cases = [
        (["--isolated", "-n", "items", "-n", "totals"], "exactly one step"),
        (["--record", "-n", "totals"], "go with --isolated"),
        (["--isolated", "-n", "prices"], "a composite step"),
        (["--isolated", "-n", "totals", "--input", "nope=1"], "has no parameter 'nope'"),
    ]
    for args, message in cases:
        got = lyth("replay", run, "-c", str(config), *args, allow_imports="tests.forensics")
        assert got.exit_code == 2, (args, got.stderr)
        assert message in got.stderr and "Traceback" not in got.stderr


CHATTY = """\
dags:
  chat:
    nodes:
      talk: tests.forensics.steps:chatty
      items: tests.forensics.steps:items
      prices: {map: one_price}
    edges:
      - items >> prices
  one_price:
    nodes:
      price: tests.forensics.steps:price
"""


def test_logs_prints_what_steps_logged(lyth: Invoke, tmp_path: Path) -> None:
    """`lyth run` keeps INFO lines of steps (the console shows warnings only); `lyth
    logs` prints them by step, --level and --json filter and shape, an unknown step is
    a usage error with a did-you-mean."""
    config = tmp_path / "lyth.yaml"
    config.write_text(CHATTY)
    done = lyth("run", "chat", "-c", str(config), "--json", allow_imports="tests.forensics")
    assert done.exit_code == 0, done.stderr
    assert "working on" not in done.stderr  # INFO: kept, not shown
    run = json.loads(done.stdout)["run_id"]
    text = lyth("logs", run, "-c", str(config)).stdout.splitlines()
    assert len(text) == 4
    assert text[0].endswith("INFO     talk#1 tests.forensics.chatty: working on 0")
    assert text[-1].split(" ", 1)[1] == "WARNING  talk#1 tests.forensics.chatty: done with 3"
    only = lyth("logs", run, "talk", "-c", str(config), "--level", "warning", "--json")
    rows = [json.loads(line) for line in only.stdout.splitlines()]
    assert [(r["step"], r["level"], r["message"]) for r in rows] == [
        ("talk", "WARNING", "done with 3")
    ]
    bad = lyth("logs", run, "tlk", "-c", str(config))
    assert bad.exit_code == 2 and "did you mean 'talk'" in bad.stderr
    level = lyth("logs", run, "-c", str(config), "--level", "loud")
    assert level.exit_code == 2 and "one of debug" in level.stderr
    quiet = lyth("logs", run, "prices[0]/price", "-c", str(config))
    assert quiet.exit_code == 0 and "no lines kept for step prices[0]/price" in quiet.stderr


def test_node_logs_off_keeps_nothing(lyth: Invoke, tmp_path: Path) -> None:
    """LYTH_NODE_LOGS=off: nothing is kept."""
    config = tmp_path / "lyth.yaml"
    config.write_text(CHATTY)
    done = lyth(
        "run", "chat", "-c", str(config), "--json", allow_imports="tests.forensics", node_logs="off"
    )
    run = json.loads(done.stdout)["run_id"]
    assert lyth("logs", run, "-c", str(config)).stdout == ""


def test_plan_says_what_restart_and_replay_would_do(lyth: Invoke, tmp_path: Path) -> None:
    """lyth plan runs nothing: a new run runs every step (the map expands); --replay
    names what is reused and why; a completed run cannot be restarted (exit 1);
    --node without --replay and an unknown step are usage errors."""
    config = tmp_path / "lyth.yaml"
    config.write_text(CONFIG)
    run = _run(lyth, config, "items.n=3")

    def plan(*args: str):
        return lyth("plan", *args, allow_imports="tests.forensics")

    fresh = json.loads(plan("prices", "-c", str(config), "--json").stdout)
    assert [(s["step"], s["action"]) for s in fresh["steps"]] == [
        ("items", "run"),
        ("prices", "expand"),
        ("totals", "run"),
    ]
    replay = plan("prices", "-c", str(config), "--replay", run, "-n", "prices")
    assert replay.exit_code == 0, replay.stderr
    lines = replay.stdout.splitlines()
    assert lines[0] == f"replay of DAG prices from run {run}: runs nothing now"
    rows = {line.split()[0]: line.split(None, 2)[1:] for line in lines[3:]}
    assert rows["items"] == ["reuse", f"completed in {run}"]
    assert rows["prices"] == ["expand", "asked to run again"]
    assert rows["totals"] == ["run", "upstream 'prices' runs again"]
    before = len(json.loads(lyth("runs", "-c", str(config), "--json").stdout))
    assert before == 1  # nothing ran
    done = plan("prices", "-c", str(config), "--restart", run)
    assert done.exit_code == 1 and "has status 'completed'" in done.stderr
    assert plan("prices", "-c", str(config), "-n", "items").exit_code == 2
    typo = plan("prices", "-c", str(config), "--replay", run, "-n", "itms")
    assert typo.exit_code == 2 and "did you mean 'items'" in typo.stderr
