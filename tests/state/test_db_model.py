"""DbModel: column mapping, CRUD round trips, ordering and paging."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from enum import Enum, IntEnum
from pathlib import Path
from typing import Literal, Optional

import pytest
from pydantic import BaseModel, Field

from lythonic.state import (
    DbModel,
    FieldInfo,
    FilterError,
    ModelDefinitionError,
    Schema,
    StateError,
    execute_sql,
    from_multi_model_row,
)
from lythonic.types import KNOWN_TYPES, JsonBase


class Color(Enum):
    RED = "red"
    GREEN = "green"


class Priority(IntEnum):
    LOW = 1
    HIGH = 2


class Address(BaseModel):
    street: str
    zip: str | None = None


class Shape(JsonBase):
    name: str


class Circle(Shape):
    radius: float


class Item(DbModel["Item"]):
    item_id: int = Field(default=-1, description="(PK)")
    path: Path
    created: datetime
    day: date
    color: Color
    priority: Priority
    active: bool
    blob: bytes
    ratio: float
    size: Literal["s", "m", "l"]
    address: Address
    shape: Shape
    note: Optional[str] = None  # noqa: UP045 -- Optional must work like `str | None`
    maybe_color: Color | None = None


def _item(**kw: object) -> Item:
    values: dict[str, object] = {
        "path": Path("/data/in.csv"),
        "created": datetime(2025, 3, 4, 5, 6, 7, 890, tzinfo=UTC),
        "day": date(2025, 3, 4),
        "color": Color.GREEN,
        "priority": Priority.HIGH,
        "active": True,
        "blob": b"\x00\x01",
        "ratio": 0.25,
        "size": "m",
        "address": Address(street="Main St"),
        "shape": Circle(name="c", radius=2.0),
    }
    values.update(kw)
    return Item.model_validate(values)


@pytest.fixture
def items(conn: sqlite3.Connection) -> sqlite3.Connection:
    Schema([Item]).create_tables(conn)
    return conn


def test_round_trip_keeps_every_type(items: sqlite3.Connection) -> None:
    """A saved row loads back equal, with Path, aware datetime, Enum, IntEnum and nested models typed."""
    item = _item().save(items)
    loaded = Item.load_by_id(items, item.item_id)
    assert loaded == item
    assert loaded is not None
    assert isinstance(loaded.path, Path)
    assert loaded.created.tzinfo is not None
    assert loaded.color is Color.GREEN
    assert loaded.priority is Priority.HIGH
    assert isinstance(loaded.address, Address)
    assert type(loaded.shape) is Circle
    assert loaded.shape.radius == 2.0


def test_storage_forms(items: sqlite3.Connection) -> None:
    """Columns hold ISO text, enum values, 0/1, JSON text and raw bytes."""
    _item().save(items)
    row = items.execute(
        'SELECT "path", "created", "color", "priority", "active", "blob", "address" FROM "Item"'
    ).fetchone()
    assert row == (
        "/data/in.csv",
        "2025-03-04T05:06:07.000890+00:00",
        "green",
        2,
        1,
        b"\x00\x01",
        '{"street": "Main St", "zip": null}',
    )


def test_save_inserts_then_updates(items: sqlite3.Connection) -> None:
    """save() with PK -1 inserts and sets the PK; a second save updates the same row."""
    item = _item()
    assert item.save(items) is item
    assert item.item_id == 1
    item.ratio = 0.5
    item.save(items)
    assert Item.select_count(items) == 1
    assert Item.load_by_id(items, 1) == item


def test_save_with_explicit_pk_inserts_missing_row(items: sqlite3.Connection) -> None:
    """save() with a PK that is not in the table inserts the row under that PK."""
    _item(item_id=42).save(items)
    assert [i.item_id for i in Item.select(items)] == [42]


def test_update_delete_exists_counts(items: sqlite3.Connection) -> None:
    """update/delete return row counts; exists and select_count follow the data."""
    a, b = _item(ratio=1.0).save(items), _item(ratio=2.0).save(items)
    b.note = "changed"
    assert b.update(items, item_id=b.item_id) == 1
    assert Item.select(items, note="changed") == [b]
    assert Item.exists(items, item_id=a.item_id)
    assert Item.delete(items, item_id=a.item_id) == 1
    assert not Item.exists(items, item_id=a.item_id)
    assert Item.load_by_id(items, a.item_id) is None
    assert Item.select_count(items) == 1


def test_order_by_limit_offset(items: sqlite3.Connection) -> None:
    """select orders by fields (``-`` for descending) and pages with limit/offset."""
    for r in (3.0, 1.0, 2.0, 2.0):
        _item(ratio=r, note=str(r)).save(items)
    by_ratio = Item.select(items, order_by=["-ratio", "item_id"])
    assert [(i.ratio, i.item_id) for i in by_ratio] == [(3.0, 1), (2.0, 3), (2.0, 4), (1.0, 2)]
    page = Item.select(items, order_by="item_id", limit=2, offset=1)
    assert [i.item_id for i in page] == [2, 3]
    assert [i.item_id for i in Item.select(items, order_by="item_id", offset=3)] == [4]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"order_by": "colour"}, "cannot order by 'colour'"),
        ({"order_by": "--ratio"}, "cannot order by '--ratio'"),
        ({"order_by": [1]}, "order_by takes field names"),
        ({"limit": -1}, "limit must be an int >= 0"),
        ({"offset": "1"}, "offset must be an int >= 0"),
        ({"limit": True}, "limit must be an int >= 0"),
    ],
)
def test_bad_order_and_paging_rejected(
    items: sqlite3.Connection, kwargs: dict[str, object], message: str
) -> None:
    """Unknown order_by fields and bad limit/offset raise FilterError naming the model."""
    with pytest.raises(FilterError, match=message) as err:
        Item.select(items, **kwargs)  # type: ignore[arg-type]
    assert str(err.value).startswith("Item:")


def test_optional_is_the_same_as_pipe_none() -> None:
    """`Optional[str]` maps exactly like `str | None` (nullable TEXT)."""
    fields = Item.get_field_map()
    assert fields["note"] == (
        "note",
        KNOWN_TYPES.resolve_type(str),
        "",
        True,
        False,
        None,
        None,
        False,
    )
    assert fields["maybe_color"].nullable
    assert fields["maybe_color"].fixed_choices == [Color.RED, Color.GREEN]
    wrapped = _field(Optional[Literal["a", "b"]], default=None)  # noqa: UP045 -- the point of the test
    assert (wrapped.nullable, wrapped.fixed_choices) == (True, ["a", "b"])


def test_field_info_is_an_8_tuple() -> None:
    """FieldInfo compares as (name, ktype, description, nullable, pk, fk, choices, ak)."""

    class Link(DbModel["Link"]):
        link_id: int = Field(default=-1, description="(PK) the id")
        target: int = Field(description="(AK) (FK:Item.item_id) points at an item")

    assert FieldInfo.build("target", Link.model_fields["target"]) == (
        "target",
        KNOWN_TYPES.resolve_type(int),
        "points at an item",
        False,
        False,
        ("Item", "item_id"),
        None,
        True,
    )
    assert Link.get_field_map()["link_id"].description == "the id"


def _field(annotation: object, **kw: object) -> FieldInfo:
    info = Field(**kw)  # type: ignore[call-overload]
    info.annotation = annotation
    return FieldInfo.build("f", info, owner="Model")


@pytest.mark.parametrize(
    "description",
    ["(FK:Item.item_id)(AK) x", "(AK)(FK:Item.item_id) x", " (AK) (FK:Item.item_id)x"],
)
def test_marker_order_does_not_matter(description: str) -> None:
    """(AK) and (FK:...) are both read whatever their order; the rest is the description."""
    fi = _field(int, default=0, description=description)
    assert (fi.foreign_key, fi.alt_key, fi.description) == (("Item", "item_id"), True, "x")


@pytest.mark.parametrize(
    ("annotation", "kw", "message"),
    [
        (int | None, {"description": "(PK)"}, "Model.f: a primary key cannot be nullable"),
        (Optional[str], {"description": "(AK)"}, "Model.f: an alternative key .* nullable"),  # noqa: UP045
        (list[int], {}, "Model.f: unsupported annotation"),
        (dict[str, int], {}, "Model.f: unsupported annotation"),
        (int | str, {}, "Model.f: unsupported annotation .* `X | None`"),
        (Literal["a", 1], {}, "Model.f: Literal .* one type"),
        (complex, {}, "Model.f: type .* has no SQLite mapping"),
        (int, {"description": "(FK:Item)"}, r"Model.f: malformed foreign key marker \(FK:Item\)"),
    ],
)
def test_bad_declarations_name_model_and_field(
    annotation: object, kw: dict[str, object], message: str
) -> None:
    """Unsupported declarations raise ModelDefinitionError (an AssertionError) naming model.field."""
    with pytest.raises(ModelDefinitionError, match=message) as err:
        _field(annotation, **kw)
    assert isinstance(err.value, AssertionError)
    assert isinstance(err.value, StateError)


def test_model_errors_surface_on_first_use() -> None:
    """A bad model can be declared; using it raises, naming the class and field."""

    class Bad(DbModel["Bad"]):
        bad_id: int | None = Field(default=None, description="(PK)")

    with pytest.raises(ModelDefinitionError, match=r"Bad.bad_id: a primary key cannot be nullable"):
        Bad.get_field_map()
    with pytest.raises(ModelDefinitionError, match=r"Bad.bad_id"):
        Schema([Bad])


def test_literal_choices_become_check_constraint(items: sqlite3.Connection) -> None:
    """Literal choices are enforced by a CHECK constraint in the table."""
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        items.execute(
            'INSERT INTO "Item" ("path", "created", "day", "color", "priority", "active", "blob", '
            '"ratio", "size", "address", "shape") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
            ["p", "t", "d", "red", 1, 1, b"", 0.0, "xl", "{}", "{}"],
        )


class Order(DbModel["Order"]):
    order_id: int = Field(default=-1, description="(PK)")
    group: str
    where: int = 0


def test_reserved_words_as_table_and_column_names(conn: sqlite3.Connection) -> None:
    """Tables and columns named like SQL keywords work because identifiers are quoted."""
    Schema([Order]).create_tables(conn)
    o = Order(group="g", where=3).save(conn)
    o.group = "h"
    o.save(conn)
    assert Order.select(conn, group="h", gt__where=2, order_by="-group") == [o]
    assert Order.delete(conn, group="h") == 1


class Tag(DbModel["Tag"]):
    tag_id: int = Field(default=-1, description="(PK)")


class Pair(DbModel["Pair"]):
    left: str = Field(description="(PK)")
    right: str = Field(description="(PK)")
    weight: float = 0.0


def test_composite_primary_key(conn: sqlite3.Connection) -> None:
    """Two (PK) fields give a table-level PRIMARY KEY; save() updates by both; load_by_id refuses."""
    assert Pair.create_ddl() == (
        'CREATE TABLE IF NOT EXISTS "Pair" ("left" TEXT NOT NULL, "right" TEXT NOT NULL, '
        '"weight" REAL NOT NULL, PRIMARY KEY ("left", "right"))'
    )
    Schema([Pair, Tag]).create_tables(conn)
    Pair(left="a", right="b", weight=1.0).save(conn)
    Pair(left="a", right="b", weight=2.0).save(conn)
    Pair(left="a", right="c").save(conn)
    assert [(p.right, p.weight) for p in Pair.select(conn, order_by="right")] == [
        ("b", 2.0),
        ("c", 0.0),
    ]
    with pytest.raises(ModelDefinitionError, match="Pair: load_by_id needs exactly one"):
        Pair.load_by_id(conn, "a")
    t = Tag().save(conn)
    assert t.tag_id == 1  # a model with only its PK inserts DEFAULT VALUES


class Writer(DbModel["Writer"]):
    writer_id: int = Field(default=-1, description="(PK)")
    name: str


class Novel(DbModel["Novel"]):
    novel_id: int = Field(default=-1, description="(PK)")
    writer_id: int = Field(description="(FK:Writer.writer_id)")
    title: str


def test_join_with_columns_alias_and_multi_model_row(conn: sqlite3.Connection) -> None:
    """columns()/alias() build a join whose rows split back into models."""
    Schema([Writer, Novel]).create_tables(conn)
    w = Writer(name="Austen").save(conn)
    n = Novel(writer_id=w.writer_id, title="Emma").save(conn)
    assert Writer.columns("w") == '"w"."writer_id", "w"."name"'
    assert Writer.alias("w") == '"Writer" AS "w"'
    cursor = conn.cursor()
    execute_sql(
        cursor,
        f"SELECT {Writer.columns('w')}, {Novel.columns('n')} FROM {Writer.alias('w')}, "
        f"{Novel.alias('n')} WHERE w.writer_id = n.writer_id",
    )
    assert [tuple(from_multi_model_row(r, [Writer, Novel])) for r in cursor.fetchall()] == [(w, n)]
    with pytest.raises(StateError, match="a row of 1 values for 2 columns"):
        list(from_multi_model_row((1,), [Writer]))


def test_get_pk_filter() -> None:
    """get_pk_filter gives the PK dict and whether it is set."""
    assert Writer(name="x").get_pk_filter() == ({"writer_id": -1}, False)
    assert Writer(writer_id=3, name="x").get_pk_filter() == ({"writer_id": 3}, True)


class Quota(DbModel["Quota"]):
    quota_id: int = Field(default=-1, description="(PK)")
    name: str
    limit: int
    offset: int = 0


@pytest.mark.parametrize("keyword", ["limit", "offset"])
def test_paging_keyword_named_like_a_field_is_refused(
    conn: sqlite3.Connection, keyword: str
) -> None:
    """On a model with a `limit` field, select(limit=10) raises instead of silently paging."""
    Schema([Quota]).create_tables(conn)
    for i in range(5):
        Quota(name=f"q{i}", limit=i * 10).save(conn)
    with pytest.raises(FilterError, match=rf"select\({keyword}=10\) is ambiguous") as err:
        Quota.select(conn, **{keyword: 10})
    assert f"eq__{keyword}=10" in str(err.value) and str(err.value).startswith("Quota:")
    assert [q.name for q in Quota.select(conn, eq__limit=10)] == ["q1"]
    assert Quota.select_count(conn, limit=10) == 1
    assert [q.name for q in Quota.select(conn, order_by="-quota_id")][:1] == ["q4"]
