"""Opening a data directory's run and trigger stores: one place for every command.

``lyth`` commands, the daemon and ``Namespace.mount`` open their stores here,
so an unusable store (unreadable, written by a newer lythonic, on a network
file system the settings refuse) fails the same way everywhere: a
``StoreUnavailable`` whose message names the file and the reason, which the
CLI prints as one line (exit 1).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lythonic.compose.provenance import DagProvenance
    from lythonic.compose.schedule import TriggerStore
    from lythonic.compose.schedule._clock import Clock

__all__ = ["StoreUnavailable", "open_provenance", "open_triggers"]


class StoreUnavailable(Exception):
    """A store cannot be opened; ``str()`` is ``cannot open <path>: <reason>``."""

    def __init__(self, path: Path, error: BaseException) -> None:
        super().__init__(f"cannot open {path}: {error}")
        self.path = path
        self.error = error


def open_provenance(path: Path) -> DagProvenance:
    """The run store (provenance) at ``path``."""
    from lythonic.compose.provenance import DagProvenance, ProvenanceSchemaError

    try:
        return DagProvenance(path)
    except (ProvenanceSchemaError, sqlite3.Error, OSError) as e:
        raise StoreUnavailable(path, e) from e


def open_triggers(path: Path, *, clock: Clock | None = None) -> TriggerStore:
    """The trigger store (activations, one event per tick) at ``path``."""
    from lythonic.compose.schedule import TriggerStore, TriggerStoreError

    try:
        return TriggerStore(path, clock=clock)
    except (TriggerStoreError, sqlite3.Error, OSError) as e:
        raise StoreUnavailable(path, e) from e
