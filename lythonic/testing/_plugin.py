"""The ``lythonic`` pytest plugin (entry point ``pytest11``): fixtures for testing
pipelines built on lythonic. Installing lythonic makes them available in every
test suite; nothing is imported from lythonic until a test asks for one.

- ``lyth_data_dir``: an empty data directory for the test;
- ``lyth_store``: a provenance store (SQLite) in it, closed after the test;
- ``lyth_run``: ``run_dag`` recording into ``lyth_store``;
- ``fake_clock``: a ``FakeClock`` at 2024-01-01 00:00 UTC, for trigger schedules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

__all__ = ["fake_clock", "lyth_data_dir", "lyth_run", "lyth_store"]


@pytest.fixture
def lyth_data_dir(tmp_path: Path) -> Path:
    """An empty data directory (under the test's ``tmp_path``)."""
    data = tmp_path / "lyth-data"
    data.mkdir()
    return data


@pytest.fixture
def lyth_store(lyth_data_dir: Path) -> Iterator[Any]:
    """A ``DagProvenance`` on ``<lyth_data_dir>/dags.db``, closed after the test."""
    from lythonic.compose.dag_provenance import DagProvenance

    store = DagProvenance(lyth_data_dir / "dags.db")
    yield store
    store.close()


@pytest.fixture
def lyth_run(lyth_store: Any) -> Callable[..., Any]:
    """``run_dag(dag_or_config, name=None, inputs=None, **options)`` recording into
    ``lyth_store``; returns the ``RecordedRun``."""
    from lythonic.testing._run import run_dag

    def run(dag_or_config: Any, name: str | None = None, inputs: Any = None, **options: Any) -> Any:
        return run_dag(dag_or_config, name, inputs, store=lyth_store, **options)

    return run


@pytest.fixture
def fake_clock() -> Any:
    """A ``FakeClock`` at 2024-01-01 00:00 UTC: ``await fake_clock.advance(hours=1)``."""
    from datetime import UTC, datetime

    from lythonic.compose.schedule import FakeClock

    return FakeClock(datetime(2024, 1, 1, tzinfo=UTC))
