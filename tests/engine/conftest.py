"""Helpers for the engine tests: configs compiled from text against ``tests.engine``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from lythonic.declarative import LoadedConfig, LythSettings, compile_config
from tests.engine import steps

if TYPE_CHECKING:
    from tests.engine.test_daemon import Project

SETTINGS = LythSettings(allow_imports=["tests.engine"])
Compile = Callable[[str], LoadedConfig]


@pytest.fixture
def compiled(tmp_path: Path) -> Compile:
    """Build a config text (placed in tmp_path) or fail the test with its diagnostics."""

    def build(text: str) -> LoadedConfig:
        loaded, diags = compile_config(text, file="lyth.yaml", base_dir=tmp_path, settings=SETTINGS)
        assert loaded is not None, [str(d) for d in diags]
        return loaded

    return build


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    """A project directory for real `lyth start` processes (killed at the end)."""
    from tests.engine.test_daemon import Project

    p = Project(tmp_path)
    yield p
    for proc in p.procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.fixture(autouse=True)
def _reset_steps() -> Iterator[None]:
    steps.SEEN.clear()
    steps.CLOCK.clear()
    yield
    steps.SEEN.clear()
    steps.CLOCK.clear()
