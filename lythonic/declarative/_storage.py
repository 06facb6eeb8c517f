"""The ``storage:`` section of lyth.yaml and where it puts the stores.

Kept apart from the rest of the config model: commands that only read run
history (``lyth logs``, ``runs``, ``status``) locate the stores from this
section alone, without building the whole model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, field_validator

from lythonic.compose.stores import PgLocation, StoreLocation
from lythonic.declarative._diagnostics import Diagnostic
from lythonic.declarative._settings import LythSettings
from lythonic.declarative._types import STRICT, _duration_schema, parse_duration

if TYPE_CHECKING:
    from lythonic.declarative._yaml import SourceMap

__all__ = ["LogLevel", "StoragePaths", "StorageSpec", "resolve_storage"]

LogLevel = Literal[
    "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", "debug", "info", "warning", "error", "critical"
]

_STORE_FILES = (
    ("dags_db", "dags.db"),
    ("triggers_db", "triggers.db"),
    ("cache_db", "cache.db"),
    ("log_file", "lyth.log"),
)


RETENTION_KEYS = ("completed", "failed", "cancelled", "interrupted", "skipped", "default")
"""What ``storage.retention`` may name: a finished run status, or ``default``."""
_RETENTION_SCHEMA: dict[str, Any] = {
    "anyOf": [
        _duration_schema(positive=True),
        {
            "type": "object",
            "properties": {
                k: {
                    **_duration_schema(positive=True),
                    "description": (
                        "How long runs of any status not listed are kept."
                        if k == "default"
                        else f"How long `{k}` runs are kept."
                    ),
                }
                for k in RETENTION_KEYS
            },
            "additionalProperties": False,
        },
        {"type": "null"},
    ]
}


def _retention(value: Any) -> Any:
    """``30d`` or ``{status: 30d, default: 60d}`` in seconds; one message when wrong."""
    if value is None:
        return None
    if isinstance(value, dict):
        unknown = [k for k in value if k not in RETENTION_KEYS]
        if unknown:
            raise ValueError(
                f"retention: {unknown[0]!r} is not a run status; use {', '.join(RETENTION_KEYS)}"
            )
        return {k: _positive(parse_duration(v)) for k, v in value.items()}
    return _positive(parse_duration(value))


def _positive(seconds: Any) -> float:
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds <= 0:
        raise ValueError("retention: give a positive duration such as 30d, 12h")
    return float(seconds)


class StorageSpec(BaseModel):
    """Where runs, triggers and caches are stored, and the engine's log file."""

    model_config: ClassVar[ConfigDict] = STRICT

    data_dir: str | None = Field(
        default=None,
        description="The data directory, relative to this file's directory (default "
        "`data`). `--data` and `LYTH_DATA_DIR` override it.",
    )
    dags_db: str | None = Field(
        default=None,
        description="The run history (provenance) SQLite file, relative to the data "
        "directory (default `dags.db`).",
    )
    triggers_db: str | None = Field(
        default=None,
        description="The trigger state SQLite file, relative to the data directory "
        "(default `triggers.db`).",
    )
    cache_db: str | None = Field(
        default=None,
        description="The cache SQLite file for `type: cache` namespace entries, relative "
        "to the data directory (default `cache.db`).",
    )
    log_file: str | None = Field(
        default=None,
        description="The engine's log file (`lyth start`), relative to the data directory "
        "(default `lyth.log`).",
    )
    log_level: LogLevel | None = Field(
        default=None,
        description="The engine's log level (default `INFO`); `LYTH_LOG_LEVEL` overrides it.",
    )
    loggers: dict[str, LogLevel] = Field(
        default_factory=dict,
        description="Levels for individual loggers, e.g. `{my.module: DEBUG}`.",
    )
    url: str | None = Field(
        default=None,
        description="Keep runs and trigger state in PostgreSQL instead of SQLite files: "
        "`postgresql://user@host:5432/db` (needs `pip install lythonic[postgres]`). No "
        "password here: use `PGPASSWORD`, `~/.pgpass` or the trusted `LYTH_STORAGE_URL`, "
        "which also overrides this. The cache stays in SQLite.",
    )
    db_schema: str | None = Field(
        default=None,
        alias="schema",
        pattern=r"^[a-z_][a-z0-9_]{0,62}$",
        description="The PostgreSQL schema of the tables (default `lythonic`): lower-case "
        "letters, digits and underscores.",
    )

    retention: Annotated[
        float | dict[str, float] | None,
        BeforeValidator(_retention),
        WithJsonSchema(_RETENTION_SCHEMA),
    ] = Field(
        default=None,
        description="How long finished runs are kept (with their steps, values and log "
        "lines): a duration for every run (`30d`), or one per status with `default` for "
        "the others (`{completed: 30d, failed: 90d, default: 60d}`; a status not listed "
        "and no `default`: kept for ever). Applied by `lyth start` once a day and by "
        "`lyth runs prune`.",
    )

    @field_validator("url")
    @classmethod
    def _no_password(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("storage.url takes a postgresql:// URL")
        from urllib.parse import urlsplit

        if urlsplit(value).password is not None:
            raise ValueError(
                "storage.url must not hold a password: put it in PGPASSWORD, ~/.pgpass or "
                "LYTH_STORAGE_URL (a trusted setting) instead"
            )
        return value


def retention_rules(
    retention: float | Mapping[str, float] | None,
) -> list[tuple[float, list[str] | None, list[str]]]:
    """``storage.retention`` as ``(seconds, statuses, exclude)`` rules for pruning:
    ``statuses`` None means every status (less ``exclude``).

    >>> retention_rules({"failed": 90.0, "default": 30.0})
    [(90.0, ['failed'], []), (30.0, None, ['failed'])]
    """
    if retention is None:
        return []
    if not isinstance(retention, Mapping):
        return [(float(retention), None, [])]
    named = [k for k in retention if k != "default"]
    rules: list[tuple[float, list[str] | None, list[str]]] = [
        (float(retention[k]), [k], []) for k in named
    ]
    if "default" in retention:
        rules.append((float(retention["default"]), None, named))
    return rules


@dataclass(frozen=True, slots=True)
class StoragePaths:
    """Absolute locations of the data directory and the stores in it."""

    data_dir: Path
    dags_db: Path
    triggers_db: Path
    cache_db: Path
    log_file: Path
    log_level: str = "INFO"
    loggers: Mapping[str, str] = field(default_factory=dict)
    escapes: tuple[str, ...] = ()
    url: str | None = None
    """A PostgreSQL database for runs and trigger state (None: the SQLite files)."""
    db_schema: str = "lythonic"
    retention: float | Mapping[str, float] | None = None
    """``storage.retention``: seconds, or seconds per status (see ``retention_rules``)."""

    @property
    def runs_store(self) -> StoreLocation:
        """Where runs are recorded: ``dags_db``, or the PostgreSQL schema."""
        return self.dags_db if self.url is None else PgLocation(self.url, self.db_schema)

    @property
    def triggers_store(self) -> StoreLocation:
        """Where trigger state is kept: ``triggers_db``, or the PostgreSQL schema."""
        return self.triggers_db if self.url is None else PgLocation(self.url, self.db_schema)

    def problems(self, smap: SourceMap) -> list[Diagnostic]:
        """Store paths from the file that would leave the data directory."""
        return [
            smap.diag(
                ("storage", key),
                f"storage.{key} must stay inside the data directory ({self.data_dir})",
                code="storage_path",
                hint="give a file name relative to the data directory",
            )
            for key in self.escapes
        ]


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def resolve_storage(storage: StorageSpec, base_dir: Path, settings: LythSettings) -> StoragePaths:
    """Where the stores of ``storage`` live, with the settings' overrides applied.

    The data directory is ``LYTH_DATA_DIR``/``--data`` (relative to the
    current directory), else ``storage.data_dir`` (relative to the config
    file's directory), else ``data`` next to the config file. Store files are
    relative to the data directory and must stay inside it.
    """
    if settings.data_dir is not None:
        data_dir = settings.data_dir.expanduser().resolve()
    elif storage.data_dir:
        data_dir = (base_dir / Path(storage.data_dir).expanduser()).resolve()
    else:
        data_dir = (base_dir / "data").resolve()
    files: dict[str, Path] = {}
    escapes = []
    for key, default in _STORE_FILES:
        given = getattr(storage, key)
        path = (data_dir / (given or default)).resolve()
        if not _inside(path, data_dir) or path == data_dir:
            escapes.append(key)
            path = data_dir / default
        files[key] = path
    level = settings.log_level or (storage.log_level or "INFO").upper()
    loggers = {name: lvl.upper() for name, lvl in storage.loggers.items()}
    return StoragePaths(
        data_dir=data_dir,
        dags_db=files["dags_db"],
        triggers_db=files["triggers_db"],
        cache_db=files["cache_db"],
        log_file=files["log_file"],
        log_level=level,
        loggers=MappingProxyType(loggers),
        escapes=tuple(escapes),
        url=settings.storage_url or storage.url,
        db_schema=storage.db_schema or "lythonic",
        retention=(
            MappingProxyType({str(k): v for k, v in storage.retention.items()})
            if isinstance(storage.retention, dict)
            else storage.retention
        ),
    )
