"""Where a daemon of a config keeps its files, found without loading the config.

``lyth status``, ``lyth stop`` and ``lyth runs`` must work while the config
is broken (that is when people ask), and without importing its modules. So
only the ``storage:`` section is read, leniently: whatever cannot be read
falls back to the defaults (``data`` next to the file). While a daemon runs,
its status record names the stores it really uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from lythonic.compose.stores import StoreLocation
from lythonic.declarative import LythSettings, StoragePaths, StorageSpec
from lythonic.declarative._storage import resolve_storage
from lythonic.engine._pidfile import PID_FILE, PidProbe, probe
from lythonic.engine._status import STATUS_FILE, DaemonStatus, read_status

__all__ = [
    "DaemonPlace",
    "config_names",
    "config_triggers",
    "locate",
    "recent_run_ids",
    "storage_of",
]


def _document(config: Path, max_bytes: int) -> dict[str, Any] | None:
    """The file as plain YAML data, or None when it cannot be read as a mapping (or
    is larger than ``max_bytes``: the lenient read must stay cheap)."""
    try:
        if config.stat().st_size > max_bytes:
            return None
        data = yaml.safe_load(config.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _storage_section(config: Path, max_bytes: int) -> dict[str, Any]:
    data = _document(config, max_bytes) or {}
    storage = data.get("storage")
    return storage if isinstance(storage, dict) else {}


def config_triggers(config: Path, max_bytes: int) -> set[str] | None:
    """The trigger names ``config`` declares, read leniently (a file broken elsewhere
    still names them); None when the file cannot be read at all."""
    data = _document(config, max_bytes)
    if data is None:
        return None
    triggers = data.get("triggers")
    if isinstance(triggers, dict):
        return {str(name) for name in triggers}
    if isinstance(triggers, list):  # upstream's list form: [{name: ..., ...}]
        return {str(t["name"]) for t in triggers if isinstance(t, dict) and "name" in t}
    return set()


def config_names(config: Path, max_bytes: int, kind: str, dag: str | None = None) -> list[str]:
    """Names ``config`` declares, read leniently (for shell completion): ``dags``,
    ``triggers``, or ``steps`` (of ``dag``, or of every DAG); [] when unreadable."""
    data = _document(config, max_bytes) or {}
    found = data.get("dags")
    dags: dict[str, Any] = found if isinstance(found, dict) else {}
    if kind == "dags":
        return sorted(str(n) for n in dags)
    if kind == "triggers":
        return sorted(config_triggers(config, max_bytes) or ())
    steps: set[str] = set()
    for name, spec in dags.items():
        if (dag is None or name == dag) and isinstance(spec, dict):
            nodes = spec.get("nodes")
            if isinstance(nodes, dict):
                steps.update(str(n) for n in nodes)
    return sorted(steps)


def recent_run_ids(config: Path, settings: LythSettings, limit: int = 50) -> list[str]:
    """The latest top-level run ids of ``config``'s store, newest first ([] when none)."""
    from lythonic.compose.stores import open_provenance

    db = locate(config, settings).dags_db
    if not db.exists():
        return []
    with open_provenance(db) as prov:
        runs = prov.get_recent_runs(limit, None, top_level_only=True, children=False)
    return [r.run_id for r in runs]


def storage_of(config: Path, settings: LythSettings) -> StoragePaths:
    """The store paths ``config`` declares (defaults where it cannot be read)."""
    base = config.absolute().parent
    if config.exists():
        base = config.resolve().parent
    try:
        section = _storage_section(config, settings.max_config_bytes)
        spec = StorageSpec.model_validate(section)
    except ValidationError:
        spec = StorageSpec()
    return resolve_storage(spec, base, settings)


@dataclass(frozen=True)
class DaemonPlace:
    """A data directory, its pid file checked, its status record read."""

    data_dir: Path
    dags_db: StoreLocation
    triggers_db: StoreLocation
    pid: PidProbe
    status: DaemonStatus | None
    config_triggers: set[str] | None = None
    """The triggers the config file declares (None: the file cannot be read)."""

    @property
    def status_file(self) -> Path:
        return self.data_dir / STATUS_FILE


def locate(config: Path, settings: LythSettings) -> DaemonPlace:
    """The daemon files of ``config``; a running daemon's own store paths win."""
    storage = storage_of(config, settings)
    data_dir = storage.data_dir
    status = read_status(data_dir / STATUS_FILE)
    checked = probe(data_dir / PID_FILE)
    dags_db, triggers_db = storage.runs_store, storage.triggers_store
    running = status is not None and checked.running and status.pid == checked.pid
    if running and storage.url is None and status is not None:
        dags_db = Path(status.dags_db) if status.dags_db else dags_db
        triggers_db = Path(status.triggers_db) if status.triggers_db else triggers_db
    names = config_triggers(config, settings.max_config_bytes)
    return DaemonPlace(data_dir, dags_db, triggers_db, checked, status, names)
