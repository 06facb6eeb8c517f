"""The SQLite cache: keys, TTLs, probabilistic refresh, pushback, single flight, invalidation."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from pydantic import BaseModel

from lythonic.compose import Method
from lythonic.compose.cache._cached import _pushback_check, _pushback_set
from lythonic.compose.cached import (
    DAYS_TO_SECONDS,
    CacheProhibitDirectCall,
    CacheRefreshPushback,
    CacheRefreshSuppressed,
    CacheTableConflict,
    generate_cache_table_ddl,
    invalidate,
    mount_cached_node,
    register_cached_callable,
    table_name_from_path,
)
from lythonic.compose.dag_runner import DagRunner
from lythonic.compose.engine import StorageConfig
from lythonic.compose.namespace import Dag, Namespace, NsCacheConfig

calls: Counter[str] = Counter()
behaviour: dict[str, Any] = {}


@pytest.fixture(autouse=True)
def _reset() -> None:
    calls.clear()
    behaviour.clear()


class Clock:
    def __init__(self) -> None:
        self.t = 1_700_000_000.0

    def __call__(self) -> float:
        return self.t

    def days(self, n: float) -> None:
        self.t += n * DAYS_TO_SECONDS


def fetch(ticker: str, limit: int = 10) -> dict[str, Any]:
    calls["fetch"] += 1
    error = behaviour.get("raise")
    if error is not None:
        raise error
    return {"ticker": ticker, "limit": limit, "n": calls["fetch"]}


async def afetch(ticker: str) -> dict[str, Any]:
    calls["afetch"] += 1
    await asyncio.sleep(0.05)
    return {"ticker": ticker, "n": calls["afetch"]}


def slow_fetch(ticker: str) -> int:
    calls["slow_fetch"] += 1
    time.sleep(0.1)
    return calls["slow_fetch"]


class Quote(BaseModel):
    ticker: str
    price: float


def quote(ticker: str) -> Quote:
    calls["quote"] += 1
    return Quote(ticker=ticker, price=1.5)


def span(day: date) -> tuple[int, int]:
    calls["span"] += 1
    return (day.month, day.day)


def everything() -> list[int]:
    calls["everything"] += 1
    return [calls["everything"]]


class Conn:
    """Not storable as JSON."""


def connect(name: str) -> Conn:
    calls["connect"] += 1
    return Conn()


def guarded(ticker: str) -> dict[str, float]:
    CacheProhibitDirectCall.require()
    return {"price": 100.0}


def _mount(
    fn: Any,
    tmp_path: Path,
    clock: Clock,
    *,
    nsref: str = "market:fetch",
    min_ttl: float = 1,
    max_ttl: float = 2,
) -> Any:
    ns = Namespace()
    config = NsCacheConfig(nsref=nsref, min_ttl=min_ttl, max_ttl=max_ttl)
    node = ns.register(fn, nsref=nsref, config=config)
    mount_cached_node(node, tmp_path / "cache.db", clock=clock)
    return node


# -- tables ---------------------------------------------------------------------------


def test_table_names_and_quoted_ddl():
    """Table names replace dots; the DDL quotes every identifier and keys on all params."""
    assert table_name_from_path("market.fetch_prices") == "market__fetch_prices"
    ddl = generate_cache_table_ddl("market__fetch", Method(fetch))
    assert ddl.startswith('CREATE TABLE IF NOT EXISTS "market__fetch" (')
    assert '"ticker" TEXT NOT NULL' in ddl and '"limit" INTEGER NOT NULL' in ddl
    assert "value_json TEXT NOT NULL" in ddl and "fetched_at REAL NOT NULL" in ddl
    assert 'PRIMARY KEY ("ticker", "limit")' in ddl


def test_two_nodes_that_map_to_one_table_are_refused_at_mount(tmp_path: Path):
    """`a.b:c` and `a:b.c` both name table a__b__c: the second mount fails and says why."""
    first = _mount(fetch, tmp_path, Clock(), nsref="a.b:c")
    again = _mount(fetch, tmp_path, Clock(), nsref="a.b:c")  # the same node: fine
    with pytest.raises(CacheTableConflict) as info:
        _mount(span, tmp_path, Clock(), nsref="a:b.c")
    message = str(info.value)
    assert "'a:b.c'" in message and "'a.b:c'" in message and "'a__b__c'" in message
    assert first("A") == again("A") and calls["fetch"] == 1
    with pytest.raises(CacheTableConflict, match="keeps for itself"):
        _mount(fetch, tmp_path, Clock(), nsref="_pushback")


def test_a_parameter_named_limit_works(tmp_path: Path):
    """A parameter whose name is an SQL keyword is a working cache key."""
    node = _mount(fetch, tmp_path, Clock())
    assert node("AAPL", limit=5)["limit"] == 5
    assert node("AAPL", limit=5)["n"] == 1
    assert calls["fetch"] == 1


def test_positional_keyword_and_default_arguments_share_one_key(tmp_path: Path):
    """f("A"), f(ticker="A") and f("A", 10) are the same call: the function runs once."""
    node = _mount(fetch, tmp_path, Clock())
    first = node("A")
    assert node(ticker="A") == first and node("A", 10) == first and node("A", limit=10) == first
    assert calls["fetch"] == 1
    assert node("A", 11)["n"] == 2


def test_non_simple_parameter_types_are_refused_at_mount(tmp_path: Path):
    """A parameter that cannot be a key column (a dict) is a mount-time error."""

    def bad(options: dict) -> int:  # type: ignore[type-arg]
        return 1

    with pytest.raises(ValueError, match="options"):
        _mount(bad, tmp_path, Clock())


# -- TTLs -------------------------------------------------------------------------------


def test_fresh_hit_then_refetch_past_max_ttl(tmp_path: Path):
    """Younger than min_ttl: cached; older than max_ttl: called again."""
    clock = Clock()
    node = _mount(fetch, tmp_path, clock)
    assert node("A")["n"] == 1
    clock.days(0.9)
    assert node("A")["n"] == 1
    clock.days(1.2)  # 2.1 days old
    assert node("A")["n"] == 2


@pytest.mark.parametrize(("draw", "refreshed"), [(0.2, True), (0.8, False)])
def test_probabilistic_refresh_between_ttls(tmp_path: Path, draw: float, refreshed: bool):
    """At age 1.5 days (min 1, max 2) p = 0.5: a draw below p refreshes, above returns stale."""
    clock = Clock()
    node = _mount(fetch, tmp_path, clock)
    node("A")
    clock.days(1.5)
    with mock.patch("lythonic.compose.cached.random.random", return_value=draw):
        assert node("A")["n"] == (2 if refreshed else 1)


class _Records(logging.Handler):
    """Keeps the records of one logger, before any other handler formats them."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[tuple[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        # Copied now: handlers further up may clear exc_info once they rendered it.
        self.records.append((record.getMessage(), record.exc_info))


