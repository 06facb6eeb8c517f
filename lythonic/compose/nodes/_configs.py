"""Serializable node configurations: what ``lyth.yaml``'s ``namespace:`` entries
and ``Namespace.to_dict()`` hold."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from lythonic._public import publish
from lythonic._refs import GlobalRef, NsRef

__all__ = [
    "CONFIG_TYPES",
    "_CONFIG_TYPES",
    "NsCacheConfig",
    "NsFragmentConfig",
    "NsNodeConfig",
    "TriggerConfig",
    "auto_fill_trigger_names",
]


class TriggerConfig(BaseModel):
    """A trigger attached to a namespace node.

    A bare cron string is shorthand for a poll trigger:
    ``"*/30 * * * * *"`` means ``{type: poll, schedule: "*/30 * * * * *"}``
    (six fields: seconds first).
    """

    # Built on first use, not at import: `import lythonic.compose.namespace` stays cheap.
    model_config = ConfigDict(defer_build=True)

    name: str | None = None
    type: str = "poll"
    schedule: str | None = None
    poll_fn: GlobalRef | None = None
    payload: dict[str, Any] | None = None
    # Scheduling policy (lythonic additions; None means the default, so dumps
    # of upstream configs stay unchanged). See docs/triggers.md.
    timezone: str | None = Field(default=None, description="IANA timezone; None is UTC.")
    catchup: Literal["none", "latest", "all"] | None = Field(
        default=None, description="Missed ticks after downtime; None is 'none'."
    )
    catchup_window: timedelta | None = Field(
        default=None, description="How far back missed ticks count; None is no limit."
    )
    catchup_cap: int | None = Field(
        default=None, ge=1, description="Most missed or waiting ticks kept; None is 100."
    )
    overlap: Literal["skip", "queue", "replace", "allow"] | None = Field(
        default=None, description="A tick while the last run still goes; None is 'skip'."
    )
    enabled: bool | None = Field(
        default=None, description="False keeps the trigger disabled; None is True."
    )

    @model_validator(mode="before")
    @classmethod
    def _expand_shorthand(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"type": "poll", "schedule": data}
        return data

    @field_validator("schedule")
    @classmethod
    def _valid_cron(cls, v: str | None) -> str | None:
        if v is not None:
            from lythonic._cron import CronSchedule  # croniter: import on use

            CronSchedule(v)
        return v

    @field_validator("timezone")
    @classmethod
    def _valid_timezone(cls, v: str | None) -> str | None:
        if v is not None:
            from lythonic._cron import resolve_timezone

            resolve_timezone(v)
        return v


class NsNodeConfig(BaseModel):
    """Configuration of one namespace node; ``nsref`` defaults to ``str(gref)``."""

    model_config = ConfigDict(defer_build=True)

    type: str = "auto"
    nsref: NsRef | str | None = None
    gref: GlobalRef | None = None
    tags: list[str] | None = None
    triggers: list[TriggerConfig] = Field(default_factory=list)
    retries: int | None = Field(
        default=None, ge=0, description="Extra attempts after a failure (0 = run once)."
    )
    retry_backoff: float | None = Field(
        default=None, ge=0, description="Seconds before the first retry; doubles each retry."
    )
    timeout: float | None = Field(
        default=None, gt=0, description="Seconds one attempt may take before it fails."
    )

    @model_validator(mode="after")
    def _default_nsref_from_gref(self) -> NsNodeConfig:
        if self.nsref is None:
            if self.gref is None:
                raise ValueError("Either nsref or gref must be provided")
            self.nsref = NsRef(str(self.gref))
        elif isinstance(self.nsref, str):
            self.nsref = NsRef(self.nsref)
        return self

    @property
    def ref(self) -> NsRef:
        """``nsref`` as an ``NsRef`` (the validator guarantees one)."""
        assert isinstance(self.nsref, NsRef)
        return self.nsref


class NsCacheConfig(NsNodeConfig):
    """A node whose results are cached; TTLs are in days."""

    type: str = "cache"
    min_ttl: float
    max_ttl: float

    @model_validator(mode="after")
    def _ttls_ordered(self) -> NsCacheConfig:
        if self.min_ttl < 0 or self.max_ttl < self.min_ttl:
            raise ValueError(
                f"cache TTLs need 0 <= min_ttl <= max_ttl, got min_ttl={self.min_ttl}, "
                f"max_ttl={self.max_ttl}"
            )
        return self


class NsFragmentConfig(NsNodeConfig):
    """A class or module whose marked methods register under a shared ``prefix:``.

    ``init`` holds constructor kwargs (classes only), ``configs`` per-method
    settings (``min_ttl``/``max_ttl``/``triggers``), and ``defaults["cache"]``
    TTLs for ``@require_cache`` methods that have none of their own.
    """

    type: str = "fragment"
    init: dict[str, Any] = Field(default_factory=dict)
    configs: dict[str, dict[str, Any]] = Field(default_factory=dict)
    defaults: dict[str, dict[str, Any]] = Field(default_factory=dict)


CONFIG_TYPES: dict[str, type[NsNodeConfig]] = {
    "auto": NsNodeConfig,
    "cache": NsCacheConfig,
    "fragment": NsFragmentConfig,
}
_CONFIG_TYPES = CONFIG_TYPES  # upstream's name, re-exported by lythonic.compose.namespace


def auto_fill_trigger_names(config: NsNodeConfig) -> None:
    """Name unnamed triggers ``{leaf}_{type}``, with ``_{i}`` when there are several."""
    leaf = config.ref.name
    several = len(config.triggers) > 1
    for i, trigger in enumerate(config.triggers):
        if trigger.name is None:
            trigger.name = f"{leaf}_{trigger.type}" + (f"_{i}" if several else "")


publish("lythonic.compose.namespace", TriggerConfig, NsNodeConfig, NsCacheConfig, NsFragmentConfig)
