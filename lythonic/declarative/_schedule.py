"""Checks of cron expressions and time zones, with the scheduler's own parser."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime

from lythonic.compose._cron import CronError, CronSchedule
from lythonic.declarative._diagnostics import did_you_mean

__all__ = ["cron_problem", "timezone_problem"]


def cron_problem(expr: str) -> str | None:
    """Why ``expr`` is not a usable schedule, or None."""
    try:
        schedule = CronSchedule(expr)
    except CronError as e:
        return str(e)
    if schedule.next_after(datetime(2000, 1, 1, tzinfo=UTC)) is None:
        return f"cron '{expr}' never fires (it names a date that does not exist)"
    return None


# Files of the zone database that are not zones to recommend: `localtime` is
# whatever zone this machine is in (another machine reads it differently).
_NOT_SUGGESTED = frozenset({"localtime", "posixrules", "Factory"})


def timezone_problem(name: str) -> tuple[str, str | None] | None:
    """``(message, hint)`` when ``name`` is not an IANA time zone, or None."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return (
            f"unknown time zone '{name}' (use an IANA name like Europe/Berlin)",
            did_you_mean(name, zoneinfo.available_timezones() - _NOT_SUGGESTED),
        )
    return None
