"""Where the engine keeps its files: the ``engine:`` config (storage paths,
logging) and the openers every command uses for the run and trigger stores.
The top compose layer: it may import every layer below.

Names load on first use (``lythonic._lazy``): importing the package, or one
of its modules, loads only what is asked for.
"""

from typing import TYPE_CHECKING

from lythonic._lazy import lazy_exports

if TYPE_CHECKING:
    from lythonic.compose.storage._config import (
        EngineConfig,
        LogConfig,
        StorageConfig,
        resolve_file,
    )
    from lythonic.compose.storage._open import (
        PgLocation,
        StoreLocation,
        StoreUnavailable,
        current_versions,
        open_provenance,
        open_triggers,
        store_versions,
    )

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "_config": ["EngineConfig", "LogConfig", "StorageConfig", "resolve_file"],
        "_open": [
            "PgLocation",
            "StoreLocation",
            "StoreUnavailable",
            "current_versions",
            "open_provenance",
            "open_triggers",
            "store_versions",
        ],
    },
)

__all__ = [
    "EngineConfig",
    "LogConfig",
    "PgLocation",
    "StorageConfig",
    "StoreLocation",
    "StoreUnavailable",
    "current_versions",
    "open_provenance",
    "open_triggers",
    "resolve_file",
    "store_versions",
]
