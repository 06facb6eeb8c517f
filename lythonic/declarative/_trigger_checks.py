"""Checks of ``triggers:``: cron expressions and time zones (with the scheduler's own
parser), and the keys and scheduler options of event triggers (``type: file``,
``type: webhook``).

A file trigger's directories must lie under the roots the deployment allows
(``LYTH_FILE_TRIGGER_ROOTS``, else the config's directory), so editing the
YAML cannot point the daemon at ``/etc``. Input templates may only name what
the trigger's kind provides (``{file.*}`` or ``{body.*}``/``{header.*}``).
"""

from __future__ import annotations

import os
import re
import zoneinfo
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lythonic._cron import CronError, CronSchedule
from lythonic.compose.schedule import TemplateError, is_whole_placeholder, placeholders
from lythonic.declarative._diagnostics import did_you_mean
from lythonic.declarative._triggers_model import FileTriggerSpec, WebhookTriggerSpec

if TYPE_CHECKING:
    from lythonic.declarative._build import Builder
    from lythonic.declarative._settings import LythSettings
    from lythonic.declarative._yaml import Path as YamlPath

__all__ = [
    "EVENT_QUEUE_CAP",
    "FILE_FIELDS",
    "check_event_trigger",
    "cron_problem",
    "event_source_options",
    "resolve_under_roots",
    "sample_inputs",
    "timezone_problem",
    "trigger_roots",
]


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


# -- event triggers -------------------------------------------------------------

EVENT_QUEUE_CAP = 10_000
"""Most events of one trigger waiting with ``overlap: queue``; later ones are skipped."""

FILE_FIELDS: dict[str, Any] = {
    "path": "/data/incoming/file.csv",
    "name": "file.csv",
    "stem": "file",
    "size": 0,
    "mtime": 0.0,
}
"""The ``{file.*}`` fields, each with a sample value of its type (for type checks)."""

_ROOTS = {"file": ("file",), "webhook": ("body", "header")}


def trigger_roots(settings: LythSettings | None, base_dir: Path) -> list[Path]:
    """The directories file triggers may use: the setting, else the config's directory."""
    roots = list(settings.file_trigger_roots) if settings is not None else []
    if not roots:
        return [base_dir.resolve()]
    return [(base_dir / r).resolve() if not r.is_absolute() else r.resolve() for r in roots]


def resolve_under_roots(path: str, base_dir: Path, roots: Iterable[Path]) -> Path | None:
    """``path`` (relative to ``base_dir``) made absolute, or None when outside every root."""
    p = Path(os.path.expanduser(path))
    full = (p if p.is_absolute() else base_dir / p).resolve()
    for root in roots:
        if full == root or full.is_relative_to(root):
            return full
    return None


def event_source_options(t: Any, base_dir: Path) -> dict[str, Any]:
    """What a trigger's event source needs to know, with directories made absolute."""
    if isinstance(t, FileTriggerSpec):

        def absolute(p: str) -> str:
            q = Path(os.path.expanduser(p))
            return str((q if q.is_absolute() else base_dir / q).resolve())

        return {
            "path": absolute(t.path),
            "pattern": t.pattern,
            "recursive": t.recursive,
            "stable_for": t.stable_for,
            "poll": t.poll,
            "identity": t.identity,
            "after": t.after,
            "move_to": absolute(t.move_to) if t.move_to is not None else None,
        }
    if isinstance(t, WebhookTriggerSpec):
        return {"auth": t.auth, "secret_env": t.secret_env, "dedupe_header": t.dedupe_header}
    return {}


def sample_inputs(kind: str, inputs: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """``inputs`` as their types will be known before any event: a whole ``{file.*}``
    placeholder becomes a sample of its type; other templated values (text, bodies,
    headers) are left out of type checks."""
    out: dict[str, dict[str, Any]] = {}
    for step, params in inputs.items():
        kept: dict[str, Any] = {}
        for param, value in params.items():
            if not isinstance(value, str) or ("{" not in value and "}" not in value):
                kept[param] = value
                continue
            whole = is_whole_placeholder(value)
            if whole is not None and kind == "file" and whole.startswith("file."):
                kept[param] = FILE_FIELDS.get(whole[5:])
            elif whole is None and kind == "file":
                kept[param] = "text"
        out[step] = kept
    return out


def _check_templates(b: Builder, kind: str, inputs: Any, path: YamlPath) -> bool:
    ok = True
    for step, params in inputs.items():
        for param, value in params.items():
            if not isinstance(value, str):
                continue
            where = (*path, "inputs", step, param)
            try:
                names = placeholders(value)
            except TemplateError as e:
                b.diag(where, str(e), "template")
                ok = False
                continue
            for name in names:
                root, _, rest = name.partition(".")
                allowed = _ROOTS[kind]
                if root not in allowed:
                    shown = ", ".join(f"{{{r}.…}}" for r in allowed)
                    b.diag(
                        where,
                        f"'{{{name}}}' is not something a {kind} trigger provides; use {shown}",
                        "template",
                    )
                    ok = False
                elif kind == "file" and rest not in FILE_FIELDS:
                    fields = ", ".join(f"{{file.{f}}}" for f in FILE_FIELDS)
                    b.diag(
                        where, f"'{{{name}}}' is not a file field; use one of {fields}", "template"
                    )
                    ok = False
                elif not rest:
                    b.diag(
                        where,
                        f"'{{{name}}}' names no field: write e.g. {{{root}.{'ref' if root == 'body' else 'x-request-id'}}}",
                        "template",
                    )
                    ok = False
    return ok


def check_event_trigger(b: Builder, name: str, t: Any, path: YamlPath) -> bool:
    """Check a file or webhook trigger's own keys; whether its inputs can be type-checked."""
    ok = _check_templates(b, t.type, t.inputs, path)
    if isinstance(t, FileTriggerSpec):
        roots = b.trigger_roots
        base = b.base_dir
        shown = os.pathsep.join(str(r) for r in roots)
        for key in ("path", "move_to"):
            value = getattr(t, key)
            if value is None:
                continue
            if resolve_under_roots(value, base, roots) is None:
                b.diag(
                    (*path, key),
                    f"trigger '{name}': {key} '{value}' is outside the directories file "
                    f"triggers may use ({shown})",
                    "file_root",
                    hint="move it under one of them, or add its directory to "
                    "LYTH_FILE_TRIGGER_ROOTS",
                )
        if t.after == "move" and t.move_to is None:
            b.diag(
                (*path, "after"),
                f"trigger '{name}' moves files after their runs but says not where",
                "move_to",
                hint="add `move_to: <directory>`",
            )
        elif t.move_to is not None and t.after != "move":
            b.diag(
                (*path, "move_to"),
                f"trigger '{name}' has move_to but `after: {t.after}`; it is never used",
                "move_to",
                severity="warning",
                hint="set `after: move` or remove move_to",
            )
    return ok
