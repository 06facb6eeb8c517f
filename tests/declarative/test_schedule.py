"""Time zone and cron checks of lyth.yaml schedules."""

from __future__ import annotations

from lythonic.declarative._schedule import timezone_problem


def test_a_misspelt_zone_gets_a_suggestion() -> None:
    """A near miss of an IANA name is suggested."""
    assert timezone_problem("Europe/Berln") == (
        "unknown time zone 'Europe/Berln' (use an IANA name like Europe/Berlin)",
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
