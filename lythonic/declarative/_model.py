"""The ``lyth.yaml`` config model: strict pydantic classes, one per section.

Every class forbids unknown keys (a typo is an error, not an ignored key)
and describes every field; ``schemas/lyth.schema.json`` is generated from
these classes (see ``_schema``). The key names are a public, stable format:
change them only with a new ``version``.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
)

from lythonic.declarative._namespace_model import NamespaceEntry
from lythonic.declarative._storage import StorageSpec
from lythonic.declarative._triggers_model import (
    TRIGGER_TAGS,
    CronTriggerSpec,
    FileTriggerSpec,
    TriggerModel,
    WebhookTriggerSpec,
)
from lythonic.declarative._types import (
    STRICT,
    Backoff,
    Count,
    Duration,
    HookOptions,
    Ident,
    Name,
    NsRefStr,
    Ref,
    Retries,
    RetryOptions,
    Target,
    integral,
    not_a_bool,
)

__all__ = [
    "NODE_KINDS",
    "CallNodeSpec",
    "CronTriggerSpec",
    "DagDefaults",
    "DagSpec",
    "FileTriggerSpec",
    "LythConfig",
    "MapNodeSpec",
    "NodeSpec",
    "NsrefNodeSpec",
    "RefNodeSpec",
    "StorageSpec",
    "SwitchNodeSpec",
    "SwitchSpec",
    "TriggerModel",
    "WebhookTriggerSpec",
]


Inputs = dict[Name, dict[Ident, Any]]


class _NodeOptions(BaseModel):
    model_config: ClassVar[ConfigDict] = STRICT

    description: str | None = Field(
        default=None, description="What this step does; shown by `lyth graph`."
    )
    retries: Retries | None = Field(
        default=None,
        description="Extra attempts after a failure (0 = run once). Defaults to the DAG's "
        "`defaults.retries`, else 0.",
    )
    retry_backoff: Backoff | None = Field(
        default=None,
        description="Wait before the first retry (seconds, or e.g. `500ms`, `2s`); doubles "
        "on each further retry. Defaults to the DAG's `defaults.retry_backoff`, else 0.5s.",
    )
    timeout: Duration | None = Field(
        default=None,
        description="Longest one attempt may run (seconds, or e.g. `30s`, `2m`, `1h`); the "
        "attempt fails with a timeout after it. Defaults to the DAG's `defaults.timeout`, "
        "else no limit.",
    )


class RefNodeSpec(_NodeOptions):
    """A step that calls a Python function (or runs a Python-built DAG), with options."""

    ref: Ref = Field(
        description="The callable as `package.module:function`. A `Dag` object or a "
        "`@dag_factory` function runs as a nested DAG (like `call`)."
    )
    inline: bool = Field(
        default=False,
        description="Run this (sync, cheap, non-blocking) function on the event loop "
        "instead of a worker thread, like the `@inline` decorator. A `timeout` cannot be "
        "enforced there: an inline step with one is an error, and the DAG's "
        "`defaults.timeout` does not apply to it.",
    )
    isolation: Literal["thread", "process"] | None = Field(
        default=None,
        description="Where a sync function runs: `thread` (default: a worker thread, which "
        "a timeout can only stop waiting for) or `process` (a child process of its own, "
        "killed when its timeout fires or its run is cancelled; arguments and result cross "
        "by pickle, about 50 ms per call).",
    )
    remote: bool | None = Field(
        default=None,
        description="`false` keeps this sync function in the driver process when runs go to "
        "a Dask cluster (`LYTH_EXECUTOR=dask`): for steps that need local files, sockets or "
        "values that cannot be pickled. Defaults to the DAG's `defaults.remote`, else true. "
        "Which cluster is set only by trusted settings (`LYTH_DASK_ADDRESS`), never here.",
    )


class NsrefNodeSpec(_NodeOptions):
    """A step that calls an entry of the `namespace:` section (e.g. a cached function)."""

    nsref: NsRefStr = Field(
        description="The `nsref` of a `namespace:` entry, e.g. `market:prices`; the step "
        "gets that entry's cache and settings. A DAG entry runs as a nested DAG."
    )


class SwitchSpec(BaseModel):
    """Routes each value to one branch by its label."""

    model_config: ClassVar[ConfigDict] = STRICT

    switch: dict[Name, Target] = Field(
        min_length=1,
        description="Branch label -> the DAG to run for it: a DAG of this file (its "
        "name) or a Python `module:attribute` (a Dag, a `@dag_factory` or a function).",
    )


class MapNodeSpec(_NodeOptions):
    """A step that runs a sub-DAG once per element of its upstream list (or dict)."""

    map: Annotated[
        Annotated[Target, Tag("target-string")] | Annotated[SwitchSpec, Tag("switch-spec")],
        Discriminator(
            lambda v: "switch-spec" if isinstance(v, dict) else "target-string",
        ),
    ] = Field(
        description="The sub-DAG to run per element: a DAG of this file (its name), a "
        "Python `module:attribute` (a Dag or a `@dag_factory`), or `{switch: {...}}` to "
        "route every element to a branch. List results are flattened into one list; a "
        "dict input gives a dict with the same keys."
    )
    concurrency: Count | None = Field(
        default=None,
        description="Most elements in flight at once. Defaults to the DAG's "
        "`defaults.concurrency`, else 256.",
    )


class CallNodeSpec(_NodeOptions):
    """A step that runs a sub-DAG once with its upstream value."""

    call: Target = Field(
        description="The sub-DAG: a DAG of this file (its name) or a Python "
        "`module:attribute` (a Dag or a `@dag_factory`). It must have exactly one source "
        "and one sink."
    )


class SwitchNodeSpec(_NodeOptions):
    """A step that runs the one branch its upstream value names."""

    switch: dict[Name, Target] = Field(
        min_length=1,
        description="Branch label -> the DAG to run: a DAG of this file (its name) or a "
        "Python `module:attribute` (a Dag, a `@dag_factory` or a plain function). The "
        "upstream gives `(label, data)` or a dict with a `__switch__` key.",
    )


NODE_KINDS = ("ref", "nsref", "map", "call", "switch")
"""The keys that say what kind of step a node mapping is; exactly one is required."""

_TAGS = {
    "ref": "ref-node",
    "nsref": "nsref-node",
    "map": "map-node",
    "call": "call-node",
    "switch": "switch-node",
}
UNION_TAGS = frozenset(
    {"ref-string", "target-string", "switch-spec", *_TAGS.values(), *TRIGGER_TAGS}
)
"""Names pydantic inserts into error locations for the node union; not real keys."""


def _node_kind(value: Any) -> str | None:
    if isinstance(value, str):
        return "ref-string"
    if isinstance(value, dict):
        for kind in NODE_KINDS:
            if kind in value:
                return _TAGS[kind]
    return None


NodeSpec = Annotated[
    Annotated[
        Ref,
        Tag("ref-string"),
        Field(description="Shorthand for `{ref: package.module:function}`."),
    ]
    | Annotated[RefNodeSpec, Tag("ref-node")]
    | Annotated[NsrefNodeSpec, Tag("nsref-node")]
    | Annotated[MapNodeSpec, Tag("map-node")]
    | Annotated[CallNodeSpec, Tag("call-node")]
    | Annotated[SwitchNodeSpec, Tag("switch-node")],
    Discriminator(
        _node_kind,
        custom_error_type="node_kind",
        custom_error_message="a node is a 'module:function' string or a mapping with one of "
        "the keys ref, nsref, map, call, switch",
    ),
]


class DagDefaults(RetryOptions):
    """Options every node of the DAG gets unless it sets its own."""

    concurrency: Count | None = Field(
        default=None, description="Most elements in flight at once, for every `map` step."
    )
    remote: bool | None = Field(
        default=None,
        description="`false`: every function step of the DAG stays in the driver process "
        "when runs go to a Dask cluster, unless a step sets `remote` itself.",
    )


class DagSpec(HookOptions):
    """A DAG: named steps (nodes) and the edges that carry values between them."""

    model_config: ClassVar[ConfigDict] = STRICT

    description: str | None = Field(default=None, description="What the DAG does.")
    nodes: dict[Name, NodeSpec] = Field(
        min_length=1,
        description="Step name -> what it runs. Names are a letter followed by letters, "
        "digits or underscores (at most 64).",
    )
    edges: list[str] = Field(
        default_factory=list,
        description="Edges as chains: `a >> b >> c`; fan-out `a >> [b, c]`; fan-in "
        "`[a, b] >> c`; `a >> b.param` feeds `b`'s parameter `param` explicitly. Without "
        "a parameter, values are wired by type.",
    )
    inputs: Inputs = Field(
        default_factory=dict,
        description="Step name -> {parameter: value}: constant arguments, used when the DAG "
        "runs on its own (`lyth run`, triggers). Sources get their arguments here; other "
        "steps get these on top of what their upstreams wire in.",
    )
    defaults: DagDefaults | None = Field(
        default=None, description="Options every step gets unless it sets its own."
    )
    max_concurrency: Count | None = Field(
        default=None,
        description="Most steps of one run in flight at once (default: no limit).",
    )
    timeout: Duration | None = Field(
        default=None,
        description="Longest a whole run may take, e.g. `2s`, `1h` (child runs included): "
        "then its steps in flight are cancelled and the run fails as timed out.",
    )
    sla: Duration | None = Field(
        default=None,
        description="A run still going, or not completed, this long after its scheduled "
        "time (its start when nothing scheduled it) is late: logged once and `on_late` "
        "called.",
    )


class LythConfig(BaseModel):
    """A lyth.yaml file: storage, DAGs, triggers and namespace entries."""

    model_config: ClassVar[ConfigDict] = STRICT

    version: Annotated[Literal[1], BeforeValidator(integral), BeforeValidator(not_a_bool)] = Field(
        default=1, description="The format version of this file; `1` is the only one."
    )
    storage: StorageSpec = Field(
        default_factory=StorageSpec, description="Where runs, triggers and caches are stored."
    )
    dags: dict[Name, DagSpec] = Field(
        default_factory=dict,
        description="DAG name -> its definition. Names are a letter followed by letters, "
        "digits or underscores (at most 64).",
    )
    triggers: dict[Name, TriggerModel] = Field(
        default_factory=dict,
        description="Trigger name -> what starts a DAG: a cron schedule (`type: cron`, the "
        "default), a file arriving (`type: file`) or a webhook call (`type: webhook`).",
    )
    namespace: list[NamespaceEntry] = Field(
        default_factory=list,
        description="Callables and DAGs registered by reference, as in upstream lythonic "
        "(`type: auto`, `cache` or `fragment`).",
    )
