"""The `lythonic.testing` pytest plugin: docs/testing.md's example test file runs green
in a project of its own, through the installed entry point."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _example() -> str:
    text = (ROOT / "docs" / "testing.md").read_text()
    found = re.search(r"<!-- testing-example -->\n```python\n(.*?)```", text, re.S)
    assert found, "docs/testing.md lost its marked example"
    return found.group(1)


def test_the_documented_test_file_passes_with_the_plugins_fixtures(tmp_path: Path) -> None:
    """The example of docs/testing.md, written to a fresh directory and run by pytest in a
    subprocess (no conftest: the fixtures come from the pytest11 entry point), passes
    all of its tests."""
    (tmp_path / "test_orders.py").write_text(_example())
    env = {k: v for k, v in os.environ.items() if not k.startswith("LYTH_")}
    env["LYTH_ALLOW_IMPORTS"] = "shop"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_orders.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "4 passed" in done.stdout


def test_a_missing_edge_names_the_edges_that_were_crossed(tmp_path: Path) -> None:
    """`edge_value` of an edge no value crossed says which edges were crossed."""
    import pytest

    from lythonic.compose.namespace import Dag
    from lythonic.testing import assert_edge, edge_value, run_dag

    def one() -> int:
        return 1

    def double(x: int) -> int:
        return 2 * x

    dag = Dag()
    dag.node(one) >> dag.node(double)
    run = run_dag(dag, data_dir=tmp_path)
    assert run.outputs == {"double": 2} and edge_value(run, "one", "double") == 1
    with pytest.raises(AssertionError, match=r"crossed: one >> double"):
        edge_value(run, "double", "one")
    with pytest.raises(AssertionError, match="carried 1, expected 2"):
        assert_edge(run, "one", "double", value=2)
