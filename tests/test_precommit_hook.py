"""The `lyth-validate` hook of .pre-commit-hooks.yaml, run by the real pre-commit."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def test_pre_commit_try_repo_runs_lyth_validate_on_the_bundled_config(tmp_path: Path) -> None:
    """`pre-commit try-repo` installs this repository's hook in a fresh environment and
    runs it: the bundled lyth.yaml passes; a broken lyth.yaml fails naming its line;
    other YAML files are not the hook's business."""
    if not (ROOT / ".git").exists():
        pytest.fail("the hook test needs the repository's git history (a clean clone has it)")
    clone = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    subprocess.run(["git", "-C", str(clone), "checkout", "-q", head], check=True)
    bad = clone / "broken" / "lyth.yaml"
    bad.parent.mkdir()
    bad.write_text("dags:\n  d:\n    nodes:\n      a: pkg.mod:fn\n    edges: [a >> b]\n")
    (clone / "other.yaml").write_text("not: [a lyth file\n")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache")}
    env = {k: v for k, v in env.items() if not k.startswith("LYTH_")}
    pre_commit = [sys.executable, "-m", "pre_commit"]
    assert shutil.which("git")

    def hook(*files: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*pre_commit, "try-repo", str(clone), "lyth-validate", "--files", *files],
            cwd=clone,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )

    good = hook("lyth.yaml", "other.yaml")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "lyth validate" in good.stdout and "Passed" in good.stdout
    failed = hook("lyth.yaml", "broken/lyth.yaml")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "broken/lyth.yaml:5:" in failed.stdout and "unknown step 'b'" in failed.stdout
