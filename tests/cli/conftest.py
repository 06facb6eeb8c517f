"""Helpers for the CLI tests: an in-process runner with a clean LYTH_* environment."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from lythonic.cli import app

ROOT = Path(__file__).resolve().parents[2]
STEPS = "tests.declarative.fixtures.steps"
Invoke = Callable[..., Result]


@pytest.fixture
def lyth(monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """Run `lyth ARGS` in process; keyword arguments become LYTH_* variables."""
    for name in list(os.environ):
        if name.startswith("LYTH_"):
            monkeypatch.delenv(name)

    def invoke(*args: str, input: str | None = None, **env: str) -> Result:
        variables = {f"LYTH_{k.upper()}": v for k, v in env.items()}
        variables.setdefault("LYTH_ALLOW_IMPORTS", "tests.declarative.fixtures")
        return CliRunner().invoke(app, list(args), input=input, env=variables)

    return invoke
