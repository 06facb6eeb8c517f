"""A SQLite cache in front of namespace callables, with TTLs in days.

Declare a node with ``NsCacheConfig(min_ttl=..., max_ttl=...)`` and mount the
namespace with a ``cache_db``; the node's callable is then wrapped:

- younger than ``min_ttl``: the cached value is returned;
- between ``min_ttl`` and ``max_ttl``: refreshed with a probability growing
  linearly from 0 to 1 (``random.random() < p`` refreshes); a refresh that
  fails is logged and the cached value returned;
- older than ``max_ttl``, or missing: the function is called and its result
  cached; its exceptions propagate.

``CacheRefreshPushback(days, namespace_prefix=None)`` raised by the function
suppresses probabilistic refreshes of that node (or of every node under the
prefix) for ``days``; past ``max_ttl`` a suppressed entry raises
``CacheRefreshSuppressed``. A miss always calls the function.

The key is every parameter (defaults applied; positional and keyword calls
give the same key). Concurrent misses on one key call the function once;
the others wait and share its result. ``invalidate(node, **key)`` deletes
entries. Values are stored as typed JSON and come back as the declared return
type (a tuple stays a tuple, a pydantic model a model). See docs/cache.md.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import random
import threading
import time
import typing
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lythonic._codec import decode, encode
from lythonic._events import event
from lythonic._public import publish
from lythonic._refs import GlobalRef
from lythonic.compose.cache._store import (
    CacheTable,
    CacheTableConflict,
    pushback_check,
    pushback_set,
)
from lythonic.compose.nodes import Method, NsCacheConfig

if TYPE_CHECKING:
    import sqlite3

    from lythonic.compose.nodes import NamespaceNode

__all__ = [
    "DAYS_TO_SECONDS",
    "CacheOutlook",
    "CacheProhibitDirectCall",
    "CacheRefreshPushback",
    "CacheRefreshSuppressed",
    "CacheTableConflict",
    "cache_table_name",
    "generate_cache_table_ddl",
    "invalidate",
    "mount_cached_node",
    "register_cached_callable",
    "table_name_from_path",
]

log = logging.getLogger("lythonic.compose.cached")

DAYS_TO_SECONDS = 86400.0

_in_cache_wrapper: ContextVar[bool] = ContextVar("_in_cache_wrapper", default=False)
_UNRECORDED = '"__lyth__":"unrecorded"'


class CacheProhibitDirectCall(Exception):
    """A function that must only run through its cache wrapper was called directly.

    Call ``CacheProhibitDirectCall.require()`` at the top of such a function.
    """

    @staticmethod
    def require() -> None:
        """Raise unless running inside a cache wrapper."""
        if not _in_cache_wrapper.get():
            raise CacheProhibitDirectCall("Method must be called through cache wrapper")


class CacheRefreshPushback(Exception):
    """Raise from a cached function to suppress refreshes for ``days``.

    Covers the raising node, or every node under ``namespace_prefix``
    (``"api"`` covers ``api.x`` and ``api.y:z``, not ``apis``).
    """

    def __init__(self, days: float, namespace_prefix: str | None = None) -> None:
        super().__init__(f"Cache refresh pushback for {days} days")
        self.days = days
        self.namespace_prefix = namespace_prefix


class CacheRefreshSuppressed(Exception):
    """An entry is past ``max_ttl`` but a pushback forbids refreshing it."""

    def __init__(self, namespace_path: str, suppressed_until: float) -> None:
        super().__init__(f"Cache refresh suppressed for {namespace_path} until {suppressed_until}")
        self.namespace_path = namespace_path
        self.suppressed_until = suppressed_until


def _pushback_set(conn: sqlite3.Connection, namespace_prefix: str, suppressed_until: float) -> None:
    """Replace the (single) pushback row and commit."""
    pushback_set(conn, namespace_prefix, suppressed_until)
    conn.commit()


def _pushback_check(conn: sqlite3.Connection, namespace_path: str) -> float | None:
    """``suppressed_until`` when a live pushback covers ``namespace_path``, else None.

    Upstream's helper: it also deletes expired rows, on the caller's connection
    and in the caller's transaction (the cache itself only reads here).
    """
    now = time.time()
    conn.execute("DELETE FROM _pushback WHERE suppressed_until <= ?", (now,))
    return pushback_check(conn, namespace_path, now)


def table_name_from_path(path: str) -> str:
    """``"market.fetch_prices"`` -> ``"market__fetch_prices"``."""
    return path.replace(".", "__")


def cache_table_name(nsref: str) -> str:
    """The table of the cache node ``nsref``: ``"market:prices"`` -> ``"market__prices"``."""
    return table_name_from_path(nsref.replace(":", "__"))


def generate_cache_table_ddl(table_name: str, method: Method) -> str:
    """``CREATE TABLE IF NOT EXISTS`` for a cache of ``method`` (identifiers quoted)."""
    return CacheTable(table_name, [(a.name, a.annotation) for a in method.args]).ddl()


class _Flights:
    """Calls in flight per key: one caller computes, the others wait (threads)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[Any, list[Any]] = {}

    def busy(self, key: Any) -> bool:
        return key in self._locks

    @contextmanager
    def hold(self, key: Any) -> Iterator[None]:
        with self._guard:
            entry = self._locks.setdefault(key, [threading.Lock(), 0])
            entry[1] += 1
        try:
            with entry[0]:
                yield
        finally:
            with self._guard:
                entry[1] -= 1
                if entry[1] == 0:
                    del self._locks[key]


