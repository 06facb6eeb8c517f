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


CACHED = """\
namespace:
  - type: cache
    nsref: "market:quote"
    gref: "tests.forensics.steps:quote"
    min_ttl: 0.5
    max_ttl: 2
dags:
  quotes:
    nodes:
      quote: {nsref: "market:quote"}
      route: tests.forensics.steps:route
      sized: {switch: {big: tests.forensics.steps:big, small: tests.forensics.steps:small}}
    edges:
      - quote >> route >> sized
"""


def test_plan_says_when_the_cache_answers_and_which_branch_runs(
    lyth: Invoke, tmp_path: Path
) -> None:
    """A cached step is a `cache hit` while its entry is younger than min_ttl (with the
    age in the reason), `run` once it is past max_ttl; a switch names its branch when
    its upstream's value is known (restart or replay reusing it: the other branches
    are `skip`) and waits for it otherwise — and the plan is what then happens."""
    import sqlite3

    from tests.forensics import steps

    config = tmp_path / "lyth.yaml"
    config.write_text(CACHED)

    def plan(*args: str) -> dict[str, tuple[str, str]]:
        done = lyth("plan", "quotes", "-c", str(config), "--json", *args, allow_imports="tests")
        assert done.exit_code == 0, done.stderr
        return {s["step"]: (s["action"], s["reason"]) for s in json.loads(done.stdout)["steps"]}

    fresh = plan("--input", "quote.ticker=ACME")
    assert fresh["quote"] == ("run", "nothing cached for these arguments")
    assert fresh["route"][0] == "run"
    assert fresh["sized"] == ("expand", "branch unknown until 'route' runs")
    done = lyth(
        "run", "quotes", "-c", str(config), "--json", "--input", "quote.ticker=ACME",
        allow_imports="tests",
    )  # fmt: skip
    assert done.exit_code == 0, done.stderr
    run = str(json.loads(done.stdout)["run_id"])
    assert fresh["quote"][0] == "run" and "quote ACME" in steps.CALLS

    hit = plan("--input", "quote.ticker=ACME")
    assert hit["quote"][0] == "cache hit"
    assert hit["quote"][1].startswith("cache age ") and "< min_ttl 0.5 d" in hit["quote"][1]
    other = plan("--input", "quote.ticker=INITECH")  # another key: not cached
    assert other["quote"] == ("run", "nothing cached for these arguments")

    replay = plan("--replay", run, "-n", "sized")
    assert replay["route"][0] == "reuse"
    assert replay["sized"] == ("expand", f"runs branch 'big' ('route' chose it in {run})")
    assert replay["sized/small"] == ("skip", "'route' chose 'big'")
    assert "sized/big" not in replay
    again = plan("--replay", run, "-n", "quote")  # the cached step itself runs again
    assert again["quote"][0] == "cache hit"
    assert again["sized"] == (
        "expand",
        "upstream 'route' runs again; branch unknown until 'route' runs",
    )

    steps.CALLS.clear()  # what the plans said happens: no call of quote, branch big alone
    for args in (["--node", "quote"], ["--node", "sized"]):
        done = lyth("replay", run, *args, "-c", str(config), allow_imports="tests")
        assert done.exit_code == 0, done.stderr
    assert steps.CALLS == ["big", "big"]

    cache = tmp_path / "data" / "cache.db"
    with sqlite3.connect(cache) as conn:  # age the entry past max_ttl (3 days)
        table = next(
            name
            for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if "quote" in name
        )
        conn.execute(f'UPDATE "{table}" SET fetched_at = fetched_at - 3 * 86400')
    old = plan("--input", "quote.ticker=ACME")
    assert old["quote"][0] == "run" and "≥ max_ttl 2 d: called again" in old["quote"][1]


def test_logs_follow_prints_lines_of_any_step_as_they_come_until_the_run_ends(
    tmp_path: Path,
) -> None:
    """--follow: lines that arrive after the follower caught up are printed, also for a
    step that sorts before the last one shown (a retry of `a` after `b` logged), at
    most once each, and the follower stops once the run has ended."""
    import sqlite3
    import threading
    import time

    from lythonic.cli._forensics_cmds import logs
    from lythonic.compose.dag_provenance import DagProvenance

    db = tmp_path / "dags.db"
    store = DagProvenance(db)
    store.begin_run("r1", "d", {})
    store.flush()

    def add(label: str, attempt: int, seqs: range) -> None:
        with sqlite3.connect(db) as conn:
            conn.executemany(
                "INSERT INTO node_logs VALUES ('r1', ?, ?, ?, ?, 'INFO', 't', ?)",
                [(label, attempt, i, time.time(), f"{label}#{attempt} line {i}") for i in seqs],
            )

    add("b", 1, range(1, 4))
    printed: list[str] = []
    follower = threading.Thread(
        target=lambda: logs(db, "r1", None, printed.append, follow=True, poll=0.02)
    )
    follower.start()
    deadline = time.monotonic() + 10
    while len(printed) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    add("a", 2, range(1, 3))  # sorts before `b`: after the follower's last line
    add("b", 1, range(4, 5))
    while len(printed) < 6 and time.monotonic() < deadline:
        time.sleep(0.01)
    store.end_run("r1", "completed")
    store.close()
    follower.join(10)
    assert not follower.is_alive()
    messages = [line.rsplit(": ", 1)[1] for line in printed]
    assert sorted(messages) == sorted(
        [f"b#1 line {i}" for i in range(1, 5)] + ["a#2 line 1", "a#2 line 2"]
    )
    assert messages[:3] == ["b#1 line 1", "b#1 line 2", "b#1 line 3"]


def test_logs_fast_path_answers_exactly_as_the_typer_command(lyth: Invoke, tmp_path: Path) -> None:
    """The `lyth` script answers plain `lyth logs` without building the typer
    application; its output, errors and exit codes equal the typer command's for the
    same arguments, and what it does not parse itself (help, unknown options, bad
    values) goes to typer."""
    import os
    import subprocess
    import sys

    from lythonic.cli import _logs_arguments

    config = tmp_path / "lyth.yaml"
    config.write_text(CHATTY)
    done = lyth("run", "chat", "-c", str(config), "--json", allow_imports="tests.forensics")
    run = json.loads(done.stdout)["run_id"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("LYTH_")}
    script = Path(sys.executable).parent / "lyth"
    cases = [
        [run, "-c", str(config)],
        [run, "talk", "--level=warning", "--json", "--config", str(config)],
        [run, "talk", "--attempt", "1", "-c", str(config)],
        [run[:8], "-c", str(config), "-f"],
        [run, "tlk", "-c", str(config)],
        [run, "-c", str(config), "--level", "loud"],
        ["no-such-run", "-c", str(config)],
        [run, "-d", str(tmp_path / "elsewhere")],
        [run, "-c", str(config), "--attempt", "0"],  # typer refuses it
        [run, "-c", str(config), "--nope"],  # typer refuses it
    ]
    for args in cases:
        fast = _logs_arguments(["lyth", "logs", *args]) is not None
        assert fast == ("--nope" not in args and "0" not in args), args
        typer_said = lyth("logs", *args)
        script_said = subprocess.run(
            [str(script), "logs", *args], capture_output=True, text=True, env=env, cwd=tmp_path
        )
        assert script_said.returncode == typer_said.exit_code, (args, script_said.stderr)
        assert script_said.stdout == typer_said.stdout, args
        assert script_said.stderr.strip() == typer_said.stderr.strip(), args
    help_text = subprocess.run(
        [str(script), "logs", "--help"], capture_output=True, text=True, env=env
    ).stdout
    assert "--follow" in help_text and "--attempt" in help_text
