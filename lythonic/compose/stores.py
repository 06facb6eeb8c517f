"""Opening the run and trigger stores, with one clear error when a file cannot
be used (``StoreUnavailable``).

The code lives in ``lythonic.compose.storage``; this path is the public one.
"""

from lythonic.compose.storage import (
    StoreUnavailable,
    open_provenance,
    open_triggers,
)

__all__ = ["StoreUnavailable", "open_provenance", "open_triggers"]
