"""Trusted settings: ``LYTH_*`` environment variables and an optional settings file.

These are set by whoever deploys lythonic, never by ``lyth.yaml`` itself:
the import allow-list lives here so that editing the YAML cannot widen what
it may import. Precedence: explicit arguments (CLI options), then the
environment, then the settings file (TOML, named by ``LYTH_SETTINGS_FILE``).

A plain pydantic model gathers its values itself (``_sources``): every
command builds these settings first, and pydantic-settings' import (~85 ms
here, most of it providers lythonic does not use) cost each command more
than the rest of locating its stores.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

__all__ = ["SETTINGS_FILE_ENV", "LythSettings", "SettingsError", "load_settings"]

SETTINGS_FILE_ENV = "LYTH_SETTINGS_FILE"

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class SettingsError(Exception):
    """The environment or the settings file holds an invalid setting."""


_ENV_PREFIX = "LYTH_"


def _sources(fields: Any) -> dict[str, Any]:
    """The values the environment and the settings file give, environment first:
    ``LYTH_<FIELD>`` (any case, as the shell allows), then the TOML file's keys."""
    found: dict[str, Any] = {}
    settings_file = os.environ.get(SETTINGS_FILE_ENV)
    if settings_file and Path(settings_file).is_file():  # a missing one: load_settings says so
        import tomllib

        with open(settings_file, "rb") as f:
            found.update(tomllib.load(f))
    names = {name.upper(): name for name in fields}
    for key, value in os.environ.items():
        upper = key.upper()
        if upper.startswith(_ENV_PREFIX) and upper[len(_ENV_PREFIX) :] in names:
            found[names[upper[len(_ENV_PREFIX) :]]] = value
    return found


