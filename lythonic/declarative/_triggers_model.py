"""The ``triggers:`` section: a cron schedule, a file arriving, or a webhook call.

A trigger mapping says its kind with ``type:`` (``cron`` when absent, so files
written before the other kinds existed read as before). Every kind names the
DAG it runs, step inputs for its runs, an overlap policy and ``enabled``; the
event kinds may template their inputs with what fired them (``{file.path}``,
``{body.ref}``, ``{header.x-github-event}``).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, Tag

from lythonic.declarative._types import (
    STRICT,
    Backoff,
    Count,
    Duration,
    HookOptions,
    Ident,
    Name,
    NsRefStr,
)

__all__ = [
    "TRIGGER_TAGS",
    "TRIGGER_TYPES",
    "CronTriggerSpec",
    "FileTriggerSpec",
    "TriggerModel",
    "WebhookTriggerSpec",
]

Inputs = dict[Name, dict[Ident, Any]]

TRIGGER_TYPES = ("cron", "file", "webhook")
"""The values of a trigger's ``type:``."""

_TAGS = {t: f"{t}-trigger" for t in TRIGGER_TYPES}
TRIGGER_TAGS = frozenset(_TAGS.values())
"""Names pydantic inserts into error locations for the trigger union; not real keys."""

Overlap = Literal["skip", "queue", "replace", "allow"]


class _TriggerBase(HookOptions):
    model_config: ClassVar[ConfigDict] = STRICT

    dag: NsRefStr = Field(
        description="The DAG to run: a DAG of this file (its name) or the `nsref` of a DAG "
        "in the `namespace:` section."
    )
    enabled: bool = Field(
        default=True,
        description="`false` keeps the trigger defined but not firing.",
    )
    description: str | None = Field(default=None, description="What the trigger is for.")


class CronTriggerSpec(_TriggerBase):
    """Runs a DAG on a cron schedule (executed by `lyth start`)."""

    type: Literal["cron"] = Field(
        default="cron", description="`cron` (the default): fire on a schedule."
    )
    cron: str = Field(
        description="When to run: 5 fields (`minute hour day month weekday`), or 6 with "
        "seconds first (`second minute hour day month weekday`), or a macro such as "
        "`@daily`, `@hourly`."
    )
    timezone: str = Field(
        default="UTC",
        description="The IANA time zone the schedule is read in, e.g. `Europe/Berlin`; "
        "daylight-saving changes are handled (a daily job runs once a day).",
    )
    inputs: Inputs = Field(
        default_factory=dict,
        description="Step name -> {parameter: value} for the runs this trigger starts, on "
        "top of the DAG's own `inputs`.",
    )
    catchup: Literal["none", "latest", "all"] = Field(
        default="none",
        description="Ticks missed while the engine was down: `none` skips them, `latest` "
        "runs the most recent one, `all` runs each one in order (within `catchup_window`, "
        "at most `catchup_cap`).",
    )
    catchup_window: Duration | None = Field(
        default=None,
        description="How far back missed ticks count, e.g. `6h`, `2d` (default: no limit).",
    )
    catchup_cap: Count = Field(
        default=100,
        description="Most missed ticks `catchup: all` runs (and most ticks `overlap: queue` "
        "keeps waiting).",
    )
    overlap: Overlap = Field(
        default="skip",
        description="When a tick comes while this trigger's previous run still runs: "
        "`skip` the tick (recorded as skipped), `queue` it, `replace` (cancel) the running "
        "run, or `allow` both.",
    )


_EVENT_INPUTS = (
    "Step name -> {parameter: value} for each run, on top of the DAG's own `inputs`. A "
    "string may name what fired the run in braces ({0}); a value that is exactly one "
    "placeholder keeps its type, `{{` and `}}` are literal braces."
)
_EVENT_OVERLAP = (
    "When an event comes while a run of this trigger still runs: `allow` (the default) "
    "runs both, `queue` runs them one after another, `skip` records it skipped (and it "
    "never runs), `replace` cancels the running run."
)


