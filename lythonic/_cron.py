"""Cron schedules evaluated in an IANA timezone, correct across DST changes.

croniter matches wall-clock times; this module turns the matches into UTC
instants. Two kinds of schedule behave differently when the clocks change:

- **fixed-time** schedules (the hour field does not start with ``*``, e.g.
  ``30 2 * * *``) run once per matching wall-clock time: on the fall-back day
  a repeated 02:30 fires at its first occurrence only; on the spring-forward
  day a 02:30 that does not exist fires at the end of the gap (03:00), so the
  day is not skipped.
- **interval** schedules (hour field ``*`` or ``*/n``, e.g. ``0 * * * *``)
  follow the clock on the wall: both 02:00 instants fire on the fall-back day
  and the missing 02:00 does not fire on the spring-forward day.

Five fields are ``minute hour day month weekday``; six put **seconds first**.
``@hourly``, ``@daily``, ``@midnight``, ``@weekly``, ``@monthly``,
``@yearly`` and ``@annually`` are accepted too.

>>> from datetime import datetime, UTC
>>> s = CronSchedule("30 2 * * *", "Europe/Berlin")
>>> s.next_after(datetime(2024, 3, 30, 12, 0, tzinfo=UTC)).isoformat()
'2024-03-31T01:00:00+00:00'
"""

from __future__ import annotations

import re
from collections import deque
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadDateError, CroniterError, croniter

from lythonic._public import publish

__all__ = ["CronError", "CronSchedule", "resolve_timezone"]

_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}

_MEMO_SIZE = 4096
_memo: dict[tuple[tuple[str, str], datetime], datetime | None] = {}

_DAY = timedelta(days=1)
_TINY = timedelta(microseconds=1)
# A schedule walks from one UTC-offset segment to the next; a handful of steps
# is enough for any real zone, the bound only stops a runaway loop.
_MAX_SEGMENT_STEPS = 64


class CronError(ValueError):
    """A cron expression or timezone that cannot be used."""


def resolve_timezone(name: str | None) -> tzinfo:
    """The ``tzinfo`` for an IANA name (``None`` or ``"UTC"`` is UTC).

    >>> resolve_timezone("Europe/Berlin")
    zoneinfo.ZoneInfo(key='Europe/Berlin')
    """
    if name is None or name in ("UTC", "Etc/UTC", "Z"):
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as e:
        raise CronError(
            f"unknown timezone {name!r}: use an IANA name such as 'UTC' or 'Europe/Berlin'"
        ) from e


# The fields of a 5-field expression (a 6-field one starts with the second), and
# the numbers each allows.
_FIELD_RANGES = (
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day-of-month", 1, 31),
    ("month", 1, 12),
    ("day-of-week", 0, 7),
)
_SECOND = ("second", 0, 59)
_NUMBER = re.compile(r"\d+")


def _fields(expr: str) -> list[str]:
    text = expr.strip()
    if text.startswith("@"):
        word = text.split()[0].lower()
        if word not in _MACROS:
            raise CronError(
                f"cron {expr!r}: unknown macro '{text.split()[0]}'; use @yearly, @monthly, "
                "@weekly, @daily, @hourly, or 5 fields (minute hour day month weekday)"
            )
        text = _MACROS[word] if text.lower() == word else text
    fields = text.split()
    if len(fields) not in (5, 6):
        raise CronError(
            f"cron {expr!r} has {len(fields)} fields; use 5 (minute hour day month weekday) "
            "or 6 (second minute hour day month weekday)"
        )
    named = (_SECOND, *_FIELD_RANGES) if len(fields) == 6 else _FIELD_RANGES
    for value, (name, low, high) in zip(fields, named, strict=True):
        _check_field(expr, value, name, low, high)
    return fields


def _check_field(expr: str, value: str, name: str, low: int, high: int) -> None:
    """Name the field whose number is out of range, or whose step is 0."""
    for part in value.split(","):
        body, _, step = part.partition("/")
        if step and step.isdigit() and int(step) == 0:
            raise CronError(f"cron {expr!r}: the {name} field '{value}' has a step of 0")
        for number in _NUMBER.findall(body):
            if not low <= int(number) <= high:
                raise CronError(
                    f"cron {expr!r}: {number} is out of range in the {name} field '{value}' "
                    f"(it takes {low}-{high})"
                )


