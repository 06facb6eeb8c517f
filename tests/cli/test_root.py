"""The `lyth` entry point itself: version and help."""

from __future__ import annotations

import os
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
    proc = _loaded(args, heavy)
    assert proc.stderr.strip().splitlines()[-1] == "[]", proc.stderr


def _loaded(
    args: list[str], heavy: tuple[str, ...], cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`lyth ARGS` in a fresh interpreter; its last stderr line lists the modules it
    loaded whose names start with one of ``heavy``."""
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
    return subprocess.run(
        [sys.executable, "-c", probe],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("LYTH_")},
    )


# What a command reading the record must not load: the lyth.yaml model and its
# builder, the daemon, the run loop, asyncio (pydantic-settings is gone for good).
_NOT_FOR_THE_RECORD = (
    "lythonic.declarative._model",
    "lythonic.declarative._build",
    "lythonic.declarative._load",
    "lythonic.engine._daemon",
    "lythonic.compose.run",
    "pydantic_settings",
    "asyncio",
)


@pytest.mark.parametrize(
    "args", [["logs", "r1"], ["logs", "r1", "step"], ["runs"], ["runs", "show", "r1"], ["status"]]
)
def test_commands_reading_the_record_load_no_config_model(tmp_path: Path, args: list[str]) -> None:
    """`lyth logs`, `runs` and `status` locate the stores from the settings and the
    `storage:` section alone (they answer sooner: `lyth logs` prints its first line
    within 200 ms on a fast machine), and still answer from the record."""
    from lythonic.compose.dag_provenance import DagProvenance

    (tmp_path / "lyth.yaml").write_text("storage:\n  data_dir: kept\ndags: {}\n")
    (tmp_path / "kept").mkdir()
    store = DagProvenance(tmp_path / "kept" / "dags.db")
    store.begin_run("r1", "d", {})
    store.end_run("r1", "completed")
    store.close()
    proc = _loaded(args, _NOT_FOR_THE_RECORD, cwd=tmp_path)
    assert proc.stderr.strip().splitlines()[-1] == "[]", proc.stderr
    if args[:1] == ["runs"]:
        assert "r1" in proc.stdout, proc.stdout + proc.stderr  # found under storage.data_dir
