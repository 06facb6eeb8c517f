"""Filters (``op__field=value``), ordering and paging, turned into SQL with placeholders.

Field names are checked against the model and quoted; values only ever
travel as placeholder arguments.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, NamedTuple

from lythonic._public import publish
from lythonic.state._errors import FilterError
from lythonic.state._fields import FieldInfo
from lythonic.state._sqlite import quote_ident

__all__ = ["FILTER_OPERATOR_SQL", "FilterOp", "FilterOperator", "Where"]

FilterOperator = Literal["eq", "ne", "gt", "lt", "gte", "lte"]
FILTER_OPERATOR_SQL: dict[FilterOperator, str] = {
    "eq": "=",
    "ne": "!=",
    "gt": ">",
    "lt": "<",
    "gte": ">=",
    "lte": "<=",
}

# Values meaning "any of these": eq gives IN, ne gives NOT IN.
_MANY = (list, tuple, set, frozenset)


class FilterOp(NamedTuple):
    """A parsed filter key: ``gt__year`` is ``FilterOp("gt", "year")``; ``year`` is eq."""

    operator: FilterOperator
    name: str

    @classmethod
    def parse(cls, filter_key: str) -> FilterOp:
        """Split ``op__field``; the operator is a prefix.

        >>> FilterOp.parse("gte__year"), FilterOp.parse("title")
        (gte__year, title)
        """
        operator, sep, name = filter_key.partition("__")
        if not sep:
            return cls("eq", filter_key)
        if operator in FILTER_OPERATOR_SQL:
            return cls(operator, name)
        if name in FILTER_OPERATOR_SQL:
            raise FilterError(
                f"Filter operator is a prefix: use {name}__{operator}, not {filter_key}"
            )
        raise FilterError(
            f"Unknown filter operator: {operator!r} in {filter_key!r}; "
            f"use one of {', '.join(FILTER_OPERATOR_SQL)} as a prefix, e.g. gt__{name}"
        )

    def __str__(self) -> str:
        return self.name if self.operator == "eq" else f"{self.operator}__{self.name}"

    def __repr__(self) -> str:
        return str(self)


class Where(NamedTuple):
    """WHERE clauses with their placeholder arguments, and the fields they filter on."""

    clauses: list[str]
    args: list[Any]
    keys: set[str]

    def sql(self) -> str:
        return f" WHERE {' AND '.join(self.clauses)}" if self.clauses else ""


def _known(model: str, field_map: Mapping[str, FieldInfo]) -> str:
    return f"known fields of {model}: {', '.join(field_map)}"


def _parse_key(model: str, field_map: Mapping[str, FieldInfo], key: str) -> FilterOp:
    # A field whose own name contains "__" is matched whole before splitting.
    if key in field_map:
        return FilterOp("eq", key)
    try:
        op = FilterOp.parse(key)
    except FilterError as e:
        raise FilterError(f"{model}: {e}") from None
    if op.name not in field_map:
        raise FilterError(
            f"{model}: unknown filter field {op.name!r} (from {key!r}); {_known(model, field_map)}"
        )
    return op


def _to_db(model: str, fi: FieldInfo, value: Any) -> Any:
    to_db = fi.ktype.db.map_to
    try:
        mapped = to_db(value)
    except (ValueError, TypeError, AttributeError) as e:
        raise FilterError(
            f"{model}.{fi.name}: cannot filter a {fi.ktype.name} field by {value!r} ({e})"
        ) from None
    if fi.fixed_choices is not None:
        allowed = [to_db(c) for c in fi.fixed_choices]
        if mapped not in allowed:
            raise FilterError(
                f"{model}.{fi.name}: {value!r} is not one of the field's choices {allowed}"
            )
    return mapped


def _clause(model: str, fi: FieldInfo, op: FilterOp, value: Any, args: list[Any]) -> str:
    col = quote_ident(fi.name)
    if op.operator in ("eq", "ne"):
        negate = op.operator == "ne"
        if isinstance(value, _MANY):
            values = list(value)
            present = [_to_db(model, fi, v) for v in values if v is not None]
            has_null = len(present) < len(values)
            args.extend(present)
            in_list = f"{col} {'NOT IN' if negate else 'IN'} ({', '.join('?' * len(present))})"
            if not has_null:
                return in_list
            if negate:
                return f"({in_list} AND {col} IS NOT NULL)" if present else f"{col} IS NOT NULL"
            # NULL never matches inside IN (...), so it needs its own test.
            return f"({in_list} OR {col} IS NULL)" if present else f"{col} IS NULL"
        if value is None:
            return f"{col} IS NOT NULL" if negate else f"{col} IS NULL"
    elif value is None or isinstance(value, _MANY):
        raise FilterError(
            f"{model}.{fi.name}: operator {op.operator!r} needs a single value, got {value!r} "
            "(a comparison with NULL is never true; use eq/ne for None and lists)"
        )
    args.append(_to_db(model, fi, value))
    return f"{col} {FILTER_OPERATOR_SQL[op.operator]} ?"


def build_where(
    model: str, field_map: Mapping[str, FieldInfo], filters: Iterable[tuple[str, Any]]
) -> Where:
    """The WHERE for ``filters`` (key, value) pairs, all ANDed together."""
    clauses: list[str] = []
    args: list[Any] = []
    keys: set[str] = set()
    for key, value in filters:
        op = _parse_key(model, field_map, key)
        clauses.append(_clause(model, field_map[op.name], op, value, args))
        keys.add(op.name)
    return Where(clauses, args, keys)


def order_limit_sql(
    model: str,
    field_map: Mapping[str, FieldInfo],
    order_by: str | Sequence[str] | None,
    limit: int | None,
    offset: int | None,
) -> tuple[str, list[Any]]:
    """`` ORDER BY ... LIMIT ? OFFSET ?`` for ``select``; ``-field`` sorts descending."""
    sql = ""
    if order_by is not None:
        names = [order_by] if isinstance(order_by, str) else list(order_by)
        terms: list[str] = []
        for name in names:
            if not isinstance(name, str):
                raise FilterError(f"{model}: order_by takes field names, got {name!r}")
            field = name.lstrip("+-")
            if field not in field_map or len(name) - len(field) > 1:
                raise FilterError(
                    f"{model}: cannot order by {name!r}; {_known(model, field_map)} "
                    "(prefix '-' for descending)"
                )
            terms.append(quote_ident(field) + (" DESC" if name.startswith("-") else ""))
        if terms:
            sql += " ORDER BY " + ", ".join(terms)
    args: list[Any] = []
    for label, n in (("limit", limit), ("offset", offset)):
        if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 0):
            raise FilterError(f"{model}: {label} must be an int >= 0, got {n!r}")
    if limit is not None or offset is not None:
        sql += " LIMIT ?"
        args.append(-1 if limit is None else limit)
        if offset is not None:
            sql += " OFFSET ?"
            args.append(offset)
    return sql, args


publish("lythonic.state", FilterOp)
