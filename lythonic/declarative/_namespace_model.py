"""The ``namespace:`` section: upstream lythonic's entries, in strict form.

The keys and their meaning are upstream's (API.md §2.4, §2.14), so existing
files keep working. Two deliberate differences: an unknown ``type`` or an
unknown key is an error instead of being ignored, and every reference goes
through the import allow-list.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    field_validator,
)

from lythonic.declarative._types import (
    STRICT,
    Count,
    Days,
    Duration,
    FragmentRef,
    NsRefStr,
    Prefix,
    Ref,
    RetryOptions,
    ttls_in_order,
)

__all__ = [
    "NS_TYPES",
    "UNION_TAGS",
    "CacheTtl",
    "FragmentMethodConfig",
    "NamespaceEntry",
    "NsAutoEntry",
    "NsCacheEntry",
    "NsFragmentEntry",
    "NsTriggerEntry",
]


class NsTriggerEntry(BaseModel):
    """A trigger on a namespace entry (upstream's `TriggerConfig`)."""

    model_config: ClassVar[ConfigDict] = STRICT

    name: str | None = Field(
        default=None,
        description="Unique trigger name; defaults to `<leaf>_<type>` (plus `_<i>` when "
        "the entry has several triggers).",
    )
    type: str = Field(
        default="poll",
        description="`poll` fires on `schedule`; any other type (e.g. `push`) only fires "
        "on demand (`lyth fire`).",
    )
    schedule: str | None = Field(
        default=None,
        description="Cron: 5 fields, or 6 with seconds first.",
    )
    poll_fn: Ref | None = Field(
        default=None,
        description="`module:function` called at each tick; returning None skips the "
        "fire, a dict becomes the payload.",
    )
    payload: dict[str, Any] | None = Field(
        default=None, description="Keyword arguments for the fired callable or DAG."
    )
    timezone: str | None = Field(
        default=None, description="The IANA time zone of `schedule` (default UTC)."
    )
    catchup: Literal["none", "latest", "all"] | None = Field(
        default=None, description="Missed ticks after downtime: none (default), latest, all."
    )
    catchup_window: Duration | None = Field(
        default=None, description="How far back missed ticks count (default: no limit)."
    )
    catchup_cap: Count | None = Field(
        default=None, description="Most missed or waiting ticks kept (default 100)."
    )
    overlap: Literal["skip", "queue", "replace", "allow"] | None = Field(
        default=None,
        description="A tick while the previous run still runs: skip (default), queue, "
        "replace, allow.",
    )
    enabled: bool | None = Field(
        default=None, description="`false` keeps the trigger disabled (default true)."
    )


TriggerEntry = Annotated[
    Annotated[
        str,
        Tag("cron-string"),
        Field(description="Shorthand for a poll trigger with this cron schedule."),
    ]
    | Annotated[NsTriggerEntry, Tag("trigger-mapping")],
    Discriminator(
        lambda v: "cron-string" if isinstance(v, str) else "trigger-mapping",
    ),
]


class _EntryBase(RetryOptions):
    nsref: NsRefStr | None = Field(
        default=None,
        description="The key in the namespace, `scope.sub:leaf`; defaults to the `gref`.",
    )
    gref: Ref | None = Field(
        default=None,
        description="The Python object as `package.module:attribute`; `name__` calls the "
        "factory `name()` and registers what it returns.",
    )
    tags: list[str] | None = Field(default=None, description="Tags for `Namespace.query`.")
    triggers: list[TriggerEntry] = Field(
        default_factory=list, description="Schedules that call this entry."
    )


class NsAutoEntry(_EntryBase):
    """Registers a callable (or a DAG) under an nsref."""

    type: Literal["auto"] = Field(default="auto", description="A plain entry.")


class NsCacheEntry(_EntryBase):
    """Registers a callable whose results are cached in the cache store."""

    type: Literal["cache"] = Field(description="A cached entry.")
    min_ttl: Days = Field(description="Days a cached value is used without refreshing.")
    max_ttl: Days = Field(
        description="Days after which a cached value is never used; between `min_ttl` and "
        "`max_ttl` it is refreshed with rising probability; at least `min_ttl`.",
    )

    @field_validator("max_ttl")
    @classmethod
    def _after_min_ttl(cls, value: float, info: ValidationInfo) -> float:
        ttls_in_order(info.data.get("min_ttl"), value)
        return value


class CacheTtl(BaseModel):
    """Cache lifetimes, in days."""

    model_config: ClassVar[ConfigDict] = STRICT

    min_ttl: Days = Field(description="Days a cached value is used without refreshing.")
    max_ttl: Days = Field(
        description="Days after which a cached value is never used; at least `min_ttl`."
    )

    @field_validator("max_ttl")
    @classmethod
    def _after_min_ttl(cls, value: float, info: ValidationInfo) -> float:
        ttls_in_order(info.data.get("min_ttl"), value)
        return value


class FragmentMethodConfig(BaseModel):
    """Settings for one method of a fragment."""

    model_config: ClassVar[ConfigDict] = STRICT

    min_ttl: Days | None = Field(default=None, description="Cache: days fresh.")
    max_ttl: Days | None = Field(
        default=None, description="Cache: days at most; at least `min_ttl`."
    )

    @field_validator("max_ttl")
    @classmethod
    def _after_min_ttl(cls, value: float | None, info: ValidationInfo) -> float | None:
        ttls_in_order(info.data.get("min_ttl"), value)
        return value

    triggers: list[TriggerEntry] | None = Field(
        default=None, description="Schedules that call this method."
    )


class NsFragmentEntry(BaseModel):
    """Registers every `@nsnode` / `@dag_factory` member of a class or module."""

    model_config: ClassVar[ConfigDict] = STRICT

    type: Literal["fragment"] = Field(description="A fragment entry.")
    gref: FragmentRef = Field(
        description="A module (`package.module`) or a `NamespaceFragment` subclass "
        "(`package.module:Class`)."
    )
    nsref: Prefix = Field(description="The prefix every member registers under; ends with `:`.")
    tags: list[str] | None = Field(default=None, description="Accepted; not used (as upstream).")
    init: dict[str, Any] = Field(
        default_factory=dict, description="Constructor keyword arguments (classes only)."
    )
    configs: dict[str, FragmentMethodConfig] = Field(
        default_factory=dict, description="Method name -> its cache TTLs and triggers."
    )
    defaults: dict[Literal["cache"], CacheTtl] = Field(
        default_factory=dict,
        description="`cache: {min_ttl, max_ttl}` for `@require_cache` methods without "
        "their own TTLs.",
    )


NS_TYPES = ("auto", "cache", "fragment")
UNION_TAGS = frozenset({"cron-string", "trigger-mapping", *(f"ns-{t}" for t in NS_TYPES)})
"""Names pydantic inserts into error locations for the unions here; not real keys."""


def _entry_type(value: Any) -> str | None:
    if isinstance(value, dict):
        kind = value.get("type", "auto")
        return f"ns-{kind}" if kind in NS_TYPES else None
    return None


NamespaceEntry = Annotated[
    Annotated[NsAutoEntry, Tag("ns-auto")]
    | Annotated[NsCacheEntry, Tag("ns-cache")]
    | Annotated[NsFragmentEntry, Tag("ns-fragment")],
    Discriminator(
        _entry_type,
        custom_error_type="namespace_type",
        custom_error_message="a namespace entry is a mapping whose `type` is auto (the "
        "default), cache or fragment",
    ),
]
