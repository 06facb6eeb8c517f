"""``TriggerEvent``: one file arrival or webhook delivery offered to the scheduler.

An event trigger (``type: file`` or ``webhook``) has no schedule: its source
(a directory watcher, the webhook listener) offers events, and the scheduler
claims each through the store like a tick, keyed by ``key`` (the file's
identity, the delivery id) instead of a time, so the same key fires at most
once per trigger, across restarts and across daemons sharing a store.

>>> event_run_id("new_orders", "/in/a.csv|120|1700000000000000000")
'new_orders@dc2c485bd91b41c6'
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

__all__ = ["EVENT_TYPES", "Offer", "OfferStatus", "TriggerEvent", "event_run_id"]

EVENT_TYPES = frozenset({"file", "webhook"})
"""Trigger types whose runs start from events, not from a schedule."""

OfferStatus = Literal["claimed", "duplicate", "inactive"]


def event_run_id(name: str, key: str) -> str:
    """The run id of the event of trigger ``name`` keyed ``key``: the same key, the same run."""
    return f"{name}@{hashlib.sha256(key.encode()).hexdigest()[:16]}"


@dataclass(frozen=True, slots=True)
class TriggerEvent:
    """What happened (``context``, read by input templates) and what makes it one (``key``).

    ``record``: what the trigger's event row keeps (default: ``context``);
    ``at``: when it happened (default: when offered), the run's ``scheduled_at``;
    ``settled``: called (in a worker thread) with the ``TickOutcome`` once a run it started ended (e.g. to
    move the file away), never for a duplicate or a skipped event.
    """

    key: str
    context: dict[str, Any]
    record: dict[str, Any] | None = None
    at: datetime | None = None
    settled: Callable[[Any], None] | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Offer:
    """What the scheduler did with an offered event.

    ``claimed``: recorded (``action`` says whether it runs now, queues or was
    skipped by the overlap policy); ``duplicate``: its key was claimed before;
    ``inactive``: the trigger is not scheduled here (unknown, disabled, stopping).
    """

    status: OfferStatus
    run_id: str | None = None
    event_id: str | None = None
    action: str | None = None
