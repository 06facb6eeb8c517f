"""Cron schedules in IANA timezones: DST-correct fire times, 5/6 fields, errors."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lythonic._cron import CronError, CronSchedule

BERLIN = ZoneInfo("Europe/Berlin")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def local(ts: list[datetime], tz: ZoneInfo = BERLIN) -> list[str]:
    return [t.astimezone(tz).isoformat() for t in ts]


# Europe/Berlin 2024: spring forward 31 March 02:00 CET -> 03:00 CEST (01:00 UTC);
# fall back 27 October 03:00 CEST -> 02:00 CET (01:00 UTC).


def test_fixed_time_fires_once_on_fall_back_day() -> None:
    """`30 2 * * *` in Berlin fires once on the fall-back day, at the first 02:30."""
    s = CronSchedule("30 2 * * *", "Europe/Berlin")
    ticks = s.ticks(utc(2024, 10, 26, 0), utc(2024, 10, 28, 12))
    assert local(ticks) == [
        "2024-10-26T02:30:00+02:00",
        "2024-10-27T02:30:00+02:00",
        "2024-10-28T02:30:00+01:00",
    ]


def test_fixed_time_fires_at_gap_end_on_spring_forward_day() -> None:
    """`30 2 * * *` in Berlin fires once at 03:00 on the spring-forward day; the day is not skipped."""
    s = CronSchedule("30 2 * * *", "Europe/Berlin")
    ticks = s.ticks(utc(2024, 3, 30, 0), utc(2024, 4, 1, 12))
    assert local(ticks) == [
        "2024-03-30T02:30:00+01:00",
        "2024-03-31T03:00:00+02:00",
        "2024-04-01T02:30:00+02:00",
    ]
    assert ticks[1] == utc(2024, 3, 31, 1, 0)


def test_hourly_fires_at_both_0200_instants_on_fall_back() -> None:
    """`0 * * * *` in Berlin fires at 02:00 CEST and again at 02:00 CET, an hour apart."""
    s = CronSchedule("0 * * * *", "Europe/Berlin")
    ticks = s.ticks(utc(2024, 10, 26, 22, 30), utc(2024, 10, 27, 2, 30))
    assert local(ticks) == [
        "2024-10-27T01:00:00+02:00",
        "2024-10-27T02:00:00+02:00",
        "2024-10-27T02:00:00+01:00",
        "2024-10-27T03:00:00+01:00",
    ]
    assert [b - a for a, b in itertools.pairwise(ticks)] == [timedelta(hours=1)] * 3


def test_hourly_has_no_0200_on_spring_forward() -> None:
    """`0 * * * *` in Berlin goes from 01:00 CET straight to 03:00 CEST on the spring-forward day."""
    s = CronSchedule("0 * * * *", "Europe/Berlin")
    ticks = s.ticks(utc(2024, 3, 30, 23, 30), utc(2024, 3, 31, 2, 30))
    assert local(ticks) == [
        "2024-03-31T01:00:00+01:00",
        "2024-03-31T03:00:00+02:00",
        "2024-03-31T04:00:00+02:00",
    ]


def test_repeated_quarter_hours_fire_twice_for_interval_schedules() -> None:
    """`*/30 * * * *` fires at each repeated half hour of the fall-back night, in UTC order."""
    s = CronSchedule("*/30 * * * *", "Europe/Berlin")
    ticks = s.ticks(utc(2024, 10, 26, 23, 45), utc(2024, 10, 27, 1, 45))
    assert local(ticks) == [
        "2024-10-27T02:00:00+02:00",
        "2024-10-27T02:30:00+02:00",
        "2024-10-27T02:00:00+01:00",
        "2024-10-27T02:30:00+01:00",
    ]


def test_half_hour_dst_shift_of_lord_howe() -> None:
    """A zone shifting by 30 minutes works too: 02:15 in the Lord Howe gap fires at 02:30."""
    tz = ZoneInfo("Australia/Lord_Howe")  # 6 Oct 2024: 02:00 +10:30 -> 02:30 +11:00
    s = CronSchedule("15 2 * * *", "Australia/Lord_Howe")
    ticks = s.ticks(utc(2024, 10, 4, 0), utc(2024, 10, 7, 0))
    assert local(ticks, tz) == [
        "2024-10-05T02:15:00+10:30",
        "2024-10-06T02:30:00+11:00",
        "2024-10-07T02:15:00+11:00",
    ]


def test_default_timezone_is_utc() -> None:
    """Without a timezone the wall clock is UTC: `30 2 * * *` fires at 02:30Z every day."""
    s = CronSchedule("30 2 * * *")
    assert s.timezone == "UTC"
    assert s.ticks(utc(2024, 10, 26), utc(2024, 10, 29)) == [
        utc(2024, 10, 26, 2, 30),
        utc(2024, 10, 27, 2, 30),
        utc(2024, 10, 28, 2, 30),
    ]


def test_six_fields_put_seconds_first() -> None:
    """A 6-field cron is `second minute hour day month weekday`."""
    s = CronSchedule("*/20 * * * * *")
    assert s.ticks(utc(2024, 1, 1), utc(2024, 1, 1, 0, 1)) == [
        utc(2024, 1, 1, 0, 0, 20),
        utc(2024, 1, 1, 0, 0, 40),
        utc(2024, 1, 1, 0, 1, 0),
    ]
    assert CronSchedule("30 0 12 * * *").next_after(utc(2024, 1, 1)) == utc(2024, 1, 1, 12, 0, 30)


def test_every_second_follows_real_time_across_fall_back() -> None:
    """An every-second schedule fires once per real second through the repeated hour."""
    s = CronSchedule("* * * * * *", "Europe/Berlin")
    ticks = s.ticks(utc(2024, 10, 27, 0, 0), utc(2024, 10, 27, 2, 0))
    assert len(ticks) == 7200
    assert ticks == sorted(set(ticks))


def test_next_after_is_strictly_after() -> None:
    """A fire time equal to `t` is not returned; fractional seconds round up to the next tick."""
    s = CronSchedule("0 * * * *")
    assert s.next_after(utc(2024, 1, 1, 5)) == utc(2024, 1, 1, 6)
    every = CronSchedule("* * * * * *")
    assert every.next_after(datetime(2024, 1, 1, 0, 0, 0, 500_000, tzinfo=UTC)) == utc(
        2024, 1, 1, 0, 0, 1
    )


def test_macros() -> None:
    """`@hourly` and `@daily` mean `0 * * * *` and `0 0 * * *`."""
    assert CronSchedule("@hourly").next_after(utc(2024, 1, 1, 5, 1)) == utc(2024, 1, 1, 6)
    assert CronSchedule("@daily").next_after(utc(2024, 1, 1, 5)) == utc(2024, 1, 2)


def test_cron_that_never_fires() -> None:
    """A cron with no possible date (30 February) has no next fire time."""
    assert CronSchedule("0 0 30 2 *").next_after(utc(2024, 1, 1)) is None


def test_last_ticks_picks_the_most_recent() -> None:
    """`last_ticks` gives the last n ticks of a range, oldest first, even after a long gap."""
    s = CronSchedule("* * * * * *")
    hi = utc(2024, 6, 1, 12)
    assert s.last_ticks(utc(2024, 1, 1), hi, 3) == [
        hi - timedelta(seconds=2),
        hi - timedelta(seconds=1),
        hi,
    ]
    daily = CronSchedule("0 6 * * *")
    assert daily.last_ticks(utc(2024, 1, 1), utc(2024, 1, 3, 12), 5) == [
        utc(2024, 1, 1, 6),
        utc(2024, 1, 2, 6),
        utc(2024, 1, 3, 6),
    ]


@pytest.mark.parametrize(
    ("expr", "words"),
    [
        ("* * * *", "has 4 fields"),
        ("* * * * * * *", "has 7 fields"),
        ("61 * * * *", "61 is out of range in the minute field '61' (it takes 0-59)"),
        ("* 24 * * *", "24 is out of range in the hour field"),
        ("*/0 * * * *", "the minute field '*/0' has a step of 0"),
        ("@every 5s", "unknown macro '@every'"),
        ("a b c d e", "invalid cron"),
    ],
)
def test_bad_cron_is_a_clear_error(expr: str, words: str) -> None:
    """A malformed cron raises CronError naming the expression and the problem."""
    with pytest.raises(CronError, match=re.escape(words)):
        CronSchedule(expr)


def test_unknown_timezone_is_a_clear_error() -> None:
    """An unknown timezone raises CronError suggesting an IANA name."""
    with pytest.raises(CronError, match=r"unknown timezone 'Europe/Berlinn'.*IANA"):
        CronSchedule("0 * * * *", "Europe/Berlinn")


def test_naive_datetime_is_refused() -> None:
    """next_after needs an aware datetime instead of guessing a zone."""
    with pytest.raises(ValueError, match="naive"):
        CronSchedule("0 * * * *").next_after(datetime(2024, 1, 1))
