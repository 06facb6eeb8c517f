"""The `lyth` entry point itself: version and help."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
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


def _commands() -> list[list[str]]:
    return [
        ["validate"], ["run"], ["graph"], ["schema"], ["start"], ["stop"], ["status"],
        ["fire"], ["trigger", "enable"], ["trigger", "disable"], ["runs"], ["runs", "show"],
        ["runs", "sweep"], ["restart"], ["replay"],
    ]  # fmt: skip


def test_help_reads_as_usual_for_every_command() -> None:
    """Usage lines name arguments in capitals (`RUN_ID`, not `{run_id}`) and no flag
    is followed by a type (`<bool>`)."""
    runner = CliRunner()
    for command in _commands():
        result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "120"})
        assert result.exit_code == 0, command
        assert "<bool>" not in result.output, command
        usage = next(line for line in result.output.splitlines() if "Usage:" in line)
        assert "{" not in usage and "}" not in usage, (command, usage)
    usage = runner.invoke(app, ["restart", "--help"], env={"COLUMNS": "120"}).output
    assert "Usage: lyth restart [OPTIONS] RUN_ID" in usage


_HEAVY = (
    "lythonic.engine",
    "lythonic.declarative",
    "lythonic.compose",
    "sqlite3",
    "structlog",
    "dask",
    "distributed",
)


@pytest.mark.parametrize(
    ("args", "heavy"),
    [
        (["--help"], (*_HEAVY, "pydantic")),
        (["--version"], (*_HEAVY, "pydantic")),
        (["run", "--help"], _HEAVY),  # typer parses a command's options with pydantic
    ],
)
def test_help_and_version_load_no_engine_store_or_models(
    args: list[str], heavy: tuple[str, ...]
) -> None:
    """`lyth --help` lists every command without loading what the commands use: no
    engine, no lyth.yaml loader, no compose layer, no pydantic, no SQLite."""
    probe = (
        "import sys\n"
        f"sys.argv = ['lyth', *{args!r}]\n"
        "from lythonic.cli import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        f"heavy = {heavy!r}\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)), file=sys.stderr)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.stderr.strip().splitlines()[-1] == "[]", proc.stderr
