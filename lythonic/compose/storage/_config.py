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

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, field_validator

from lythonic._public import publish
from lythonic.logs import log_to_file, parse_level

__all__ = ["EngineConfig", "LogConfig", "StorageConfig", "resolve_file"]


class LogConfig(BaseModel):
    """Where and how much to log; ``setup_logging()`` applies it.

    ``log_level`` is the root logger's level (default INFO: DEBUG would log
    every SQL statement); ``loggers`` sets levels per logger name. The file
    gets JSON lines through ``lythonic.logs`` (the setup ``lyth`` uses), with
    the run id, DAG and node on every record written inside a run.
    """

    log_file: Path | None = None
    log_level: str = "INFO"
    loggers: dict[str, str] = Field(default_factory=dict)

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        parse_level(value)
        return value.upper()

    @field_validator("loggers")
    @classmethod
    def _known_levels(cls, value: dict[str, str]) -> dict[str, str]:
        for level in value.values():
            parse_level(level)
        return value

    def setup_logging(self) -> None:
        """Log to ``log_file`` (nothing when it is None) and set the levels.

        Calling it again does not add a second handler: the file handler it
        installed before is reused for the same file, replaced for another.
        """
        if self.log_file is None:
            return
        log_to_file(self.log_file, level=self.log_level, loggers=self.loggers)


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


publish("lythonic.compose.engine", LogConfig, StorageConfig, EngineConfig, resolve_file)
