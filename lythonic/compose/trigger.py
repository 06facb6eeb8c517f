"""Triggers: ``TriggerManager`` activates, fires and schedules a namespace's
configured triggers; ``TriggerStore`` keeps their state.

The code lives in ``lythonic.compose.schedule``; this path is the public one.
"""

from lythonic._cron import (
    CronError,
    CronSchedule,
)
from lythonic.compose.schedule import (
    CONFIGURED,
    Clock,
    Offer,
    SystemClock,
    TriggerActivationResult,
    TriggerConfigError,
    TriggerEvent,
    TriggerManager,
    TriggerNotActiveError,
    TriggerSpec,
    TriggerStore,
    TriggerStoreError,
    event_run_id,
    tick_run_id,
)

__all__ = [
    "CONFIGURED",
    "Clock",
    "CronError",
    "CronSchedule",
    "Offer",
    "SystemClock",
    "TriggerActivationResult",
    "TriggerConfigError",
    "TriggerEvent",
    "TriggerManager",
    "TriggerNotActiveError",
    "TriggerSpec",
    "TriggerStore",
    "TriggerStoreError",
    "event_run_id",
    "tick_run_id",
]
