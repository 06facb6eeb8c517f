"""``TriggerSpec``: one trigger as the scheduler sees it, with every default resolved.

Built from upstream's ``TriggerConfig`` (``TriggerSpec.from_config``) and,
later, from the ``lyth.yaml`` trigger model; the scheduler never reads a
config directly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from lythonic._cron import CronError, CronSchedule
from lythonic._public import publish
from lythonic._refs import GlobalRef

if TYPE_CHECKING:
    from lythonic.compose.nodes._configs import TriggerConfig

__all__ = [
    "CATCHUP_POLICIES",
    "DEFAULT_CATCHUP_CAP",
    "OVERLAP_POLICIES",
    "Catchup",
    "Overlap",
    "TriggerConfigError",
    "TriggerSpec",
]

Catchup = Literal["none", "latest", "all"]
Overlap = Literal["skip", "queue", "replace", "allow"]
CATCHUP_POLICIES: tuple[Catchup, ...] = ("none", "latest", "all")
OVERLAP_POLICIES: tuple[Overlap, ...] = ("skip", "queue", "replace", "allow")
DEFAULT_CATCHUP_CAP = 100


class TriggerConfigError(ValueError):
    """A trigger definition that cannot be scheduled (no name, bad cron, bad policy)."""


@dataclass(frozen=True, slots=True)
class TriggerSpec:
    """A trigger: what to fire (``dag_nsref``), when (``cron`` in ``timezone``) and how.

    ``type`` is ``"poll"`` for scheduled triggers; ``"file"`` and ``"webhook"``
    fire on events their source offers (``source`` holds the source's options:
    directory, pattern, auth …); any other type only fires on demand. ``catchup`` says which ticks missed while nothing ran still
    fire (``none``, the most recent one: ``latest``, or ``all`` within
    ``catchup_window``, at most ``catchup_cap``); ``overlap`` what a tick does
    while the trigger's previous run is still going.
    """

    name: str
    dag_nsref: str
    cron: str | None = None
    timezone: str = "UTC"
    type: str = "poll"
    catchup: Catchup = "none"
    catchup_window: timedelta | None = None
    catchup_cap: int = DEFAULT_CATCHUP_CAP
    overlap: Overlap = "skip"
    payload: dict[str, Any] | None = None
    enabled: bool = True
    poll_fn: GlobalRef | None = None
    source: dict[str, Any] | None = None
    schedule: CronSchedule | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        where = f"trigger {self.name!r}"
        if not self.name:
            raise TriggerConfigError(f"a trigger of {self.dag_nsref!r} has no name: give it one")
        if self.catchup not in CATCHUP_POLICIES:
            raise TriggerConfigError(
                f"{where}: catchup {self.catchup!r} is not one of {', '.join(CATCHUP_POLICIES)}"
            )
        if self.overlap not in OVERLAP_POLICIES:
            raise TriggerConfigError(
                f"{where}: overlap {self.overlap!r} is not one of {', '.join(OVERLAP_POLICIES)}"
            )
        if self.catchup_cap < 1:
            raise TriggerConfigError(f"{where}: catchup_cap must be at least 1")
        if self.catchup_window is not None and self.catchup_window <= timedelta(0):
            raise TriggerConfigError(f"{where}: catchup_window must be positive")
        if self.cron is not None:
            try:
                schedule = CronSchedule(self.cron, self.timezone)
            except CronError as e:
                raise TriggerConfigError(f"{where}: {e}") from e
            object.__setattr__(self, "schedule", schedule)

    @property
    def scheduled(self) -> bool:
        """Whether the scheduler fires this trigger by itself."""
        return self.type == "poll" and self.schedule is not None

    def same_timing(self, other: TriggerSpec) -> bool:
        """Whether ``other`` fires at the same times (cron and timezone unchanged)."""
        return self.cron == other.cron and self.timezone == other.timezone

    @classmethod
    def from_config(cls, tc: TriggerConfig, dag_nsref: str) -> TriggerSpec:
        """The spec of upstream's ``TriggerConfig`` attached to the node at ``dag_nsref``."""
        if tc.name is None:
            raise TriggerConfigError(
                f"a trigger of {dag_nsref!r} has no name: set `name`, or register the node "
                "through Namespace.from_dict, which names triggers"
            )
        return cls(
            name=tc.name,
            dag_nsref=dag_nsref,
            cron=tc.schedule,
            timezone=tc.timezone or "UTC",
            type=tc.type,
            catchup=tc.catchup or "none",
            catchup_window=tc.catchup_window,
            catchup_cap=tc.catchup_cap or DEFAULT_CATCHUP_CAP,
            overlap=tc.overlap or "skip",
            payload=tc.payload,
            enabled=tc.enabled is not False,
            poll_fn=tc.poll_fn,
        )

    def to_json(self) -> str:
        """The stored form (``trigger_activations.config_json``).

        Holds upstream's ``schedule`` and ``poll_fn`` keys plus the policies; a
        payload that JSON cannot hold is left out rather than failing activation.
        """
        data: dict[str, Any] = {}
        if self.cron is not None:
            data["schedule"] = self.cron
        if self.poll_fn is not None:
            data["poll_fn"] = str(self.poll_fn)
        data["timezone"] = self.timezone
        data["catchup"] = self.catchup
        if self.catchup_window is not None:
            data["catchup_window"] = self.catchup_window.total_seconds()
        data["catchup_cap"] = self.catchup_cap
        data["overlap"] = self.overlap
        if self.source is not None:
            data["source"] = json.loads(json.dumps(self.source, default=str))
        if self.payload is not None:
            try:
                data["payload"] = json.loads(json.dumps(self.payload))
            except (TypeError, ValueError):
                data["payload_note"] = "payload is not JSON; kept in the config only"
        return json.dumps(data, sort_keys=True)


publish("lythonic.compose.trigger", TriggerSpec)
