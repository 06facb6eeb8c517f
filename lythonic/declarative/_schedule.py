"""Checks of cron expressions and time zones, with the scheduler's own parser."""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, datetime

from lythonic._cron import CronError, CronSchedule
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


_ABBREVIATION = re.compile(r"^[A-Z]{2,6}$")
_OFFSET = re.compile(r"^(?:UTC|GMT|Z)?\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)
_IANA_EXAMPLE = "an IANA name such as Europe/Berlin or America/New_York"


def timezone_problem(name: str) -> tuple[str, str | None] | None:
    """``(message, hint)`` when ``name`` is not an IANA time zone, or None.

    Abbreviations (``CEST``) and offsets (``UTC+2``) are not zones: they get a
    message saying so, never a look-alike suggestion (``CEST`` is not ``EST``).
    """
    if _is_zone(name):
        return None
    offset = _OFFSET.match(name.strip())
    if offset is not None:
        sign, hours, minutes = offset.groups()
        fixed = None
        if not minutes or int(minutes) == 0:
            # The Etc/GMT zones count the other way: Etc/GMT-2 is two hours ahead of UTC.
            fixed = f"Etc/GMT{'-' if sign == '+' else '+'}{int(hours)}"
        return (
            f"'{name}' is a fixed UTC offset, not a time zone; use {_IANA_EXAMPLE}, which "
            "follows daylight saving",
            f"for a fixed offset all year, {fixed} (the signs of Etc/GMT zones are inverted)"
            if fixed and _is_zone(fixed)
            else None,
        )
    if _ABBREVIATION.match(name):
        return (
            f"'{name}' is an abbreviation, not a time zone (abbreviations are ambiguous and "
            f"do not say when daylight saving starts); use {_IANA_EXAMPLE}",
            None,
        )
    if len(name) > 64 or not name.strip():
        return (f"{name[:64]!r} is not a time zone name; use {_IANA_EXAMPLE}", None)
    return (
        f"unknown time zone '{name}' (use {_IANA_EXAMPLE})",
        did_you_mean(name, zoneinfo.available_timezones() - _NOT_SUGGESTED),
    )


def _is_zone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long
        return False
    return True
