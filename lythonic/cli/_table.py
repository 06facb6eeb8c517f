"""Plain-text tables and times for the read commands (``lyth status``, ``lyth runs``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

__all__ = ["age_text", "local_text", "seconds_text", "table", "utc_text"]


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Columns padded to their widest cell; ``None`` shows as ``-``; no trailing spaces.

    >>> print(table(["A", "B"], [["x", None], ["long", 2]]))
    A     B
    x     -
    long  2
    """
    cells = [[("-" if v is None else str(v)) for v in row] for row in [headers, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    return "\n".join(lines)


def utc_text(when: datetime | None) -> str | None:
    """``2024-05-01 10:00:00`` (UTC), or None."""
    if when is None:
        return None
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def local_text(when: datetime | None, zone: str | None = None) -> str | None:
    """The time in this machine's zone (or in ``zone``), with the zone's abbreviation."""
    if when is None:
        return None
    if zone:
        from zoneinfo import ZoneInfo

        local = when.astimezone(ZoneInfo(zone))
    else:
        local = when.astimezone()
    return local.strftime("%Y-%m-%d %H:%M:%S %Z").rstrip()


def seconds_text(seconds: float | None) -> str | None:
    """``0.12s``, ``42s``, ``3m05s``, ``2h01m``."""
    if seconds is None:
        return None
    if seconds < 10:
        return f"{seconds:.2f}s"
    whole = int(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


def age_text(since: datetime, now: datetime | None = None) -> str:
    """How long ago ``since`` was, e.g. ``3m05s``."""
    now = now or datetime.now(UTC)
    return seconds_text(max(0.0, (now - since).total_seconds())) or "0s"
