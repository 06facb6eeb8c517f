"""The engine configuration upstream lythonic reads from ``lyth.yaml``.

``EngineConfig`` holds ``storage`` (where the provenance, trigger and cache
databases and the log file live) and the ``namespace`` entries.
``Namespace.mount(storage)`` wires a ``StorageConfig`` into a namespace.

>>> from pathlib import Path
>>> s = StorageConfig(dags_db=Path("runs.db"))
>>> s.resolve_paths(Path("/data"))
>>> str(s.dags_db), str(s.cache_db), str(s.log_file)
('/data/runs.db', '/data/cache.db', '/data/lyth.log')
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, field_validator

__all__ = ["EngineConfig", "LogConfig", "StorageConfig", "resolve_file"]

_FORMAT = "%(asctime)s %(levelname)-8s [%(name)s] run=%(run_id)s node=%(node_label)s %(message)s"
_MARK = "_lythonic_log_file"


def _level(name: str) -> int:
    level = logging.getLevelName(name.upper())
    if not isinstance(level, int):
        raise ValueError(f"unknown log level {name!r}; use DEBUG, INFO, WARNING, ERROR or CRITICAL")
    return level


class LogConfig(BaseModel):
    """Where and how much to log; ``setup_logging()`` applies it.

    ``log_level`` is the root logger's level (default INFO: DEBUG would log
    every SQL statement); ``loggers`` sets levels per logger name.
    """

    log_file: Path | None = None
    log_level: str = "INFO"
    loggers: dict[str, str] = Field(default_factory=dict)

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        _level(value)
        return value.upper()

    @field_validator("loggers")
    @classmethod
    def _known_levels(cls, value: dict[str, str]) -> dict[str, str]:
        for level in value.values():
            _level(level)
        return value

    def setup_logging(self) -> None:
        """Log to ``log_file`` (nothing when it is None) and set the levels.

        Calling it again does not add a second handler: the file handler it
        installed before is reused for the same file, replaced for another.
        """
        if self.log_file is None:
            return
        from lythonic.compose.log_context import NodeRunLogFilter

        path = self.log_file.resolve()
        root = logging.getLogger()
        ours = [h for h in root.handlers if getattr(h, _MARK, None) is not None]
        if not any(getattr(h, _MARK) == path for h in ours):
            for old in ours:
                root.removeHandler(old)
                old.close()
            path.parent.mkdir(parents=True, exist_ok=True)
            handler = logging.FileHandler(path, encoding="utf-8")
            handler.addFilter(NodeRunLogFilter())
            handler.setFormatter(logging.Formatter(_FORMAT))
            setattr(handler, _MARK, path)
            root.addHandler(handler)
        root.setLevel(_level(self.log_level))
        for name, level in self.loggers.items():
            logging.getLogger(name).setLevel(_level(level))


def resolve_file(root: Path, path: Path | None, default_name: str) -> Path:
    """``path`` if absolute, else under ``root``; ``root/default_name`` when None."""
    if path is None:
        return root / default_name
    return path if path.is_absolute() else root / path


class StorageConfig(LogConfig):
    """Database paths: ``cache_db``, ``dags_db`` (provenance), ``triggers_db``."""

    cache_db: Path | None = None
    dags_db: Path | None = None
    triggers_db: Path | None = None

    def get_cache_db(self, root: Path) -> Path:
        return resolve_file(root, self.cache_db, "cache.db")

    def get_dags_db(self, root: Path) -> Path:
        return resolve_file(root, self.dags_db, "dags.db")

    def get_triggers_db(self, root: Path) -> Path:
        return resolve_file(root, self.triggers_db, "triggers.db")

    def resolve_paths(self, root: Path) -> None:
        """Make every path absolute under the data directory ``root``, defaults included."""
        self.cache_db = self.get_cache_db(root)
        self.dags_db = self.get_dags_db(root)
        self.triggers_db = self.get_triggers_db(root)
        self.log_file = resolve_file(root, self.log_file, "lyth.log")


class EngineConfig(BaseModel):
    """``lyth.yaml`` as upstream reads it: ``storage`` and ``namespace`` entries;
    other keys are ignored."""

    storage: StorageConfig = Field(default_factory=StorageConfig)
    namespace: list[dict[str, Any]] = Field(default_factory=list)
