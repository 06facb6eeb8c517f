"""``Namespace.mount``: attach provenance, caches and logging to a namespace."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from lythonic._events import event
from lythonic.compose.nodes import NamespaceNode, NsCacheConfig

__all__ = ["mount_stores"]

log = logging.getLogger("lythonic.compose.namespace")


def mount_stores(nodes: Iterable[NamespaceNode], storage: Any, current: Any) -> Any:
    """Duck-typed over ``StorageConfig``: ``dags_db``, ``cache_db``, ``setup_logging()``.

    Mounting again with the same ``dags_db`` keeps the provenance store (one
    writer per file and process); with another ``dags_db`` the store this
    mount opened is closed (its writer thread ends) and a new one opened.
    Each cache node is wrapped once per mount.
    """
    # Stores load on first mount: importing the graph stays light.
    from lythonic.compose.cache import mount_cached_node
    from lythonic.compose.provenance import DagProvenance

    dags_db = getattr(storage, "dags_db", None)
    if dags_db is not None and not (
        isinstance(current, DagProvenance) and current.db_path.resolve() == Path(dags_db).resolve()
    ):
        fresh = DagProvenance(Path(dags_db))
        if isinstance(current, DagProvenance):
            current.close()  # commits what is queued, then its writer thread ends
        current = fresh
    cached = [node for node in nodes if isinstance(node.config, NsCacheConfig)]
    cache_db = getattr(storage, "cache_db", None)
    if cache_db is not None:
        for node in cached:
            mount_cached_node(node, Path(cache_db))
    elif cached:
        log.warning(
            "mounted without a cache_db: %d cache node(s) run uncached (%s)",
            len(cached),
            ", ".join(str(n.nsref) for n in cached[:5]),
            extra=event("cache_not_mounted", nodes=[str(n.nsref) for n in cached]),
        )
    setup_logging = getattr(storage, "setup_logging", None)
    if setup_logging is not None:
        setup_logging()
    return current