class CronSchedule:
    """A cron expression in a timezone; computes UTC fire times.

    ``next_after(t)`` is the first fire time strictly after ``t``;
    ``ticks(lo, hi)`` and ``last_ticks(lo, hi, n)`` list fire times in
    ``(lo, hi]``. All datetimes given must be timezone-aware; results are UTC.
    """

    __slots__ = ("_iter", "_key", "expr", "fixed_time", "timezone", "tz")

    def __init__(self, expr: str, timezone: str | None = None) -> None:
        fields = _fields(expr)
        self.expr = expr
        self.timezone = timezone or "UTC"
        self.tz = resolve_timezone(timezone)
        hour = fields[2] if len(fields) == 6 else fields[1]
        self.fixed_time = not hour.startswith("*")
        text = " ".join(fields)
        self._key = (text, self.timezone)
        try:
            self._iter = croniter(
                text,
                datetime(2000, 1, 1, tzinfo=UTC),
                ret_type=datetime,
                second_at_beginning=len(fields) == 6,
            )
        except (CroniterError, ValueError, KeyError) as e:
            raise CronError(f"invalid cron {expr!r}: {e}") from e

    def __repr__(self) -> str:
        return f"CronSchedule({self.expr!r}, {self.timezone!r})"

    # -- wall clock <-> UTC -------------------------------------------------

    def _offset(self, t: datetime) -> timedelta:
        off = t.astimezone(self.tz).utcoffset()
        return off if off is not None else timedelta(0)

    def _match(self, wall: datetime, strict: bool) -> datetime | None:
        """The first matching wall time after (``strict``) or at ``wall`` (naive)."""
        base = wall if strict else wall - _TINY
        it = self._iter
        it.set_current(base.replace(tzinfo=UTC), force=True)
        try:
            nxt: datetime = it.get_next(datetime)
        except CroniterBadDateError:
            return None
        return nxt.replace(tzinfo=None)

    def _first_change(self, s: datetime, e: datetime, off: timedelta) -> datetime | None:
        """The first instant in ``(s, e]`` whose UTC offset is not ``off``, or None."""
        if e - s <= _DAY and self._offset(e) == off:
            return None  # no zone changes its offset twice within a day
        lo, p = s, min(s + _DAY, e)
        while self._offset(p) == off:
            if p >= e:
                return None
            lo, p = p, min(p + _DAY, e)
        # Offsets change on whole seconds: bisect the epoch seconds of (lo, p].
        lo_s, hi_s = int(lo.timestamp()), int(p.timestamp())
        if datetime.fromtimestamp(hi_s, UTC) < p:
            hi_s += 1
        while hi_s - lo_s > 1:
            mid = (lo_s + hi_s) // 2
            if self._offset(datetime.fromtimestamp(mid, UTC)) == off:
                lo_s = mid
            else:
                hi_s = mid
        return datetime.fromtimestamp(hi_s, UTC)

    def _is_repeat(self, wall: datetime, off: timedelta) -> bool:
        """Whether ``wall`` at offset ``off`` is the second occurrence of that wall time."""
        first = wall.replace(tzinfo=self.tz, fold=0).utcoffset()
        return first is not None and first != off

    # -- public ---------------------------------------------------------------

    def next_after(self, t: datetime) -> datetime | None:
        """The first fire time strictly after ``t`` (UTC), or None if it never fires."""
        if t.tzinfo is None:
            raise ValueError(f"naive datetime {t!r}: give a timezone-aware one")
        s = t.astimezone(UTC)
        # Many triggers share a cron (and tick together): compute each answer once.
        key = (self._key, s)
        if key in _memo:
            return _memo[key]
        if len(_memo) >= _MEMO_SIZE:
            _memo.clear()
        found = _memo[key] = self._next_after(s)
        return found

    def _next_after(self, s: datetime) -> datetime | None:
        if self.tz is UTC:
            c = self._match(s.replace(tzinfo=None), True)
            return None if c is None else c.replace(tzinfo=UTC)
        t = s
        strict = True
        for _ in range(_MAX_SEGMENT_STEPS):
            off = self._offset(s)
            wall = (s + off).replace(tzinfo=None)
            c = self._match(wall, strict)
            if c is None:
                return None
            inst = (c - off).replace(tzinfo=UTC)
            change = self._first_change(s, inst, off)
            if change is None:
                if self.fixed_time and self._is_repeat(c, off):
                    s, strict = inst, True  # fired at the first occurrence already
                    continue
                return inst
            new_off = self._offset(change)
            if self.fixed_time and new_off > off and c < (change + new_off).replace(tzinfo=None):
                return change  # the wall time falls in the spring-forward gap
            s, strict = change, False
        raise CronError(f"cron {self.expr!r} in {self.timezone}: no fire time found after {t}")

    def ticks(self, lo: datetime, hi: datetime, *, limit: int | None = None) -> list[datetime]:
        """Fire times in ``(lo, hi]``, oldest first; at most ``limit`` (the oldest)."""
        out: list[datetime] = []
        t = self.next_after(lo)
        while t is not None and t <= hi and (limit is None or len(out) < limit):
            out.append(t)
            t = self.next_after(t)
        return out

    def last_ticks(self, lo: datetime, hi: datetime, n: int) -> list[datetime]:
        """The last ``n`` fire times in ``(lo, hi]``, oldest first.

        Looks back from ``hi`` in doubling windows, so a dense schedule after a
        long gap costs about ``2n`` steps, not one per missed tick.
        """
        if n <= 0 or hi <= lo:
            return []
        span = timedelta(seconds=1)
        while True:
            start = max(lo, hi - span)
            kept: deque[datetime] = deque(maxlen=n)
            t = self.next_after(start)
            while t is not None and t <= hi:
                kept.append(t)
                t = self.next_after(t)
            if len(kept) >= n or start <= lo:
                return list(kept)
            span *= 2


publish("lythonic.compose.trigger", CronSchedule)
