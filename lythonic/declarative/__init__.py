"""The declarative front end: ``lyth.yaml`` -> checked config -> ``Namespace`` and ``Dag``s.

>>> from lythonic.declarative import load_config
>>> cfg = load_config("lyth.yaml")   # the repository's own file
>>> cfg.dags["word_count"]
Dag(nodes=4, edges=3)

``validate_config`` returns every ``Diagnostic`` instead of raising;
``json_schema()`` is the schema editors use; ``LythSettings`` holds the
trusted settings (``LYTH_*``), among them the import allow-list.

Names load on first use (``lythonic._lazy``): a command that only locates the
stores (``lyth logs``, ``runs``, ``status``) reads the settings and the
``storage:`` section without building the whole config model.
"""

from typing import TYPE_CHECKING

from lythonic._lazy import lazy_exports

if TYPE_CHECKING:
    from lythonic.declarative._config import (
        LoadedConfig,
    )
    from lythonic.declarative._diagnostics import (
        ConfigError,
        Diagnostic,
        UnknownDagError,
    )
    from lythonic.declarative._edges import (
        EdgeDecl,
        EdgeSyntaxError,
        parse_edges,
    )
    from lythonic.declarative._imports import (
        BUILTIN_DENY,
        ImportPolicy,
        RefError,
        Resolver,
    )
    from lythonic.declarative._load import (
        compile_config,
        config_revision,
        load_config,
        read_config_file,
        validate_config,
    )
    from lythonic.declarative._model import (
        CallNodeSpec,
        CronTriggerSpec,
        DagDefaults,
        DagSpec,
        FileTriggerSpec,
        LythConfig,
        MapNodeSpec,
        NsrefNodeSpec,
        RefNodeSpec,
        SwitchNodeSpec,
        SwitchSpec,
        WebhookTriggerSpec,
    )
    from lythonic.declarative._schema import (
        json_schema,
        schema_text,
    )
    from lythonic.declarative._settings import (
        LythSettings,
        SettingsError,
        load_settings,
    )
    from lythonic.declarative._storage import (
        StoragePaths,
        StorageSpec,
    )
    from lythonic.declarative._types import (
        parse_duration,
    )

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "_config": ("LoadedConfig",),
        "_diagnostics": (
            "ConfigError",
            "Diagnostic",
            "UnknownDagError",
        ),
        "_edges": (
            "EdgeDecl",
            "EdgeSyntaxError",
            "parse_edges",
        ),
        "_imports": (
            "BUILTIN_DENY",
            "ImportPolicy",
            "RefError",
            "Resolver",
        ),
        "_load": (
            "compile_config",
            "config_revision",
            "load_config",
            "read_config_file",
            "validate_config",
        ),
        "_model": (
            "CallNodeSpec",
            "CronTriggerSpec",
            "DagDefaults",
            "DagSpec",
            "FileTriggerSpec",
            "LythConfig",
            "MapNodeSpec",
            "NsrefNodeSpec",
            "RefNodeSpec",
            "SwitchNodeSpec",
            "SwitchSpec",
            "WebhookTriggerSpec",
        ),
        "_schema": (
            "json_schema",
            "schema_text",
        ),
        "_settings": (
            "LythSettings",
            "SettingsError",
            "load_settings",
        ),
        "_storage": (
            "StoragePaths",
            "StorageSpec",
        ),
        "_types": ("parse_duration",),
    },
)

__all__ = [
    "BUILTIN_DENY",
    "CallNodeSpec",
    "ConfigError",
    "CronTriggerSpec",
    "DagDefaults",
    "DagSpec",
    "Diagnostic",
    "EdgeDecl",
    "EdgeSyntaxError",
    "FileTriggerSpec",
    "ImportPolicy",
    "LoadedConfig",
    "LythConfig",
    "LythSettings",
    "MapNodeSpec",
    "NsrefNodeSpec",
    "RefError",
    "RefNodeSpec",
    "Resolver",
    "SettingsError",
    "StoragePaths",
    "StorageSpec",
    "SwitchNodeSpec",
    "SwitchSpec",
    "UnknownDagError",
    "WebhookTriggerSpec",
    "compile_config",
    "config_revision",
    "json_schema",
    "load_config",
    "load_settings",
    "parse_duration",
    "parse_edges",
    "read_config_file",
    "schema_text",
    "validate_config",
]
