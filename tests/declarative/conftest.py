"""Shared helpers of the declarative tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from lythonic.declarative import LythSettings

# A module whose import is the failure under test: never import it to look for doctests.
collect_ignore_glob = ["evil/*"]

FIXTURES = Path(__file__).parent / "fixtures"
STEPS = "tests.declarative.fixtures.steps"


@pytest.fixture
def settings() -> LythSettings:
    """Trusted settings allowing the test fixtures' modules (and the project's packages)."""
    return LythSettings(allow_imports=["tests.declarative.fixtures"])


@pytest.fixture
def write_config(tmp_path: Path):
    """Write a lyth.yaml (dedented) into tmp_path and return its path."""

    def write(text: str, name: str = "lyth.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write
