"""Filters: ``op__field`` keys, IN lists and NULL-aware matching (0.0.28 semantics)."""

from __future__ import annotations

import sqlite3
from datetime import date
from enum import Enum

import pytest
from pydantic import Field

from lythonic.state import FILTER_OPERATOR_SQL, DbModel, FilterError, FilterOp, Schema


class Status(Enum):
    OPEN = "open"
    DONE = "done"


class Task(DbModel["Task"]):
    task_id: int = Field(default=-1, description="(PK)")
    title: str
    rank: int | None = None
    due: date | None = None
    status: Status = Status.OPEN
    a__b: int = 0


@pytest.fixture
def tasks(conn: sqlite3.Connection) -> sqlite3.Connection:
    Schema([Task]).create_tables(conn)
    rows = [
        Task(title="a", rank=1, due=date(2025, 1, 1)),
        Task(title="b", rank=2, status=Status.DONE),
        Task(title="c", rank=None, a__b=7),
        Task(title="d", rank=3, due=date(2025, 6, 1), status=Status.DONE),
    ]
    for t in rows:
        t.save(conn)
    return conn


def _titles(conn: sqlite3.Connection, **filters: object) -> list[str]:
    return [t.title for t in Task.select(conn, order_by="title", **filters)]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["a", "b", "c", "d"]),
        ({"rank": 2}, ["b"]),
        ({"eq__rank": 2}, ["b"]),
        ({"ne__rank": 2}, ["a", "d"]),
        ({"gt__rank": 1}, ["b", "d"]),
        ({"gte__rank": 2}, ["b", "d"]),
        ({"lt__rank": 2}, ["a"]),
        ({"lte__rank": 2}, ["a", "b"]),
        ({"rank": [1, 3]}, ["a", "d"]),
        ({"rank": (1, 3)}, ["a", "d"]),
        ({"rank": []}, []),
        ({"rank": None}, ["c"]),
        ({"ne__rank": None}, ["a", "b", "d"]),
        ({"rank": [1, None]}, ["a", "c"]),
        ({"rank": [None]}, ["c"]),
        ({"ne__rank": [1, 2]}, ["d"]),
        ({"ne__rank": [1, None]}, ["b", "d"]),
        ({"ne__rank": [None]}, ["a", "b", "d"]),
        ({"gte__rank": 2, "lt__rank": 3}, ["b"]),
        ({"status": Status.DONE}, ["b", "d"]),
        ({"status": "done"}, ["b", "d"]),
        ({"status": [Status.OPEN, None]}, ["a", "c"]),
        ({"gt__due": date(2025, 3, 1)}, ["d"]),
        ({"due": None, "rank": None}, ["c"]),
        ({"a__b": 7}, ["c"]),
        ({"gt__a__b": 0}, ["c"]),
    ],
)
def test_filter_semantics(
    tasks: sqlite3.Connection, filters: dict[str, object], expected: list[str]
) -> None:
    """Each filter form selects exactly the rows SQL-with-NULL semantics say it should."""
    assert _titles(tasks, **filters) == expected


def test_filters_apply_to_count_exists_update_delete(tasks: sqlite3.Connection) -> None:
    """select_count, exists, update and delete take the same filters as select."""
    assert Task.select_count(tasks, rank=None) == 1
    assert Task.exists(tasks, rank=[3, None])
    assert not Task.exists(tasks, rank=[])
    t = Task(task_id=99, title="z")
    assert t.update(tasks, rank=None) == 1
    assert _titles(tasks, rank=None) == ["z"]
    assert Task.delete(tasks, ne__rank=None, lt__rank=3) == 2
    assert _titles(tasks) == ["d", "z"]


def test_ordering_operator_with_none_is_an_error(tasks: sqlite3.Connection) -> None:
    """gt/lt/gte/lte against None or a list raise FilterError (a ValueError)."""
    with pytest.raises(ValueError, match=r"Task.rank: operator 'gt' needs a single value"):
        Task.select(tasks, gt__rank=None)
    with pytest.raises(FilterError, match="operator 'lte' needs a single value"):
        Task.select(tasks, lte__rank=[1, 2])


def test_suffix_operator_is_rejected(tasks: sqlite3.Connection) -> None:
    """``rank__ne`` is refused with a hint to write ``ne__rank``."""
    with pytest.raises(ValueError, match="Filter operator is a prefix: use ne__rank, not rank__ne"):
        Task.select(tasks, rank__ne=1)


def test_unknown_field_and_operator_are_named(tasks: sqlite3.Connection) -> None:
    """Unknown filter fields and operators raise FilterError (an AssertionError) naming the model."""
    with pytest.raises(
        AssertionError,
        match=r"Task: unknown filter field 'titel'.*known fields of Task: task_id, title",
    ):
        Task.select(tasks, titel="a")
    with pytest.raises(FilterError, match="Task: Unknown filter operator: 'like'"):
        Task.select(tasks, like__title="a")
    with pytest.raises(FilterError, match="unknown filter field 'nope'"):
        Task.delete(tasks, gt__nope=1)
    assert Task.select_count(tasks) == 4


def test_uncoercible_value_is_a_filter_error(tasks: sqlite3.Connection) -> None:
    """A value the field's type cannot take raises FilterError naming model.field."""
    with pytest.raises(FilterError, match=r"Task.rank: cannot filter a int field by 'x'"):
        Task.select(tasks, rank="x")
    with pytest.raises(
        FilterError,
        match=r"Task.status: .archived. is not one of the field.s choices \[.open., .done.\]",
    ):
        Task.select(tasks, status="archived")


def test_filter_op_parse_and_str() -> None:
    """FilterOp parses prefix keys and prints them back in prefix form."""
    assert FilterOp.parse("gte__year") == ("gte", "year")
    assert FilterOp.parse("year") == ("eq", "year")
    assert str(FilterOp.parse("ne__year")) == "ne__year"
    assert repr(FilterOp("eq", "year")) == "year"
    assert FILTER_OPERATOR_SQL == {
        "eq": "=",
        "ne": "!=",
        "gt": ">",
        "lt": "<",
        "gte": ">=",
        "lte": "<=",
    }