def test_a_failed_refresh_returns_the_stale_value_and_is_logged(tmp_path: Path):
    """A refresh that raises returns the cached value and logs the error with its traceback."""
    clock = Clock()
    node = _mount(fetch, tmp_path, clock)
    node("A")
    clock.days(1.5)
    behaviour["raise"] = TimeoutError("upstream API slow")
    captured = _Records()
    logger = logging.getLogger("lythonic.compose.cached")
    logger.addHandler(captured)
    try:
        with mock.patch("lythonic.compose.cached.random.random", return_value=0.0):
            assert node("A")["n"] == 1
    finally:
        logger.removeHandler(captured)
    ((message, exc_info),) = captured.records
    assert "upstream API slow" in message
    assert exc_info is not None and exc_info[0] is TimeoutError
    clock.days(1)  # past max_ttl: the error propagates
    with pytest.raises(TimeoutError):
        node("A")


# -- pushback ------------------------------------------------------------------------


def test_pushback_suppresses_refreshes_then_raises_past_max_ttl(tmp_path: Path):
    """A pushback returns stale values while refresh is suppressed and raises past max_ttl;
    a miss still calls the function."""
    clock = Clock()
    node = _mount(fetch, tmp_path, clock, nsref="api.market:fetch", min_ttl=1, max_ttl=3)
    node("A")
    clock.days(2)
    behaviour["raise"] = CacheRefreshPushback(5, namespace_prefix="api")
    with mock.patch("lythonic.compose.cached.random.random", return_value=0.0):
        assert node("A")["n"] == 1  # pushed back: stale
        del behaviour["raise"]
        assert node("A")["n"] == 1  # suppressed: not even called
    assert calls["fetch"] == 2
    clock.days(2)  # 4 days old, pushback until day 7
    with pytest.raises(CacheRefreshSuppressed) as info:
        node("A")
    assert info.value.namespace_path == "api.market.fetch"
    assert node("B")["ticker"] == "B"  # a miss ignores the pushback
    clock.days(4)  # the pushback expired
    assert node("A")["n"] == 4


