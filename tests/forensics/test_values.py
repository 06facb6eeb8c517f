"""value_changes: the differences of two recorded values, as paths."""

from __future__ import annotations

from lythonic.forensics import value_changes


def _texts(a: object, b: object, **kw: object) -> list[str]:
    changes, _ = value_changes(a, b, **kw)  # type: ignore[arg-type]
    return [c.text() for c in changes]


def test_nested_changes_are_named_by_path() -> None:
    """Keys, indexes and odd keys each get their path; added and removed say absent."""
    a = {"totals": {"emea": 64.0, "apac": 1}, "rows": [1, 2], "odd key": True}
    b = {"totals": {"emea": 237.38}, "rows": [1, 3, 4], "odd key": True, "new": "x"}
    assert _texts(a, b) == [
        "$.totals.emea: 64.0 → 237.38",
        "$.totals.apac: 1 → (absent)",
        "$.rows.length: 2 → 3",
        "$.rows[1]: 2 → 3",
        '$.new: (absent) → "x"',
    ]


def test_floats_within_rtol_are_equal_and_types_are_not() -> None:
    """--rtol forgives small relative float differences; 1 and "1" differ in type."""
    assert _texts({"x": 100.0}, {"x": 100.00001}, rtol=1e-6) == []
    assert _texts({"x": 100.0}, {"x": 100.1}, rtol=1e-6) == ["$.x: 100.0 → 100.1"]
    assert _texts([1], ["1"]) == ['$[0]: 1 → "1"']
    assert _texts([True], [1]) == ["$[0]: true → 1"]


def test_ignored_paths_are_left_out() -> None:
    """--ignore patterns (fnmatch) leave those paths out, wildcards included."""
    a = {"at": 1, "rows": [{"ts": 1, "v": 1}, {"ts": 2, "v": 2}]}
    b = {"at": 2, "rows": [{"ts": 9, "v": 1}, {"ts": 9, "v": 3}]}
    assert _texts(a, b, ignore=["$.at", "$.rows[*].ts"]) == ["$.rows[1].v: 2 → 3"]


def test_many_changes_are_counted_past_the_limit() -> None:
    """Only ``limit`` changes are kept; the count says how many there are."""
    changes, count = value_changes(list(range(100)), list(range(1, 101)), limit=5)
    assert len(changes) == 5 and count == 100
