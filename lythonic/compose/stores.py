"""Opening the run and trigger stores, with one clear error when a store cannot
be used (``StoreUnavailable``). A store is a SQLite file (a ``Path``) or a
schema of a PostgreSQL database (``PgLocation``).

The code lives in ``lythonic.compose.storage``; this path is the public one.
"""

from lythonic.compose.storage import (
    PgLocation,
    StoreLocation,
    StoreUnavailable,
    current_versions,
    open_provenance,
    open_triggers,
    store_versions,
)

__all__ = [
    "PgLocation",
    "StoreLocation",
    "StoreUnavailable",
    "current_versions",
    "open_provenance",
    "open_triggers",
    "store_versions",
]