class _AsyncFlights(_Flights):
    """``_Flights`` for coroutines on one event loop."""

    @asynccontextmanager
    async def ahold(self, key: Any) -> AsyncIterator[None]:
        entry = self._locks.setdefault(key, [asyncio.Lock(), 0])
        entry[1] += 1
        try:
            async with entry[0]:
                yield
        finally:
            entry[1] -= 1
            if entry[1] == 0:
                del self._locks[key]


HIT, REFRESH, MISS = range(3)


@dataclass(frozen=True, slots=True)
class CacheOutlook:
    """What a cached step's wrapper would do with one call now, told without calling
    the function or drawing the refresh lot (``lyth plan``).

    ``state``: ``hit`` (younger than ``min_ttl``, or refreshes pushed back),
    ``refresh`` (between the TTLs: refreshed with probability ``p``, else a hit),
    ``miss`` (no entry for these arguments), ``expired`` (older than ``max_ttl``)
    or ``suppressed`` (expired while refreshes are pushed back: the call raises
    ``CacheRefreshSuppressed``). Ages and TTLs in days.
    """

    state: str
    age: float | None
    min_ttl: float
    max_ttl: float
    p: float = 0.0

    def reason(self) -> str:
        """One line for people: ``cache age 0.2 d < min_ttl 0.5 d``."""
        age = f"cache age {self.age:.2g} d" if self.age is not None else ""
        if self.state == "hit" and self.age is not None and self.age >= self.min_ttl:
            return f"{age} ≥ min_ttl {self.min_ttl:g} d, but refreshes are pushed back"
        return {
            "hit": f"{age} < min_ttl {self.min_ttl:g} d",
            "refresh": f"{age} between min_ttl {self.min_ttl:g} d and max_ttl "
            f"{self.max_ttl:g} d: refreshed with probability {self.p:.2f}, else a cache hit",
            "miss": "nothing cached for these arguments",
            "expired": f"{age} ≥ max_ttl {self.max_ttl:g} d: called again",
            "suppressed": f"{age} ≥ max_ttl {self.max_ttl:g} d and refreshes are pushed "
            "back: the step fails (CacheRefreshSuppressed)",
        }[self.state]


