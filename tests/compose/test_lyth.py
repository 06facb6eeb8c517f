"""`lythonic.compose.lyth`, upstream's module path of the `lyth` command."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from lythonic.cli import app
from lythonic.compose import lyth


def test_main_is_the_lyth_app_with_the_upstream_commands() -> None:
    """main is our typer app; start, stop, run, fire and status are among its commands."""
    assert lyth.main is app
    result = CliRunner().invoke(lyth.main, ["--help"])
    assert result.exit_code == 0
    for command in ("start", "stop", "run", "fire", "status", "runs", "trigger"):
        assert f" {command} " in result.stdout


def test_cli_main_exits_with_the_commands_code(monkeypatch: pytest.MonkeyPatch) -> None:
    """cli_main runs `lyth` with sys.argv and exits with its code (2 for a usage error)."""
    monkeypatch.setattr("sys.argv", ["lyth", "no-such-command"])
    with pytest.raises(SystemExit) as exited:
        lyth.cli_main()
    assert exited.value.code == 2
