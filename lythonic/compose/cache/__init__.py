"""Cached namespace nodes: a SQLite table per cached callable, TTL refresh and
push-back. Mounted by ``Namespace.mount``; below ``run/`` and ``graph/``.

Names load on first use (``lythonic._lazy``): importing the package, or one
of its modules, loads only what is asked for.
"""

from typing import TYPE_CHECKING

from lythonic._lazy import lazy_exports

if TYPE_CHECKING:
    from lythonic.compose.cache._cached import (
        DAYS_TO_SECONDS,
        CacheOutlook,
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

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "_store": [
            "CacheTable",
            "CacheTableConflict",
            "pushback_check",
            "pushback_set",
            "quote",
            "thread_connection",
        ],
        "_cached": [
            "DAYS_TO_SECONDS",
            "CacheOutlook",
            "CacheProhibitDirectCall",
            "CacheRefreshPushback",
            "CacheRefreshSuppressed",
            "cache_table_name",
            "generate_cache_table_ddl",
            "invalidate",
            "mount_cached_node",
            "register_cached_callable",
            "table_name_from_path",
        ],
    },
)

__all__ = [
    "DAYS_TO_SECONDS",
    "CacheOutlook",
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
