"""Alternative (natural) keys: find a row's integer PK from its external key, and back.

A model marks the fields of its alternative key with ``(AK)``. An AK field
that is also a foreign key stands for the referenced row's own alternative
key, recursively, so a ``Player`` keyed by ``(team_id, jersey_number)`` with
``Team`` keyed by ``(region_id, name)`` and ``Region`` keyed by ``code`` is
resolved by the *leaf* values ``code``, ``name`` and ``jersey_number``::

    pk = Player.resolve_ak(conn, code="us-west", name="Eagles", jersey_number=7)

The join chain is built by ``Schema([...])``; without one it is built on
first use from the loaded DbModel classes, and a clear error asks for a
Schema when a referenced table cannot be told apart.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple
from weakref import WeakKeyDictionary

from lythonic.state._errors import AltKeyError, UserScopeError
from lythonic.state._model import DbModel, provide_alt_keys
from lythonic.state._sqlite import execute_sql, quote_ident

if TYPE_CHECKING:
    from lythonic.state._fields import FieldInfo
    from lythonic.state.user import UserContext

__all__ = ["AltKey", "AltKeyField", "JoinStep"]

_BASE = "_t"

# AltKey per model: installed by Schema, or built lazily by AltKey.for_model.
_INSTALLED: WeakKeyDictionary[type, AltKey] = WeakKeyDictionary()


class AltKeyField(NamedTuple):
    """One component of an alternative key; ``foreign_key`` is (table, field) or None."""

    name: str
    foreign_key: tuple[str, str] | None


class JoinStep(NamedTuple):
    """One JOIN: ``source_alias.local_field = alias.remote_field`` on ``remote_table``.

    ``leaf_columns`` are the remote table's own (non-FK) AK columns.
    """

    source_alias: str
    local_field: str
    remote_table: str
    remote_field: str
    alias: str
    leaf_columns: list[str]


def _all_models() -> Iterator[type[DbModel[Any]]]:
    seen: set[type] = set()
    stack: list[type[DbModel[Any]]] = [DbModel]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in seen:
                seen.add(sub)
                stack.append(sub)
                if sub.__pydantic_generic_metadata__["origin"] is None:
                    yield sub


def _find_model(table: str, near: type[DbModel[Any]]) -> type[DbModel[Any]]:
    """The loaded model named ``table``; one in ``near``'s module wins a tie."""
    candidates = [m for m in _all_models() if m.get_table_name() == table]
    local = [m for m in candidates if m.__module__ == near.__module__]
    pick = local or candidates
    if len(pick) == 1:
        return pick[0]
    found = "no loaded DbModel has" if not pick else f"{len(pick)} loaded DbModel classes have"
    raise AltKeyError(
        f"{near.get_table_name()}: its alternative key references table {table!r}, and {found} "
        f"that name; build Schema([...]) with the tables involved before resolving keys"
    )


def _scope_user_id(user_ctx: UserContext | None, scoped: list[str]) -> int | None:
    """The user id to filter user-owned tables by, checking a context was given for them."""
    if not scoped:
        return None
    from lythonic.state.user import _user_id_of  # user models load when first needed

    if user_ctx is None:
        raise UserScopeError(
            f"alternative key lookup reads user-owned table(s) {', '.join(scoped)}: pass user_ctx="
        )
    return _user_id_of(user_ctx, scoped[0])


