"""Cached namespace nodes: TTL refresh, push-back and invalidation.

The code lives in ``lythonic.compose.cache``; this path is the public one.
"""

import random  # noqa: F401 -- upstream's tests patch lythonic.compose.cached.random.random

from lythonic.compose.cache import (
    DAYS_TO_SECONDS,
    CacheProhibitDirectCall,
    CacheRefreshPushback,
    CacheRefreshSuppressed,
    CacheTableConflict,
    cache_table_name,
    generate_cache_table_ddl,
    invalidate,
    mount_cached_node,
    register_cached_callable,
    table_name_from_path,
)
from lythonic.compose.cache._cached import (  # noqa: F401 -- upstream's tests use them
    _pushback_check,
    _pushback_set,
)

__all__ = [
    "DAYS_TO_SECONDS",
    "CacheProhibitDirectCall",
    "CacheRefreshPushback",
    "CacheRefreshSuppressed",
    "CacheTableConflict",
    "cache_table_name",
    "generate_cache_table_ddl",
    "invalidate",
    "mount_cached_node",
    "register_cached_callable",
    "table_name_from_path",
]
