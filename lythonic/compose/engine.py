"""The ``engine:`` section of ``lyth.yaml``: storage paths and logging.

The code lives in ``lythonic.compose.storage``; this path is the public one.
"""

from lythonic.compose.storage import (
    EngineConfig,
    LogConfig,
    StorageConfig,
    resolve_file,
)

__all__ = ["EngineConfig", "LogConfig", "StorageConfig", "resolve_file"]