class AltKey:
    """A model's alternative key, with its precomputed JOIN chain through foreign keys."""

    model_cls: type[DbModel[Any]]
    fields: list[AltKeyField]

    def __init__(self, model_cls: type[DbModel[Any]], fields: list[AltKeyField]) -> None:
        self.model_cls = model_cls
        self.fields = fields
        self._join_chain: list[JoinStep] = []
        self._local_ak_columns = [f.name for f in fields if f.foreign_key is None]
        self._table_map: dict[str, type[DbModel[Any]]] = {}
        self._chain_built = not any(f.foreign_key for f in fields)

    @classmethod
    def from_model(cls, model_cls: type[DbModel[Any]]) -> AltKey | None:
        """A fresh AltKey from the ``(AK)`` fields (no chain yet), or None without any."""
        fields = [
            AltKeyField(fi.name, fi.foreign_key) for fi in model_cls.get_field_infos() if fi.alt_key
        ]
        return cls(model_cls, fields) if fields else None

    @classmethod
    def for_model(cls, model_cls: type[DbModel[Any]]) -> AltKey | None:
        """The AltKey a Schema installed for ``model_cls``, else one built now from loaded models."""
        ak = _INSTALLED.get(model_cls)
        if ak is not None:
            return ak
        ak = cls.from_model(model_cls)
        if ak is None:
            return None
        if not ak._chain_built:
            table_map = {model_cls.get_table_name(): model_cls}
            pending = [model_cls]
            while pending:
                model = pending.pop()
                for fi in model.get_field_infos(
                    lambda fi: fi.alt_key and fi.foreign_key is not None
                ):
                    table = fi.foreign_key[0]  # type: ignore[index]
                    if table not in table_map:
                        table_map[table] = _find_model(table, model)
                        pending.append(table_map[table])
            ak.build_chain(table_map)
        ak.install()
        return ak

    def install(self) -> None:
        """Make this the AltKey ``model_cls`` uses (Schema does this for each table)."""
        _INSTALLED[self.model_cls] = self

    def build_chain(self, table_map: dict[str, type[DbModel[Any]]]) -> None:
        """Walk the AK foreign keys depth first; joins are aliased ``_j1``, ``_j2``, ..."""
        self._table_map = table_map
        self._join_chain = []
        owner = self.model_cls.get_table_name()

        def walk(fields: list[AltKeyField], source_alias: str, path: tuple[str, ...]) -> None:
            for f in fields:
                if f.foreign_key is None:
                    continue
                table, remote_field = f.foreign_key
                if table in path:
                    raise AltKeyError(
                        f"{owner}: alternative keys form a cycle through {' -> '.join((*path, table))}"
                    )
                if table not in table_map:
                    raise AltKeyError(
                        f"{owner}.{f.name}: FK references {table!r} which is not in schema"
                    )
                ref = AltKey.from_model(table_map[table])
                if ref is None:
                    raise AltKeyError(
                        f"{owner}.{f.name}: FK references {table!r} which has no alternative key"
                    )
                alias = f"_j{len(self._join_chain) + 1}"
                leaves = [rf.name for rf in ref.fields if rf.foreign_key is None]
                self._join_chain.append(
                    JoinStep(source_alias, f.name, table, remote_field, alias, leaves)
                )
                walk(ref.fields, alias, (*path, table))

        walk(self.fields, _BASE, (owner,))
        self._chain_built = True

    def get_leaf_ak_names(self) -> list[str]:
        """The keyword names ``resolve`` takes: join leaves in chain order, then local ones."""
        names = [col for step in self._join_chain for col in step.leaf_columns]
        return names + self._local_ak_columns

    # -- SQL --------------------------------------------------------------------

    def _leaves(self) -> list[tuple[str, str, FieldInfo]]:
        """(alias, column, field info) of every leaf, in ``get_leaf_ak_names`` order."""
        leaves: list[tuple[str, str, FieldInfo]] = []
        for step in self._join_chain:
            fmap = self._table_map[step.remote_table].get_field_map()
            leaves.extend((step.alias, col, fmap[col]) for col in step.leaf_columns)
        fmap = self.model_cls.get_field_map()
        leaves.extend((_BASE, col, fmap[col]) for col in self._local_ak_columns)
        names = [name for _, name, _ in leaves]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise AltKeyError(
                f"{self.model_cls.get_table_name()}: leaf key name(s) {', '.join(duplicates)} occur in "
                "more than one table of the alternative key, so they cannot be told apart; rename one"
            )
        return leaves

    def _from_joins(self, user_ctx: UserContext | None) -> tuple[str, list[str], list[Any]]:
        """FROM ... JOIN ... text, plus the user-scope clauses and their args."""
        if not self._chain_built:
            raise AltKeyError(
                f"{self.model_cls.get_table_name()}: the alternative key goes through foreign keys; "
                "call build_chain() or build Schema([...]) first"
            )
        q = quote_ident
        sql = f"FROM {q(self.model_cls.get_table_name())} {_BASE}"
        tables = [(_BASE, self.model_cls)]
        for s in self._join_chain:
            sql += (
                f" JOIN {q(s.remote_table)} {s.alias}"
                f" ON {s.source_alias}.{q(s.local_field)} = {s.alias}.{q(s.remote_field)}"
            )
            tables.append((s.alias, self._table_map[s.remote_table]))
        scoped = [(alias, m) for alias, m in tables if m._user_scope_column]
        user_id = _scope_user_id(user_ctx, [m.get_table_name() for _, m in scoped])
        clauses = [f"{alias}.{q(m._user_scope_column or '')} = ?" for alias, m in scoped]
        return sql, clauses, [user_id] * len(scoped)

    def resolve(
        self, conn: sqlite3.Connection, *, user_ctx: UserContext | None = None, **ak_values: Any
    ) -> int | None:
        """The PK of the row whose leaf AK values are ``ak_values``, or None."""
        from_sql, clauses, args = self._from_joins(user_ctx)
        leaves = self._leaves()
        table = self.model_cls.get_table_name()
        ak_values = self._unalias(ak_values)
        unknown = set(ak_values) - {name for _, name, _ in leaves}
        if unknown:
            raise AltKeyError(
                f"{table}: unknown alternative key name(s) {', '.join(sorted(unknown))}; "
                f"expected {', '.join(self.get_leaf_ak_names())}"
            )
        where: list[str] = []
        values: list[Any] = []
        for alias, name, fi in leaves:
            if name not in ak_values:
                raise AltKeyError(f"{table}: missing AK value for {name!r}")
            where.append(f"{alias}.{quote_ident(name)} = ?")
            values.append(fi.ktype.db.map_to(ak_values[name]))
        pk = self.model_cls._ensure_pk("alternative key lookup")
        cursor = conn.cursor()
        execute_sql(
            cursor,
            f"SELECT {_BASE}.{quote_ident(pk.name)} {from_sql} WHERE {' AND '.join(where + clauses)}",
            values + args,
        )
        row = cursor.fetchone()
        return None if row is None else pk.from_sql_value(row[0])

    def _unalias(self, ak_values: dict[str, Any]) -> dict[str, Any]:
        """Accept an FK field's name for its referenced key when that key has one leaf.

        That is the key ``to_ak_dict`` uses, so its output resolves back as is.
        """
        values = dict(ak_values)
        for f in self.fields:
            if f.foreign_key is None or f.name not in values:
                continue
            if self._leaf_count(f.foreign_key[0]) != 1:
                continue
            leaf = self._single_leaf_name(f.foreign_key[0])
            if leaf in values:
                raise AltKeyError(
                    f"{self.model_cls.get_table_name()}: give {f.name!r} or {leaf!r}, not both"
                )
            values[leaf] = values.pop(f.name)
        return values

    def to_ak_dict(
        self, conn: sqlite3.Connection, record: DbModel[Any], *, user_ctx: UserContext | None = None
    ) -> dict[str, Any]:
        """``record``'s key: FK parts become the referenced key (a scalar when it has one leaf)."""
        return self.to_ak_dicts(conn, [record], user_ctx=user_ctx)[0]

    def to_ak_dicts(
        self,
        conn: sqlite3.Connection,
        records: Sequence[DbModel[Any]],
        *,
        user_ctx: UserContext | None = None,
    ) -> list[dict[str, Any]]:
        """``to_ak_dict`` for many records, in one query."""
        if not records:
            return []
        from_sql, clauses, args = self._from_joins(user_ctx)
        leaves = self._leaves()
        pk = self.model_cls._ensure_pk("alternative key lookup")
        q = quote_ident
        selected = ", ".join(f"{alias}.{q(name)}" for alias, name, _ in leaves)
        pks = [pk.to_sql_value(r) for r in records]
        where = [f"{_BASE}.{q(pk.name)} IN ({', '.join('?' * len(pks))})", *clauses]
        cursor = conn.cursor()
        execute_sql(
            cursor,
            f"SELECT {_BASE}.{q(pk.name)}, {selected} {from_sql} WHERE {' AND '.join(where)}",
            pks + args,
        )
        rows = {row[0]: row[1:] for row in cursor.fetchall()}
        result: list[dict[str, Any]] = []
        for key in pks:
            if key not in rows:
                raise AltKeyError(
                    f"{self.model_cls.get_table_name()}: no row with {pk.name}={key!r}"
                )
            values = iter(
                fi.from_sql_value(v) for (_, _, fi), v in zip(leaves, rows[key], strict=True)
            )
            out = {
                f.name: self._nest(f.foreign_key[0], values) for f in self.fields if f.foreign_key
            }
            out.update((name, next(values)) for name in self._local_ak_columns)
            result.append(out)
        return result

    def _nest(self, table: str, values: Iterator[Any]) -> Any:
        """Consume the leaves of ``table``'s key from ``values``, in chain order."""
        ref = AltKey.from_model(self._table_map[table])
        assert ref is not None  # build_chain checked every referenced table has an AK
        if self._leaf_count(table) == 1:
            return next(values)
        nested: dict[str, Any] = {name: next(values) for name in ref._local_ak_columns}
        for f in ref.fields:
            if f.foreign_key is None:
                continue
            child = self._nest(f.foreign_key[0], values)
            if isinstance(child, dict):
                nested.update(child)
            else:
                nested[self._single_leaf_name(f.foreign_key[0])] = child
        return nested

    def _leaf_count(self, table: str) -> int:
        ref = AltKey.from_model(self._table_map[table])
        assert ref is not None
        return len(ref._local_ak_columns) + sum(
            self._leaf_count(f.foreign_key[0]) for f in ref.fields if f.foreign_key
        )

    def _single_leaf_name(self, table: str) -> str:
        ref = AltKey.from_model(self._table_map[table])
        assert ref is not None
        if ref._local_ak_columns:
            return ref._local_ak_columns[0]
        fk = next(f.foreign_key for f in ref.fields if f.foreign_key)
        return self._single_leaf_name(fk[0])


provide_alt_keys(AltKey.for_model)
