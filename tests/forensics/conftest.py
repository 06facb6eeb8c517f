"""The forensics tests' DAG (items priced one by one in a map, then totalled) and store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lythonic.compose.dag_provenance import DagProvenance
from lythonic.compose.namespace import Dag
from tests.forensics import steps


def prices_dag() -> Dag:
    dag = Dag()
    sub = Dag()
    sub.node(steps.price, "price")
    dag.node(steps.items, "items") >> dag.map(sub, "prices") >> dag.node(steps.totals, "totals")
    return dag


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DagProvenance]:
    s = DagProvenance(tmp_path / "dags.db")
    yield s
    s.close()
