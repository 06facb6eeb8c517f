"""Time zone and cron checks of lyth.yaml schedules."""

from __future__ import annotations

from lythonic.declarative._trigger_checks import timezone_problem


def test_a_misspelt_zone_gets_a_suggestion() -> None:
    """A near miss of an IANA name is suggested."""
    assert timezone_problem("Europe/Berln") == (
        "unknown time zone 'Europe/Berln' (use an IANA name such as Europe/Berlin or "
        "America/New_York)",
        "did you mean 'Europe/Berlin'?",
    )


def test_localtime_is_never_suggested() -> None:
    """'localtime' (this machine's zone, not portable) is not offered as the fix."""
    for name in ("localtim", "Localtime1", "posixrule", "Factroy"):
        problem = timezone_problem(name)
        assert problem is not None
        assert problem[1] is None or all(
            bad not in problem[1] for bad in ("localtime", "posixrules", "Factory")
        ), problem


def test_abbreviations_and_offsets_are_not_zones_and_get_no_look_alike() -> None:
    """CEST is not EST and UTC+2 is not UTC: they are told apart from zones, with an
    IANA example, and an offset learns its fixed Etc/GMT zone (signs inverted)."""
    message, hint = timezone_problem("CEST") or ("", None)
    assert "'CEST' is an abbreviation, not a time zone" in message and "Europe/Berlin" in message
    assert hint is None
    message, hint = timezone_problem("UTC+2") or ("", None)
    assert "'UTC+2' is a fixed UTC offset, not a time zone" in message
    assert hint is not None and "Etc/GMT-2" in hint and "inverted" in hint
    assert "Etc/GMT+5" in (timezone_problem("GMT-5") or ("", ""))[1]


def test_names_no_zone_database_can_hold_are_refused_without_crashing() -> None:
    """A name far too long for a file name, or empty, is one clear problem."""
    assert "is not a time zone name" in (timezone_problem("Europe/" * 300) or ("",))[0]
    assert timezone_problem("") is not None
