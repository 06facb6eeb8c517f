"""Where the engine keeps its files: the ``engine:`` config (storage paths,
logging) and the openers every command uses for the run and trigger stores.
The top compose layer: it may import every layer below.
"""

from lythonic.compose.storage._config import (
    EngineConfig,
    LogConfig,
    StorageConfig,
    resolve_file,
)
from lythonic.compose.storage._open import (
    StoreUnavailable,
    open_provenance,
    open_triggers,
)

__all__ = [
    "EngineConfig",
    "LogConfig",
    "StorageConfig",
    "StoreUnavailable",
    "open_provenance",
    "open_triggers",
    "resolve_file",
]
