"""The daemon's status record: a JSON file in the data directory that ``lyth status``
and ``lyth stop`` read.

The daemon rewrites it whenever something an operator asks about changes
(started, config reloaded or refused, stopping, stopped); each write goes to
a temporary file that is renamed over the old one, so a reader never sees
half a record. Trigger schedules and runs are not copied here: they are read
from the trigger and provenance stores, which are always current.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lythonic.declarative import Diagnostic

__all__ = [
    "STATUS_FILE",
    "DaemonStatus",
    "ReloadResult",
    "diag_text",
    "read_status",
    "write_status",
]

STATUS_FILE = "lyth.status.json"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def diag_text(d: dict[str, Any]) -> str:
    """A recorded diagnostic (``Diagnostic.as_dict()``) as ``file:line:col: message (hint)``."""
    where = f"{d['file']}:{d['line']}:{d['column']}" if d.get("line") else str(d.get("file"))
    hint = f" ({d['hint']})" if d.get("hint") else ""
    return f"{where}: {d['message']}{hint}"


@dataclass
class ReloadResult:
    """One attempt to apply a changed config (or changed modules).

    ``ok`` False keeps the previous config running; ``error`` is the first
    problem as ``file:line:col: message``, ``errors`` every one of them.
    """

    ok: bool
    cause: str
    """What started it: ``watch`` (the file changed), ``signal`` (SIGHUP) or ``modules``."""
    at: str = field(default_factory=_now)
    revision: str | None = None
    error: str | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @classmethod
    def failed(cls, cause: str, diagnostics: list[Diagnostic]) -> ReloadResult:
        errors = [d for d in diagnostics if d.severity == "error"] or diagnostics
        return cls(
            ok=False,
            cause=cause,
            error=str(errors[0]) if errors else "the config could not be loaded",
            errors=[d.as_dict() for d in errors],
        )


@dataclass
class DaemonStatus:
    """What ``lyth start`` writes to ``<data>/lyth.status.json``.

    ``state``: ``starting``, ``running``, ``stopping``, ``restarting`` (to
    load changed modules), ``stopped`` or ``killed`` (a second signal).
    ``exit`` says how the last run of the daemon ended, once it has.
    """

    pid: int
    started_at: str
    config: str
    data_dir: str
    state: str = "starting"
    revision: str | None = None
    watch: bool = False
    grace: float = 10.0
    log_file: str | None = None
    dags_db: str | None = None
    triggers_db: str | None = None
    restarts: int = 0
    triggers: list[str] = field(default_factory=list)
    """The triggers of the running config."""
    abandoned: dict[str, Any] = field(default_factory=dict)
    """Sync step calls the daemon gave up on (timed out, run cancelled) that still
    hold a thread: ``running`` (now), ``total`` (since start), ``by_step``
    (``dag/step`` -> running now), ``threads``/``limit`` of the step pool."""
    late_runs: list[dict[str, Any]] = field(default_factory=list)
    """The latest runs reported late (their DAG's ``sla``): run id, DAG, trigger, when."""
    sources: dict[str, Any] = field(default_factory=dict)
    """What the event sources serve, by kind (the webhook listener's URLs …)."""
    last_reload: ReloadResult | None = None
    exit: dict[str, Any] | None = None
    updated_at: str = field(default_factory=_now)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DaemonStatus:
        known = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in data.items() if k in known}
        reload = values.get("last_reload")
        if isinstance(reload, dict):
            fields = set(ReloadResult.__dataclass_fields__)
            values["last_reload"] = ReloadResult(**{k: v for k, v in reload.items() if k in fields})
        return cls(**values)


def write_status(path: Path, status: DaemonStatus) -> None:
    """Replace the record at ``path`` in one rename (readers see the old or the new one)."""
    status.updated_at = _now()
    text = json.dumps(status.to_dict(), indent=2, sort_keys=True) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".lyth.status.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; operators read it with `lyth status`
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def read_status(path: Path) -> DaemonStatus | None:
    """The record at ``path``, or None when there is none (or it is unreadable)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    try:
        return DaemonStatus.from_dict(data)
    except TypeError:
        return None
