"""Shell completion: scripts for bash, zsh and fish, and the names they complete (DAGs,
triggers and steps from the config, run ids from the store) — through the real `lyth`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.cli.conftest import ROOT, STEPS

LYTH = Path(sys.executable).parent / "lyth"
CONFIG = f"""\
dags:
  shout:
    nodes:
      source: {STEPS}:text
      loud: {STEPS}:upper
    edges: [source >> loud]
  short:
    nodes:
      measure: {STEPS}:length
triggers:
  hourly: {{dag: shout, cron: "0 * * * *"}}
  nightly: {{dag: short, cron: "0 3 * * *", inputs: {{measure: {{s: x}}}}}}
"""


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LYTH_")}
    env["LYTH_ALLOW_IMPORTS"] = "tests.declarative.fixtures"
    env["PYTHONPATH"] = str(ROOT)  # the steps' module, from any directory
    return {**env, **extra}


def _complete(cwd: Path, line: str) -> list[str]:
    """What bash completion offers for the command line ``line`` (cursor at its end)."""
    words = line.split(" ")
    env = _env(_LYTH_COMPLETE="complete_bash", COMP_WORDS=line, COMP_CWORD=str(len(words) - 1))
    done = subprocess.run([str(LYTH)], cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_completion_scripts_for_bash_zsh_and_fish() -> None:
    """`lyth --show-completion SHELL` prints the script for that shell (typer's own)."""
    marks = {
        "bash": "complete -o default -F _lyth_completion lyth",
        "zsh": "#compdef lyth",
        "fish": "complete --command lyth",
    }
    for shell, mark in marks.items():
        env = _env(_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION="1")
        done = subprocess.run(
            [str(LYTH), "--show-completion", shell], env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        assert mark in done.stdout and "_LYTH_COMPLETE" in done.stdout, shell


def test_names_come_from_the_config_and_run_ids_from_the_store(tmp_path: Path) -> None:
    """DAG names complete for `run`, `graph`, `plan`; trigger names for `fire` and `trigger
    enable`; step names for `--node` and `logs RUN`; run ids (newest first) for `logs`,
    `restart`, `diff` — from ./lyth.yaml, or the file --config names."""
    (tmp_path / "lyth.yaml").write_text(CONFIG)
    assert _complete(tmp_path, "lyth run sh") == ["short", "shout"]
    assert _complete(tmp_path, "lyth graph sho") == ["short", "shout"]
    assert _complete(tmp_path, "lyth plan shou") == ["shout"]
    assert _complete(tmp_path, "lyth fire ") == ["hourly", "nightly"]
    assert _complete(tmp_path, "lyth trigger disable n") == ["nightly"]
    assert _complete(tmp_path, "lyth plan shout --node l") == ["loud"]
    other = tmp_path / "elsewhere"
    other.mkdir()
    assert _complete(other, f"lyth run --config {tmp_path / 'lyth.yaml'} sh") == [
        "short",
        "shout",
    ]
    assert _complete(other, "lyth run sh") == []  # no config there: nothing, no error
    ran = [
        subprocess.run(
            [str(LYTH), "run", "shout", "--json"],
            cwd=tmp_path,
            env=_env(),
            capture_output=True,
            text=True,
            check=True,
        )
        for _ in range(2)
    ]
    ids = [json.loads(r.stdout)["run_id"] for r in ran]
    assert _complete(tmp_path, "lyth logs ") == ids[::-1]
    assert _complete(tmp_path, f"lyth restart {ids[0][:8]}") == [ids[0]]
    assert _complete(tmp_path, f"lyth logs {ids[0]} lo") == ["loud"]
