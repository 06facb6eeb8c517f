"""Code fingerprints: each run records a digest of every step's source; editing a step
shows in `lyth runs show`, and `lyth restart` of a run from before the edit refuses
without --force."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

LYTH = [sys.executable, "-m", "lythonic.compose.lyth"]
CONFIG = """\
dags:
  d:
    nodes:
      work: shop.steps:work
"""
V1 = """\
def work(x: int) -> int:
    if x < 0:
        raise ValueError("negative")
    return x
"""
V2 = """\
def work(x: int) -> int:
    if x < -5:
        raise ValueError("very negative")
    return x + 1
"""


def _lyth(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LYTH_")}
    return subprocess.run(
        [*LYTH, *args], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )


def _digest(root: Path, run_id: str) -> str:
    shown = json.loads(_lyth(root, "runs", "show", run_id, "--json").stdout)
    return str(shown["code"]["steps"]["work"])


def test_an_edited_step_shows_and_makes_restart_refuse_without_force(tmp_path: Path) -> None:
    """Run 1 fails with the first code; after a real edit of the step's file, run 2's
    recorded digest differs (also in the text of `runs show`); restarting run 1 is
    refused naming the step (exit 1) and goes ahead with --force, running the new code."""
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "__init__.py").write_text("")
    steps = tmp_path / "shop" / "steps.py"
    steps.write_text(V1)
    (tmp_path / "lyth.yaml").write_text(CONFIG)
    first = _lyth(tmp_path, "run", "d", "--input", "work.x=-1", "--json")
    assert first.returncode == 1
    run1 = json.loads(first.stdout)["run_id"]
    steps.write_text(V2)
    second = _lyth(tmp_path, "run", "d", "--input", "work.x=1", "--json")
    assert second.returncode == 0, second.stderr
    run2 = json.loads(second.stdout)["run_id"]
    assert _digest(tmp_path, run1) != _digest(tmp_path, run2)
    text = _lyth(tmp_path, "runs", "show", run2).stdout
    assert "CODE" in text and _digest(tmp_path, run2) in text
    refused = _lyth(tmp_path, "restart", run1)
    assert refused.returncode == 1
    assert "the code of step(s) 'work' changed" in refused.stderr and "--force" in refused.stderr
    forced = _lyth(tmp_path, "restart", run1, "--force", "--json")
    assert forced.returncode == 0, forced.stderr
    assert json.loads(forced.stdout)["outputs"] == {"work": 0}
    steps.write_text(V2)  # unchanged since run 2: a restart of it would not be refused
    assert _digest(tmp_path, run1) == _digest(tmp_path, run2)  # the restart recorded new code
