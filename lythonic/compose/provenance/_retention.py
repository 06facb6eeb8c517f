"""Retention: deleting finished runs older than what a store keeps.

``apply_retention(store, rules)`` deletes, per rule ``(seconds, statuses,
exclude)`` (see ``lythonic.declarative._storage.retention_rules``), the
finished top-level runs started longer ago than that, with their child runs,
steps, values and log lines, then gives the space back (SQLite ``VACUUM``). A
running run is never deleted by it. ``lyth runs prune`` and the daemon's daily
pass both go through here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["RetentionResult", "apply_retention"]

DAY = 86400.0


@dataclass
class RetentionResult:
    """What a retention pass deleted (or, dry, would delete)."""

    run_ids: list[str] = field(default_factory=list)
    """The top-level runs, oldest first per rule."""
    deleted: int = 0
    """Runs deleted, child runs included (0 when dry)."""
    vacuumed: bool = False
    dry_run: bool = False


def apply_retention(
    store: Any,
    rules: Sequence[tuple[float, Sequence[str] | None, Sequence[str]]],
    *,
    dry_run: bool = False,
    vacuum: bool = True,
) -> RetentionResult:
    """Apply ``rules`` to ``store`` (a ``DagProvenance`` or ``PgProvenance``)."""
    result = RetentionResult(dry_run=dry_run)
    for seconds, statuses, exclude in rules:
        days = seconds / DAY
        kw = {"statuses": list(statuses) if statuses is not None else None, "exclude": exclude}
        result.run_ids.extend(store.prunable(days, **kw))
        if not dry_run:
            result.deleted += store.prune(days, **kw)
    if result.deleted and vacuum:
        result.vacuumed = bool(store.vacuum())
    return result
