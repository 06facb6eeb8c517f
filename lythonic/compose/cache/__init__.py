"""Cached namespace nodes: a SQLite table per cached callable, TTL refresh and
push-back. Mounted by ``Namespace.mount``; below ``run/`` and ``graph/``.
"""

from lythonic.compose.cache._cached import (
    DAYS_TO_SECONDS,
    CacheProhibitDirectCall,
    CacheRefreshPushback,
    CacheRefreshSuppressed,
    cache_table_name,
    generate_cache_table_ddl,
    invalidate,
    mount_cached_node,
    register_cached_callable,
    table_name_from_path,
)
from lythonic.compose.cache._store import (
    CacheTable,
    CacheTableConflict,
    pushback_check,
    pushback_set,
    quote,
    thread_connection,
)

__all__ = [
    "DAYS_TO_SECONDS",
    "CacheProhibitDirectCall",
    "CacheRefreshPushback",
    "CacheRefreshSuppressed",
    "CacheTable",
    "CacheTableConflict",
    "cache_table_name",
    "generate_cache_table_ddl",
    "invalidate",
    "mount_cached_node",
    "pushback_check",
    "pushback_set",
    "quote",
    "register_cached_callable",
    "table_name_from_path",
    "thread_connection",
]