def test_every_cache_write_happens_inside_a_transaction(tmp_path: Path):
    """Storing, pushing back, expiring and invalidating never write in autocommit:
    each write statement runs between BEGIN IMMEDIATE and COMMIT, like every store."""
    from lythonic.compose.cache._store import thread_connection

    clock = Clock()
    node = _mount(fetch, tmp_path, clock, nsref="api.market:fetch", min_ttl=1, max_ttl=3)
    statements: list[str] = []
    conn = thread_connection(tmp_path / "cache.db")
    conn.set_trace_callback(statements.append)
    try:
        node("A")
        clock.days(2)
        behaviour["raise"] = CacheRefreshPushback(1, namespace_prefix="api")
        with mock.patch("lythonic.compose.cached.random.random", return_value=0.0):
            node("A")  # pushed back
            clock.days(2)  # the pushback expired: the check only reads
            del behaviour["raise"]
            node("A")
        invalidate(node, ticker="A")
    finally:
        conn.set_trace_callback(None)
    depth, outside = 0, []
    for sql in statements:
        word = sql.split(None, 1)[0].upper()
        if word == "BEGIN":
            depth += 1
        elif word in ("COMMIT", "ROLLBACK"):
            depth -= 1
        elif word in ("INSERT", "DELETE", "UPDATE", "REPLACE", "CREATE") and depth == 0:
            outside.append(sql)
    assert statements and outside == []


def test_pushback_prefix_matches_whole_segments(tmp_path: Path):
    """A pushback on "market" covers market and market.x, not marketplace.x; one row at a time."""
    conn = sqlite3.connect(tmp_path / "pb.db")
    conn.execute(
        "CREATE TABLE _pushback (namespace_prefix TEXT NOT NULL, suppressed_until REAL NOT NULL)"
    )
    until = time.time() + 60
    _pushback_set(conn, "market", until)
    assert _pushback_check(conn, "market") == until
    assert _pushback_check(conn, "market.fetch") == until
    assert _pushback_check(conn, "marketplace.fetch") is None
    _pushback_set(conn, "other", until)
    assert _pushback_check(conn, "market.fetch") is None
    _pushback_set(conn, "other", time.time() - 1)
    assert _pushback_check(conn, "other") is None
    assert conn.execute("SELECT count(*) FROM _pushback").fetchone()[0] == 0


# -- single flight ---------------------------------------------------------------------


async def test_concurrent_async_misses_call_the_function_once(tmp_path: Path):
    """Five coroutines missing on one key share one call."""
    node = _mount(afetch, tmp_path, Clock(), nsref="market:afetch")
    results = await asyncio.gather(*(node("A") for _ in range(5)))
    assert calls["afetch"] == 1
    assert all(r == {"ticker": "A", "n": 1} for r in results)
    await asyncio.gather(node("B"), node("C"))
    assert calls["afetch"] == 3  # different keys do not wait for each other


def test_concurrent_thread_misses_call_the_function_once(tmp_path: Path):
    """Five threads missing on one key share one call."""
    node = _mount(slow_fetch, tmp_path, Clock(), nsref="market:slow")
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(node("A"))) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls["slow_fetch"] == 1 and results == [1] * 5


# -- values, invalidation -------------------------------------------------------------------


def test_declared_return_types_survive_the_cache(tmp_path: Path):
    """A cached pydantic model comes back as the model, a tuple as a tuple."""
    q = _mount(quote, tmp_path, Clock(), nsref="market:quote")
    assert q("A") == q("A") == Quote(ticker="A", price=1.5)
    assert isinstance(q("A"), Quote) and calls["quote"] == 1
    s = _mount(span, tmp_path, Clock(), nsref="cal:span")
    assert s(date(2024, 3, 5)) == (3, 5)
    assert s(date(2024, 3, 5)) == (3, 5) and calls["span"] == 1


def test_zero_argument_function_keeps_one_entry(tmp_path: Path):
    """A function without parameters caches one value."""
    clock = Clock()
    node = _mount(everything, tmp_path, clock, nsref="all:everything")
    assert node() == [1] and node() == [1]
    clock.days(3)
    assert node() == [2]
    rows = sqlite3.connect(tmp_path / "cache.db").execute('SELECT count(*) FROM "all__everything"')
    assert rows.fetchone()[0] == 1