class FileTriggerSpec(_TriggerBase):
    """Runs a DAG once for each file that arrives in a directory (executed by `lyth start`)."""

    type: Literal["file"] = Field(description="`file`: fire once per file arriving in `path`.")
    path: str = Field(
        min_length=1,
        description="The directory to watch, relative to this file or absolute; it must lie "
        "under one of the roots in the `LYTH_FILE_TRIGGER_ROOTS` setting.",
    )
    pattern: str = Field(
        default="*",
        min_length=1,
        description="Which file names fire (a glob such as `*.csv`). Names starting with a "
        "dot and `.part`, `.tmp`, `.swp` and `~` files never fire.",
    )
    recursive: bool = Field(default=False, description="Also watch the directories below `path`.")
    stable_for: Backoff = Field(
        default=2.0,
        description="How long a file's size and modification time must stay unchanged "
        "before it fires (a file still being written waits), e.g. `2s`; `0` fires at once.",
    )
    poll: Literal["auto"] | Backoff = Field(
        default="auto",
        description="`auto` (the default) watches with file-system events, or polls every "
        "2 s where events are not delivered (NFS, CIFS, FUSE); `0` always uses events; a "
        "duration such as `5s` always polls at that interval.",
    )
    identity: Literal["path", "content"] = Field(
        default="path",
        description="What makes a file new: `path` (its path, size and modification time) "
        "or `content` (a SHA-256 of its bytes: the same content fires once, whatever its "
        "name).",
    )
    after: Literal["none", "move", "delete"] = Field(
        default="none",
        description="What happens to a file after a run it fired completed: `none`, `move` "
        "(into `move_to`) or `delete`. A failed run leaves the file where it is.",
    )
    move_to: str | None = Field(
        default=None,
        description="With `after: move`: the directory files move to (relative to this "
        "file, or absolute; under the allowed roots too).",
    )
    inputs: Inputs = Field(
        default_factory=dict,
        description=_EVENT_INPUTS.replace(
            "PLACES", "`{file.path}`, `{file.name}`, `{file.stem}`, `{file.size}`, `{file.mtime}`"
        ),
    )
    overlap: Overlap = Field(default="allow", description=_EVENT_OVERLAP)


def _inline_secret(value: Any) -> Any:
    raise ValueError(
        "a secret must not be written in lyth.yaml: put it in an environment variable and "
        "name that variable in `secret_env`"
    )


class WebhookTriggerSpec(_TriggerBase):
    """Runs a DAG when an authenticated HTTP POST arrives (served by `lyth start`)."""

    type: Literal["webhook"] = Field(
        description="`webhook`: fire on `POST /hooks/<trigger name>` to the daemon's "
        "webhook listener (`LYTH_WEBHOOK_HOST`/`LYTH_WEBHOOK_PORT`)."
    )
    auth: Literal["github", "standard-webhooks", "bearer"] = Field(
        description="How a request proves it comes from the sender: `github` (HMAC-SHA256 of "
        "the body in `X-Hub-Signature-256`), `standard-webhooks` (`webhook-id`, "
        "`webhook-timestamp` within 5 minutes, `webhook-signature`) or `bearer` "
        "(`Authorization: Bearer <secret>`)."
    )
    secret_env: str = Field(
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="The environment variable holding the shared secret (for "
        "`standard-webhooks`, the `whsec_...` key). Secrets are never written in lyth.yaml.",
    )
    secret: Annotated[Any, BeforeValidator(_inline_secret)] = Field(
        default=None,
        description="Not allowed: secrets come from the environment variable named by "
        "`secret_env`.",
    )
    dedupe_header: str | None = Field(
        default=None,
        min_length=1,
        description="The request header carrying the sender's delivery id (e.g. "
        "`X-GitHub-Delivery`, `webhook-id`): a delivery with an id already seen starts "
        "nothing new. Without it every accepted request starts a run.",
    )
    inputs: Inputs = Field(
        default_factory=dict,
        description=_EVENT_INPUTS.replace(
            "PLACES",
            "`{body.ref}`, `{body.items.0.id}` for the JSON body, `{header.x-github-event}` "
            "for a header",
        ),
    )
    overlap: Overlap = Field(default="allow", description=_EVENT_OVERLAP)


def _trigger_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        kind = value.get("type", "cron")
        return _TAGS.get(kind) if isinstance(kind, str) else None
    if isinstance(value, BaseModel):
        return _TAGS.get(getattr(value, "type", ""))
    return None


TriggerModel = Annotated[
    Annotated[CronTriggerSpec, Tag(_TAGS["cron"])]
    | Annotated[FileTriggerSpec, Tag(_TAGS["file"])]
    | Annotated[WebhookTriggerSpec, Tag(_TAGS["webhook"])],
    Discriminator(
        _trigger_kind,
        custom_error_type="trigger_type",
        custom_error_message="a trigger's `type` is one of cron (the default), file, webhook",
    ),
]
"""One entry of ``triggers:``."""
