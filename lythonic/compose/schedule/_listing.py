"""The triggers on record as plain rows: what ``lyth status --json`` lists and the
web view shows (schedule, time zone, state, next fire, last event)."""

from __future__ import annotations

import json
from collections.abc import Set
from datetime import UTC, datetime
from typing import Any

from lythonic.compose.schedule._store import TriggerStore

__all__ = ["trigger_listing"]


def _iso(epoch: float | None, local: bool = False) -> str | None:
    if epoch is None:
        return None
    when = datetime.fromtimestamp(epoch, UTC)
    return (when.astimezone() if local else when).isoformat()


def trigger_listing(
    store: TriggerStore, *, with_next: bool, configured: Set[str] | None
) -> list[dict[str, Any]]:
    """One row per activation, by name. ``with_next``: show ``next_run_at`` (only
    meaningful while a daemon schedules); ``configured``: the trigger names of the
    config in force, or None when unknown."""
    rows = []
    for a in store.get_activations():
        config = json.loads(a["config_json"] or "{}")
        last = store.get_events(a["name"], limit=1)
        nxt = a["next_run_at"] if a["status"] == "active" and with_next else None
        rows.append(
            {
                "name": a["name"],
                "dag": a["dag_nsref"],
                "state": a["status"],
                "type": a["trigger_type"],
                "cron": config.get("schedule"),
                "source": config.get("source"),
                "fires_on": _fires_on(a["trigger_type"], a["name"], config),
                "timezone": config.get("timezone", "UTC"),
                "next_utc": _iso(nxt),
                "next_local": _iso(nxt, local=True),
                "in_running_config": None if configured is None else a["name"] in configured,
                "last_event": (
                    {
                        "status": last[0]["status"],
                        "run_id": last[0]["run_id"],
                        "fired_at": _iso(last[0]["fired_at"]),
                        "error": last[0]["error"],
                    }
                    if last
                    else None
                ),
                "changed_by": a["changed_by"],
                "changed_at": _iso(a["changed_at"]),
            }
        )
    return rows


def _fires_on(kind: str, name: str, config: dict[str, Any]) -> str | None:
    """What starts the trigger's runs, in a few words (for event triggers)."""
    source = config.get("source") or {}
    if kind == "file":
        return f"files {source.get('path', '?')}/{source.get('pattern', '*')}"
    if kind == "webhook":
        return f"POST /hooks/{name} ({source.get('auth', '?')})"
    return None