def test_unstorable_result_is_returned_but_not_cached(tmp_path: Path, caplog):
    """A result JSON cannot hold is returned every time and never cached."""
    node = _mount(connect, tmp_path, Clock(), nsref="db:connect")
    assert isinstance(node("x"), Conn) and isinstance(node("x"), Conn)
    assert calls["connect"] == 2
    assert "not cached" in caplog.text


def test_invalidate_drops_entries(tmp_path: Path):
    """invalidate(node, **key) drops matching entries; without arguments, all of them."""
    node = _mount(fetch, tmp_path, Clock())
    node("A"), node("A", 5), node("B")
    assert invalidate(node, "A") == 2
    assert node("A")["n"] == 4 and node("B")["n"] == 3
    assert invalidate(node) == 2
    assert node("B")["n"] == 5
    with pytest.raises(ValueError, match="no cache mounted"):
        invalidate(Namespace().register(fetch, nsref="x:fetch"))


# -- wiring ------------------------------------------------------------------------------


def test_direct_calls_can_be_prohibited(tmp_path: Path):
    """CacheProhibitDirectCall.require() passes inside the wrapper and raises outside."""
    with pytest.raises(CacheProhibitDirectCall, match="cache wrapper"):
        guarded("A")
    assert _mount(guarded, tmp_path, Clock(), nsref="market:guarded")("A") == {"price": 100.0}


async def _format_price(data: dict[str, float]) -> str:
    return f"price={data['price']}"


async def test_registered_dag_resolves_to_the_cached_callable(tmp_path: Path):
    """A DAG registered in the namespace runs the cache wrapper, not the raw function."""
    ns = Namespace()
    register_cached_callable(
        ns,
        gref="tests.compose.cache.test_cached:guarded",
        nsref="market:fetch",
        min_ttl=1.0,
        max_ttl=2.0,
        db_path=tmp_path / "cache.db",
    )
    ns.register(_format_price, nsref="market:format")
    dag = Dag()
    dag.node(ns.get("market:fetch")) >> dag.node(ns.get("market:format"))
    ns.register(dag, nsref="pipelines:prices")
    result = await DagRunner(dag).run(source_inputs={"fetch": {"ticker": "AAPL"}})
    assert result.status == "completed" and result.outputs == {"format": "price=100.0"}


def test_mount_wires_cache_nodes_from_storage_config(tmp_path: Path):
    """Namespace.mount(StorageConfig(cache_db=...)) wraps every cache node."""
    ns = Namespace()
    ns.register(
        fetch,
        nsref="market:fetch",
        config=NsCacheConfig(nsref="market:fetch", min_ttl=1, max_ttl=2),
    )
    ns.mount(StorageConfig(cache_db=tmp_path / "cache.db"))
    node = ns.get("market:fetch")
    assert node("A") == node("A") and calls["fetch"] == 1


def test_outlook_tells_what_a_call_would_do_without_calling(tmp_path: Path):
    """`outlook` (what `lyth plan` shows) reads the entry's age against the TTLs — miss,
    hit, refresh with its probability, expired, suppressed by a push-back — and never
    calls the function nor stores anything."""
    clock = Clock()
    node = _mount(fetch, tmp_path, clock)
    look = node._decorated.outlook
    assert look(ticker="A").state == "miss"
    assert look(ticker="A").reason() == "nothing cached for these arguments"
    node("A")
    n = calls["fetch"]
    seen = look(ticker="A", limit=10)  # the default applied: the same key
    assert (seen.state, seen.age) == ("hit", 0.0)
    clock.days(0.25)
    assert look(ticker="A").reason() == "cache age 0.25 d < min_ttl 1 d"
    clock.days(1.25)  # 1.5 days: between the TTLs, p = 0.5
    seen = look(ticker="A")
    assert seen.state == "refresh" and seen.p == pytest.approx(0.5)
    clock.days(1)  # 2.5 days
    assert look(ticker="A").state == "expired"
    with sqlite3.connect(tmp_path / "cache.db") as conn:
        _pushback_set(conn, "market", clock() + 86400)
    assert look(ticker="A").state == "suppressed"
    assert "the step fails" in look(ticker="A").reason()
    assert look(tick="A") is None  # arguments that do not bind
    assert calls["fetch"] == n  # nothing was called
