"""A monthly sales report: load the month's sales, compute the statistics in a
nested DAG (run once, as a ``call``), render them as Markdown.

Declared in ``report.yaml`` (and in the top-level ``lyth.yaml``). The
statistics sub-DAG exists twice on purpose: as ``sales_stats`` in YAML and as
the ``@dag_factory`` ``sales_stats`` below, which YAML can reference too.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel

from lythonic.compose.namespace import Dag, dag_factory

SALES = Path(__file__).with_name("samples") / "sales.csv"


class Sale(BaseModel):
    """One line of the sales ledger."""

    day: str
    product: str
    units: int
    price: float


class MonthSales(BaseModel):
    """The sales of one month (``YYYY-MM``)."""

    month: str
    sales: list[Sale]


class MonthRevenue(BaseModel):
    """Revenue per product of one month, largest first."""

    month: str
    by_product: dict[str, float]


class Stats(BaseModel):
    """What the report shows."""

    month: str
    revenue: float
    best_product: str
    by_product: dict[str, float]


def load_sales(month: str) -> MonthSales:
    """The sales of ``month`` (``YYYY-MM``) from the bundled ledger."""
    with SALES.open(newline="") as f:
        rows = [Sale.model_validate(row) for row in csv.DictReader(f)]
    sales = [s for s in rows if s.day.startswith(month)]
    if not sales:
        raise ValueError(f"no sales recorded for month {month!r}")
    return MonthSales(month=month, sales=sales)


def revenue_by_product(sales: MonthSales) -> MonthRevenue:
    """Revenue per product, largest first."""
    revenue: dict[str, float] = {}
    for s in sales.sales:
        revenue[s.product] = round(revenue.get(s.product, 0.0) + s.units * s.price, 2)
    ranked = dict(sorted(revenue.items(), key=lambda kv: -kv[1]))
    return MonthRevenue(month=sales.month, by_product=ranked)


def summarize(revenue: MonthRevenue) -> Stats:
    """Total revenue and the best-selling product."""
    by_product = revenue.by_product
    best = max(by_product, key=by_product.__getitem__)
    return Stats(
        month=revenue.month,
        revenue=round(sum(by_product.values()), 2),
        best_product=best,
        by_product=by_product,
    )


def month_title(month: str) -> str:
    """``"2024-04"`` as ``"Sales, April 2024"``.

    >>> month_title("2024-04")
    'Sales, April 2024'
    """
    return "Sales, " + datetime.strptime(month, "%Y-%m").strftime("%B %Y")


def render(stats: Stats, title: str | None = None) -> str:
    """The report as Markdown; the title names the month the sales are of."""
    lines = [
        f"# {title or month_title(stats.month)}",
        "",
        f"Revenue: {stats.revenue:.2f}",
        f"Best seller: {stats.best_product}",
    ]
    lines += ["", "| product | revenue |", "|---|---:|"]
    lines += [f"| {p} | {r:.2f} |" for p, r in stats.by_product.items()]
    return "\n".join(lines) + "\n"


@dag_factory
def sales_stats() -> Dag:
    """revenue_by_product >> summarize, built in Python."""
    dag = Dag()
    dag.node(revenue_by_product) >> dag.node(summarize)
    return dag