class LythSettings(BaseModel):
    """Deployment settings of lythonic (``LYTH_<NAME>`` environment variables).

    >>> LythSettings(allow_imports="mypkg, other.pipelines").allow_imports
    ['mypkg', 'other.pipelines']
    """

    model_config: ClassVar[ConfigDict] = ConfigDict(extra="forbid", validate_default=True)

    def __init__(self, **values: Any) -> None:
        super().__init__(**{**_sources(type(self).model_fields), **values})

    config: Path = Field(
        default=Path("lyth.yaml"),
        description="The config file the commands read (`LYTH_CONFIG`).",
    )
    data_dir: Path | None = Field(
        default=None,
        description="The data directory (`LYTH_DATA_DIR`); overrides `storage.data_dir`.",
    )
    log_level: LogLevel | None = Field(
        default=None,
        description="The log level (`LYTH_LOG_LEVEL`); overrides `storage.log_level`.",
    )
    log_format: Literal["auto", "console", "json"] = Field(
        default="auto",
        description="Log lines for people (`console`), for machines (`json`), or `auto`: "
        "console on a terminal, JSON otherwise (`LYTH_LOG_FORMAT`).",
    )
    allow_imports: list[str] = Field(
        default_factory=list,
        description="Module prefixes lyth.yaml may import from, comma-separated in "
        "`LYTH_ALLOW_IMPORTS` (e.g. `mypkg,shared.pipelines`); `*` allows every module "
        "not on the deny list, which lets the YAML's author run arbitrary code.",
    )
    deny_imports: list[str] = Field(
        default_factory=list,
        description="Module prefixes never imported, on top of the built-in deny list "
        "(`LYTH_DENY_IMPORTS`).",
    )
    allow_project_packages: bool = Field(
        default=True,
        description="Also allow the packages (directories with `__init__.py`) next to "
        "lyth.yaml (`LYTH_ALLOW_PROJECT_PACKAGES`).",
    )
    shutdown_grace: float = Field(
        default=10.0,
        ge=0,
        description="Seconds `lyth start` lets runs in flight finish after SIGTERM or "
        "SIGINT before it marks them interrupted (`LYTH_SHUTDOWN_GRACE`).",
    )

    max_config_bytes: int = Field(
        default=2 * 1024 * 1024,
        ge=1024,
        description="The largest lyth.yaml the commands and the daemon read, in bytes "
        "(`LYTH_MAX_CONFIG_BYTES`, default 2 MiB, about 20,000 steps); a larger file is "
        "refused before it is parsed.",
    )
    network_fs: Literal["warn", "refuse", "ignore"] = Field(
        default="warn",
        description="What opening a store on a network file system (NFS, SMB, FUSE), where "
        "SQLite's locking is unreliable, does: log a warning, refuse with an error, or "
        "nothing (`LYTH_NETWORK_FS`).",
    )
    storage_url: str | None = Field(
        default=None,
        description="A PostgreSQL database for runs and trigger state, e.g. "
        "`postgresql://lyth:secret@db:5432/pipelines` (`LYTH_STORAGE_URL`); overrides "
        "`storage.url` and may hold the password.",
    )
    executor: Literal["local", "dask"] = Field(
        default="local",
        description="Where sync steps run: `local` (threads of the lyth process) or `dask` "
        "(a Dask cluster; needs `pip install lythonic[dask]`) (`LYTH_EXECUTOR`; "
        "`--executor` on the command line wins).",
    )
    dask_address: str | None = Field(
        default=None,
        description="The Dask scheduler to send steps to, e.g. `tcp://10.0.0.5:8786` "
        "(`LYTH_DASK_ADDRESS`); unset: a local cluster of worker processes is started. The "
        "driver unpickles what the cluster returns: point it only at a cluster you trust.",
    )
    dask_workers: int | None = Field(
        default=None,
        ge=1,
        description="Worker processes of the local Dask cluster (`LYTH_DASK_WORKERS`; "
        "default: one per CPU). Ignored with `LYTH_DASK_ADDRESS`.",
    )

    node_logs: Literal["off", "warning", "info", "debug"] = Field(
        default="info",
        description="What steps log that is kept with their run (`lyth logs`): lines at "
        "this level and above, or nothing (`LYTH_NODE_LOGS`). Lines below the process's "
        "own log level are kept too: the console shows what `LYTH_LOG_LEVEL` asks.",
    )
    ui_host: str = Field(
        default="127.0.0.1",
        description="Where `lyth ui` and `lyth start --ui` listen (`LYTH_UI_HOST`; "
        "`--host` wins). A host other than loopback needs `LYTH_UI_TOKEN`.",
    )
    ui_port: int = Field(
        default=8765,
        ge=0,
        le=65535,
        description="The web view's port (`LYTH_UI_PORT`; `--port` wins; 0: any free port).",
    )
    ui_token: str | None = Field(
        default=None,
        min_length=16,
        description="A secret the web view asks for (`LYTH_UI_TOKEN`, at least 16 characters): "
        "as `Authorization: Bearer …` or once as `?token=…`, then kept in an HttpOnly cookie.",
    )

    file_trigger_roots: list[Path] = Field(
        default_factory=list,
        description="Directories `type: file` triggers may watch (and move files to), "
        f"separated by `{os.pathsep}` in `LYTH_FILE_TRIGGER_ROOTS`; a trigger's `path` must "
        "lie under one of them. Unset: the directory of lyth.yaml.",
    )
    webhook_host: str = Field(
        default="127.0.0.1",
        description="Where `lyth start` listens for `type: webhook` calls "
        "(`LYTH_WEBHOOK_HOST`); put a TLS proxy in front to receive calls from elsewhere.",
    )
    webhook_port: int = Field(
        default=8766,
        ge=0,
        le=65535,
        description="The webhook listener's port (`LYTH_WEBHOOK_PORT`; 0: any free port, "
        "written to the daemon's status).",
    )
    webhook_max_body: int = Field(
        default=1024 * 1024,
        ge=1,
        description="The largest webhook request body accepted, in bytes "
        "(`LYTH_WEBHOOK_MAX_BODY`, default 1 MiB); a larger one gets 413.",
    )

    webhook_rate: float = Field(
        default=50.0,
        gt=0,
        description="Requests a second each webhook trigger accepts on average, twice as "
        "many at once (`LYTH_WEBHOOK_RATE`); more get 429 with Retry-After.",
    )

    @field_validator("file_trigger_roots", mode="before")
    @classmethod
    def _split_paths(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part for part in value.split(os.pathsep) if part.strip()]
        return value

    @field_validator("allow_imports", "deny_imports", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                import json

                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("allow_imports", "deny_imports")
    @classmethod
    def _prefixes(cls, value: list[str]) -> list[str]:
        import re

        for prefix in value:
            if prefix != "*" and not re.match(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_]\w*)*$", prefix):
                raise ValueError(f"{prefix!r} is not a module prefix like 'pkg' or 'pkg.sub'")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


def load_settings(**overrides: Any) -> LythSettings:
    """Settings from the environment and the settings file; ``overrides`` win.

    Raises ``SettingsError`` with the variable (or file key) and what is wrong.
    """
    settings_file = os.environ.get(SETTINGS_FILE_ENV)
    if settings_file and not Path(settings_file).is_file():
        raise SettingsError(f"{SETTINGS_FILE_ENV}={settings_file}: no such file")
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return LythSettings(**given)
    except ValidationError as e:
        problems = []
        for err in e.errors():
            field = str(err["loc"][0]) if err["loc"] else "?"
            where = f"LYTH_{field.upper()}"
            if settings_file:
                where += f" (or '{field}' in {settings_file})"
            problems.append(f"{where}: {err['msg']}")
        raise SettingsError("invalid settings: " + "; ".join(problems)) from None
    except ValueError as e:  # e.g. a settings file that is not valid TOML
        raise SettingsError(f"invalid settings: {e}") from None
