"""The `lyth` entry point itself: version and help."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

import lythonic
from lythonic.cli import app


def test_version_and_help() -> None:
    """`lyth --version` prints the package version; `lyth --help` lists usage."""
    runner = CliRunner()
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"lyth {lythonic.__version__}"
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0 and "Usage" in result.output


def test_console_script_is_installed() -> None:
    """The installed `lyth` script runs in a real process."""
    lyth = Path(sys.executable).parent / "lyth"
    proc = subprocess.run([str(lyth), "--version"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and proc.stdout.strip() == f"lyth {lythonic.__version__}"