class _Cache:
    """What the sync and async wrappers of one node share."""

    def __init__(
        self,
        method: Method,
        table: CacheTable,
        db_path: Path,
        min_ttl_s: float,
        max_ttl_s: float,
        namespace_path: str,
        clock: Callable[[], float],
    ) -> None:
        self.fn = method.o
        self.signature = inspect.signature(method.o)
        self.return_type = _return_type(method)
        self.table = table
        self.db_path = db_path
        self.min_s, self.max_s = min_ttl_s, max_ttl_s
        self.path = namespace_path
        self.clock = clock

    def bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        bound = self.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return dict(bound.arguments)

    def decide(self, key: tuple[Any, ...]) -> tuple[int, str | None, float]:
        """(HIT | REFRESH | MISS, cached JSON, now); raises CacheRefreshSuppressed."""
        row = self.table.lookup(self.db_path, key)
        now = self.clock()
        if row is None:
            return MISS, None, now
        text, fetched_at = row
        age = now - fetched_at
        if age < self.min_s:
            return HIT, text, now
        if age < self.max_s:
            p = (age - self.min_s) / (self.max_s - self.min_s)
            if random.random() >= p:
                return HIT, text, now
            if self.table.pushback_check(self.db_path, self.path, now) is not None:
                return HIT, text, now
            return REFRESH, text, now
        until = self.table.pushback_check(self.db_path, self.path, now)
        if until is not None:
            raise CacheRefreshSuppressed(self.path, until)
        return MISS, None, now

    def outlook(self, **kwargs: Any) -> CacheOutlook | None:
        """What a call with ``kwargs`` would do now (``CacheOutlook``); None when
        they do not bind to the function's parameters."""
        try:
            key = self.table.key(self.bind((), kwargs))
        except (TypeError, KeyError, ValueError):
            return None
        row = self.table.lookup(self.db_path, key)
        min_d, max_d = self.min_s / DAYS_TO_SECONDS, self.max_s / DAYS_TO_SECONDS
        if row is None:
            return CacheOutlook("miss", None, min_d, max_d)
        now = self.clock()
        age = now - row[1]
        days = age / DAYS_TO_SECONDS
        if age < self.min_s:
            return CacheOutlook("hit", days, min_d, max_d)
        pushed_back = self.table.pushback_check(self.db_path, self.path, now) is not None
        if age < self.max_s:
            if pushed_back:
                return CacheOutlook("hit", days, min_d, max_d)
            p = (age - self.min_s) / (self.max_s - self.min_s)
            return CacheOutlook("refresh", days, min_d, max_d, p)
        return CacheOutlook("suppressed" if pushed_back else "expired", days, min_d, max_d)

    def filled_since(self, key: tuple[Any, ...], since: float) -> str | None:
        """The cached JSON if another caller stored it after ``since`` (single flight)."""
        row = self.table.lookup(self.db_path, key)
        return row[0] if row is not None and row[1] >= since else None

    def load(self, text: str) -> Any:
        return decode(text, self.return_type)

    def save(self, key: tuple[Any, ...], value: Any) -> None:
        text = encode(value)
        if _UNRECORDED in text:
            log.warning(
                "%s: result of type %s is not storable as JSON; not cached",
                self.path,
                type(value).__name__,
                extra=event("cache_not_storable", node=self.path, type=type(value).__name__),
            )
            return
        self.table.store(self.db_path, key, text, self.clock())

    def pushback(self, e: CacheRefreshPushback) -> None:
        until = self.clock() + e.days * DAYS_TO_SECONDS
        self.table.pushback_set(self.db_path, e.namespace_prefix or self.path, until)

    def refresh_failed(self, e: Exception) -> None:
        log.warning(
            "%s: refreshing a cached value failed; returning the cached one (%s: %s)",
            self.path,
            type(e).__name__,
            e,
            exc_info=(type(e), e, e.__traceback__),
            extra=event("cache_refresh_failed", node=self.path, error=f"{type(e).__name__}: {e}"),
        )

    def invalidate(self, *args: Any, **kwargs: Any) -> int:
        """Delete the entries matching the arguments given (all without any); how many."""
        bound = self.signature.bind_partial(*args, **kwargs)
        return self.table.delete(self.db_path, bound.arguments)


def _sync_wrapper(c: _Cache) -> Callable[..., Any]:
    flights = _Flights()

    def call(arguments: dict[str, Any]) -> Any:
        token = _in_cache_wrapper.set(True)
        try:
            return c.fn(**arguments)
        finally:
            _in_cache_wrapper.reset(token)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        arguments = c.bind(args, kwargs)
        key = c.table.key(arguments)
        kind, text, now = c.decide(key)
        if kind == HIT:
            return c.load(text)  # type: ignore[arg-type]
        if kind == REFRESH:
            if flights.busy(key):  # someone is refreshing it already
                return c.load(text)  # type: ignore[arg-type]
            with flights.hold(key):
                try:
                    result = call(arguments)
                    c.save(key, result)
                    return result
                except CacheRefreshPushback as e:
                    c.pushback(e)
                except Exception as e:
                    c.refresh_failed(e)
                return c.load(text)  # type: ignore[arg-type]
        with flights.hold(key):
            filled = c.filled_since(key, now)
            if filled is not None:
                return c.load(filled)
            result = call(arguments)
            c.save(key, result)
            return result

    return wrapper


