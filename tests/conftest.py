"""Session fixtures: a real PostgreSQL server (``pg_url``), and ``--executor=dask``.

``pg_url`` starts one PostgreSQL server for the session (``tests/pg_server.py``;
a missing PostgreSQL is an error, never a skip) and gives each test a URL;
stores under test put their tables in a schema of their own per test.

``--executor=dask``: run the selected tests with a Dask cluster as the default executor.

``pytest tests/compose/run/test_dag_runner.py --executor=dask`` runs the runner's
suite with every runner that was given no executor sending its sync steps to an
in-process Dask cluster of two workers (CI runs it so; see Makefile).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--executor",
        choices=("local", "dask"),
        default="local",
        help="the default executor of runners given none (dask: an in-process cluster)",
    )


@pytest.fixture(scope="session", autouse=True)
def _default_executor(request: pytest.FixtureRequest) -> Iterator[None]:
    if request.config.getoption("--executor") != "dask":
        yield
        return
    from lythonic.compose.executor import DaskExecutor
    from lythonic.compose.run._runner import _machinery

    executor = DaskExecutor(workers=2, processes=False)
    machinery = _machinery()
    saved = machinery.default_executor
    # What a runner given no executor uses; `default_executor()` itself (the home of
    # `remote: false` steps) stays the thread pool.
    machinery.default_executor = lambda: executor  # type: ignore[assignment,return-value]
    try:
        yield
    finally:
        machinery.default_executor = saved
        executor.close()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """The URL of a PostgreSQL server started for this test session."""
    from tests.pg_server import PgServer

    server = PgServer()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def pg_schema(pg_server: str) -> str:
    """A schema name no other test uses."""
    import uuid

    return f"t_{uuid.uuid4().hex[:12]}"


@pytest.fixture(autouse=True)
def _default_step_log_capture() -> None:
    """Each test starts with what steps log kept from INFO on (a command run in
    process sets LYTH_NODE_LOGS for the whole process)."""
    from lythonic.compose.provenance import set_capture_level

    set_capture_level("info")
