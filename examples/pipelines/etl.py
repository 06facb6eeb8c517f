"""An ETL job: extract a batch of orders from a flaky source (retried), route it to
the parser for its format (a switch), clean the rows and total them per region.

Declared in ``etl.yaml`` (and in the top-level ``lyth.yaml``).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from pydantic import BaseModel

from lythonic.compose.namespace import DagContext, inline

DATA = Path(__file__).with_name("samples")

# Rates to EUR; a real job would fetch them.
RATES_TO_EUR = {"EUR": 1.0, "USD": 0.92, "GBP": 1.17, "JPY": 0.0061, "AUD": 0.61}


class RawBatch(BaseModel):
    """What the source returned, before parsing."""

    source: str
    format: str
    text: str


class Order(BaseModel):
    """One order, as every format is parsed into."""

    order_id: str
    region: str
    amount: float
    currency: str


class SourceUnavailable(ConnectionError):
    """The source did not answer this time; a retry may succeed."""


def extract(ctx: DagContext, source: str, fail_first: int = 0) -> RawBatch:
    """Read ``source`` (a path; relative ones are under the bundled samples directory).

    ``fail_first`` makes the first attempts fail, as a flaky network source
    would: with ``retries`` set on the step, the run still succeeds.
    """
    if ctx.attempt <= fail_first:
        raise SourceUnavailable(f"{source}: connection reset (attempt {ctx.attempt})")
    path = Path(source)
    if not path.is_absolute():
        path = DATA / path
    return RawBatch(source=source, format=path.suffix.lstrip("."), text=path.read_text())


@inline
def detect(batch: RawBatch) -> tuple[str, str]:
    """``(format, text)``: the switch routes on the first item."""
    return batch.format, batch.text


def parse_csv(text: str) -> list[Order]:
    """Orders from CSV with a header row."""
    return [Order.model_validate(row) for row in csv.DictReader(io.StringIO(text))]


def parse_json(text: str) -> list[Order]:
    """Orders from a JSON array of objects."""
    return [Order.model_validate(item) for item in json.loads(text)]


def clean(orders: list[Order]) -> list[Order]:
    """Drop orders without a positive amount; upper-case currency codes."""
    return [o.model_copy(update={"currency": o.currency.upper()}) for o in orders if o.amount > 0]


def totals_by_region(orders: list[Order]) -> dict[str, float]:
    """Revenue per region in EUR, rounded to cents."""
    totals: dict[str, float] = {}
    for o in orders:
        eur = o.amount * RATES_TO_EUR[o.currency]
        totals[o.region] = round(totals.get(o.region, 0.0) + eur, 2)
    return dict(sorted(totals.items()))