def _async_wrapper(c: _Cache) -> Callable[..., Any]:
    flights = _AsyncFlights()

    async def call(arguments: dict[str, Any]) -> Any:
        token = _in_cache_wrapper.set(True)
        try:
            return await c.fn(**arguments)
        finally:
            _in_cache_wrapper.reset(token)

    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        arguments = c.bind(args, kwargs)
        key = c.table.key(arguments)
        # SQLite calls go to a worker thread: the event loop never waits on the disk.
        kind, text, now = await asyncio.to_thread(c.decide, key)
        if kind == HIT:
            return c.load(text)  # type: ignore[arg-type]
        if kind == REFRESH:
            if flights.busy(key):
                return c.load(text)  # type: ignore[arg-type]
            async with flights.ahold(key):
                try:
                    result = await call(arguments)
                    await asyncio.to_thread(c.save, key, result)
                    return result
                except CacheRefreshPushback as e:
                    await asyncio.to_thread(c.pushback, e)
                except Exception as e:
                    c.refresh_failed(e)
                return c.load(text)  # type: ignore[arg-type]
        async with flights.ahold(key):
            filled = await asyncio.to_thread(c.filled_since, key, now)
            if filled is not None:
                return c.load(filled)
            result = await call(arguments)
            await asyncio.to_thread(c.save, key, result)
            return result

    return wrapper


def _return_type(method: Method) -> Any:
    try:
        return typing.get_type_hints(method.o).get("return")
    except Exception:
        return method.return_annotation


def mount_cached_node(
    node: NamespaceNode, db_path: Path, *, clock: Callable[[], float] = time.time
) -> None:
    """Wrap ``node``'s callable with its cache (table created in ``db_path``).

    ``node.config`` must be an ``NsCacheConfig``; every parameter must be a
    simple type (int, float, bool, str, date, datetime, Path, NsRef, Enum …).
    The wrapper gets ``invalidate(*args, **kwargs)``. Raises
    ``CacheTableConflict`` when another node already owns the table name in
    ``db_path`` (``a.b:c`` and ``a:b.c`` both map to ``a__b__c``).
    """
    config = node.config
    if not isinstance(config, NsCacheConfig):
        raise TypeError(f"Expected NsCacheConfig, got {type(config).__name__}")
    method = node.method
    nsref = str(node.nsref)
    method.validate_simple_type_args()
    table = CacheTable(
        cache_table_name(nsref),
        [(a.name, a.annotation) for a in method.args],
    )
    db_path = Path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    table.create(db_path, owner=nsref)
    cache = _Cache(
        method,
        table,
        db_path,
        config.min_ttl * DAYS_TO_SECONDS,
        config.max_ttl * DAYS_TO_SECONDS,
        nsref.replace(":", "."),
        clock,
    )
    build = _async_wrapper if inspect.iscoroutinefunction(method.o) else _sync_wrapper
    wrapper: Any = build(cache)
    wrapper.__name__ = getattr(method.o, "__name__", "cached")
    wrapper.__doc__ = getattr(method.o, "__doc__", None)
    wrapper.__wrapped__ = method.o
    wrapper.invalidate = cache.invalidate
    wrapper.outlook = cache.outlook
    node._decorated = wrapper


def invalidate(node: NamespaceNode, *args: Any, **kwargs: Any) -> int:
    """Delete ``node``'s cache entries matching the arguments (all without any).

    ``invalidate(ns.get("market:prices"), ticker="AAPL")`` drops that ticker's entry
    and returns 1.
    """
    wrapper = node._decorated
    drop = getattr(wrapper, "invalidate", None)
    if drop is None:
        raise ValueError(
            f"'{node.nsref}' has no cache mounted (mount the namespace with a cache_db)"
        )
    return int(drop(*args, **kwargs))


def register_cached_callable(
    ns: Any,
    *,
    gref: str | GlobalRef,
    nsref: str | None = None,
    min_ttl: float,
    max_ttl: float,
    db_path: Path,
    clock: Callable[[], float] = time.time,
) -> NamespaceNode:
    """Register ``gref`` in ``ns`` with a cache config and mount its cache at once."""
    ref = GlobalRef(gref)
    config = NsCacheConfig(nsref=nsref or str(ref), gref=ref, min_ttl=min_ttl, max_ttl=max_ttl)
    node = ns.register(ref.get_instance(), nsref=str(config.nsref), config=config)
    mount_cached_node(node, db_path, clock=clock)
    return node


publish(
    "lythonic.compose.cached",
    CacheProhibitDirectCall,
    CacheRefreshPushback,
    CacheRefreshSuppressed,
    table_name_from_path,
    generate_cache_table_ddl,
    mount_cached_node,
    invalidate,
)
