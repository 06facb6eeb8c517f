"""Triggers: the injectable clock, a trigger's parsed spec, the trigger store
(SQLite), the scheduler that claims and runs ticks, and the manager that
activates a namespace's configured triggers. Above ``graph/`` and ``run/``.

Names load on first use (``lythonic._lazy``): importing the package, or one
of its modules, loads only what is asked for.
"""

from typing import TYPE_CHECKING

from lythonic._lazy import lazy_exports

if TYPE_CHECKING:
    from lythonic.compose.schedule._clock import (
        Clock,
        FakeClock,
        SystemClock,
        spawn_watched,
    )
    from lythonic.compose.schedule._listing import (
        trigger_listing,
    )
    from lythonic.compose.schedule._manager import (
        CONFIGURED,
        AroundTick,
        DagRunRequest,
        RunDag,
        TriggerActivationResult,
        TriggerManager,
        TriggerNotActiveError,
        run_with_runner,
    )
    from lythonic.compose.schedule._scheduler import (
        Scheduler,
        Tick,
        TickOutcome,
        tick_run_id,
    )
    from lythonic.compose.schedule._spec import (
        CATCHUP_POLICIES,
        DEFAULT_CATCHUP_CAP,
        OVERLAP_POLICIES,
        Catchup,
        Overlap,
        TriggerConfigError,
        TriggerSpec,
    )
    from lythonic.compose.schedule._store import (
        SCHEMA_VERSION,
        TickClaim,
        TickResult,
        TriggerStore,
        TriggerStoreError,
    )
    from lythonic.compose.schedule._templates import (
        TemplateError,
        is_whole_placeholder,
        placeholders,
        render_inputs,
        templated,
    )
    from lythonic.compose.schedule._trigger_event import (
        EVENT_TYPES,
        Offer,
        TriggerEvent,
        event_run_id,
    )

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "_clock": ["Clock", "FakeClock", "SystemClock", "spawn_watched"],
        "_listing": ["trigger_listing"],
        "_spec": [
            "CATCHUP_POLICIES",
            "DEFAULT_CATCHUP_CAP",
            "OVERLAP_POLICIES",
            "Catchup",
            "Overlap",
            "TriggerConfigError",
            "TriggerSpec",
        ],
        "_store": [
            "SCHEMA_VERSION",
            "TickClaim",
            "TickResult",
            "TriggerStore",
            "TriggerStoreError",
        ],
        "_scheduler": ["Scheduler", "Tick", "TickOutcome", "tick_run_id"],
        "_templates": [
            "TemplateError",
            "is_whole_placeholder",
            "placeholders",
            "render_inputs",
            "templated",
        ],
        "_trigger_event": ["EVENT_TYPES", "Offer", "TriggerEvent", "event_run_id"],
        "_manager": [
            "CONFIGURED",
            "AroundTick",
            "DagRunRequest",
            "RunDag",
            "TriggerActivationResult",
            "TriggerManager",
            "TriggerNotActiveError",
            "run_with_runner",
        ],
    },
)

__all__ = [
    "CATCHUP_POLICIES",
    "CONFIGURED",
    "DEFAULT_CATCHUP_CAP",
    "EVENT_TYPES",
    "OVERLAP_POLICIES",
    "SCHEMA_VERSION",
    "AroundTick",
    "Catchup",
    "Clock",
    "DagRunRequest",
    "FakeClock",
    "Offer",
    "Overlap",
    "RunDag",
    "Scheduler",
    "SystemClock",
    "TemplateError",
    "Tick",
    "TickClaim",
    "TickOutcome",
    "TickResult",
    "TriggerActivationResult",
    "TriggerConfigError",
    "TriggerEvent",
    "TriggerManager",
    "TriggerNotActiveError",
    "TriggerSpec",
    "TriggerStore",
    "TriggerStoreError",
    "event_run_id",
    "is_whole_placeholder",
    "placeholders",
    "render_inputs",
    "run_with_runner",
    "spawn_watched",
    "templated",
    "tick_run_id",
    "trigger_listing",
]
