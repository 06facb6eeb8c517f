"""Functions, factories and fragments the compose tests register by reference."""

from __future__ import annotations

from typing import Any

from lythonic.compose.namespace import (
    Dag,
    DagContext,
    NamespaceFragment,
    dag_factory,
    mount_required,
    mountable,
    nsnode,
    require_cache,
)


def fetch(ticker: str, limit: int = 10) -> dict[str, Any]:
    """Fetch some data."""
    return {"ticker": ticker, "limit": limit}


def summarize(data: dict[str, Any]) -> str:
    return f"{data['ticker']}:{data['limit']}"


def scaled(ctx: DagContext, value: float) -> float:
    """A DAG-aware function."""
    return value * 2


@require_cache
def expensive(ticker: str) -> float:
    return 1.0


@mount_required
def needs_mount() -> None:
    """Only meaningful in a mounted namespace."""


@mountable
def likes_mount() -> None:
    """Behaves differently when mounted."""


@dag_factory
def pipeline() -> Dag:
    dag = Dag()
    dag.node(fetch) >> dag.node(summarize)
    return dag


class Market(NamespaceFragment):
    """A class fragment: marked methods register under one prefix."""

    def __init__(self, currency: str = "USD") -> None:
        self.currency = currency

    @nsnode(tags=["prices"])
    def price(self, ticker: str) -> str:
        return f"{ticker} in {self.currency}"

    @require_cache
    @nsnode()
    def history(self, ticker: str) -> list[float]:
        return [1.0, 2.0]

    @dag_factory
    def report(self) -> Dag:
        dag = Dag()
        dag.node(fetch)
        return dag

    def helper(self) -> str:
        """Not marked: not registered."""
        return "no"


class NotAFragment:
    pass


@nsnode(tags=["module"])
def module_level_node(x: int) -> int:
    return x + 1


class TenantContext(DagContext):
    """A DagContext subclass with a field of its own."""

    tenant: str = "default"


def tenant_scaled(ctx: TenantContext, value: float) -> str:
    return f"{ctx.tenant}:{value * 2}"
