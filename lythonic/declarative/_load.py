"""Reading a lyth.yaml: text -> YAML -> config model -> Namespace and Dags -> checks.

``validate_config`` never raises for a problem in the file: it returns every
diagnostic. ``load_config`` raises ``ConfigError`` with all of them, or
returns a ``LoadedConfig`` ready to run.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from lythonic.declarative._build import Builder
from lythonic.declarative._build_namespace import build_namespace
from lythonic.declarative._check import check_config
from lythonic.declarative._config import LoadedConfig, resolve_storage
from lythonic.declarative._diagnostics import ConfigError, Diagnostic
from lythonic.declarative._imports import ImportPolicy, Resolver, code_dirs
from lythonic.declarative._model import LythConfig
from lythonic.declarative._schema_errors import schema_diagnostics
from lythonic.declarative._settings import LythSettings, load_settings
from lythonic.declarative._trigger_checks import trigger_roots
from lythonic.declarative._types import duration_problems
from lythonic.declarative._yaml import load_yaml

__all__ = [
    "compile_config",
    "config_revision",
    "load_config",
    "read_config_file",
    "validate_config",
]


def config_revision(text: str) -> str:
    """The revision of a config text, as runs record it: equal texts, equal revisions."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def read_config_file(
    path: Path, shown: str, max_bytes: int | None = None
) -> tuple[str | None, list[Diagnostic]]:
    """The text of the config file at ``path``, or None and why (``shown`` names it).

    A file over ``max_bytes`` (default: the ``max_config_bytes`` setting) is refused
    before anything is parsed; at most that much is ever read.
    """
    limit = max_bytes if max_bytes is not None else LythSettings().max_config_bytes
    try:
        with path.open("rb") as f:
            data = f.read(limit + 1)
    except FileNotFoundError:
        return None, [Diagnostic(shown, 0, 0, "no such file", "file")]
    except IsADirectoryError:
        return None, [Diagnostic(shown, 0, 0, "is a directory, not a config file", "file")]
    except OSError as e:
        return None, [Diagnostic(shown, 0, 0, f"cannot read: {e.strerror or e}", "file")]
    if len(data) > limit:
        return None, [
            Diagnostic(
                shown,
                0,
                0,
                f"the file is larger than {limit:,} bytes, the most a config may have; "
                "split it, or raise the limit with LYTH_MAX_CONFIG_BYTES",
                "file_size",
            )
        ]
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as e:
        before = data[: e.start]
        line = before.count(b"\n") + 1
        col = e.start - (before.rfind(b"\n") + 1) + 1
        return None, [Diagnostic(shown, line, col, "the file is not UTF-8 text", "file")]


def _on_sys_path(config_dir: Path) -> None:
    # The config's own packages (examples/, mypipelines/ ...) must import the
    # way `python` run from the project would find them. Appended, never
    # prepended: a `wave.py` or `json/` next to a lyth.yaml must not shadow the
    # standard library or installed packages for the program that loads it.
    for directory in code_dirs(config_dir):
        entry = str(directory)
        if entry not in sys.path:
            sys.path.append(entry)


# Problems that are often the consequence of another one (a map left without its
# upstream because an edge names an unknown step, a parameter nothing feeds because
# its upstream could not be built): listed after the others, so the first line
# printed (and a failed reload's summary) is a cause.
_CONSEQUENCES = frozenset(
    {
        "composite_upstreams",
        "sub_dag_shape",
        "missing_input",
        "unfed_param",
        "type_mismatch",
        "ambiguous_input",
        "bad_composite_input",
        "unused_edge",
    }
)


def _root_causes_first(d: Diagnostic) -> tuple[int, int, int, str]:
    return (d.code in _CONSEQUENCES, d.line, d.column, d.message)


def compile_config(
    text: str,
    *,
    file: str = "lyth.yaml",
    base_dir: Path | None = None,
    settings: LythSettings | None = None,
    static: bool = False,
) -> tuple[LoadedConfig | None, list[Diagnostic]]:
    """Check config ``text``; returns the built config (None on errors, or when
    ``static``) and every diagnostic, warnings included.

    ``file`` is the name diagnostics show; ``base_dir`` is the directory
    relative paths and project packages are found in (default: the current one).
    """
    settings = settings if settings is not None else load_settings()
    base = (base_dir or Path.cwd()).resolve()
    data, smap, diags = load_yaml(text, file)
    if data is None and not diags:
        return None, [
            Diagnostic(file, 1, 1, "the file is empty; start with `version: 1`", "schema")
        ]
    if data is None:
        return None, diags
    if not isinstance(data, dict):
        return None, [
            *diags,
            smap.diag((), "the top level must be a mapping of keys", code="schema"),
        ]
    try:
        spec = LythConfig.model_validate(data)
    except ValidationError as e:
        taken = {(d.line, d.column) for d in diags}
        more = [d for d in schema_diagnostics(e, smap) if (d.line, d.column) not in taken]
        return None, sorted([*diags, *more], key=lambda d: (d.line, d.column))
    if diags:
        return None, diags
    too_long = [
        smap.diag(where, message, code="duration") for where, message in duration_problems(data)
    ]
    if too_long:
        return None, too_long

    storage = resolve_storage(spec.storage, base, settings)
    diags.extend(storage.problems(smap))
    if not static:  # a static check imports nothing, so it needs no import path
        _on_sys_path(base)
    policy = ImportPolicy.from_settings(settings, base)
    b = Builder(spec, smap, None if static else Resolver(policy), policy)
    b.base_dir = base
    b.trigger_roots = trigger_roots(settings, base)
    build_namespace(b)
    for name in b.dag_order():
        b.build_dag(name)
    b.register_dags()
    check_config(b)
    diags.extend(b.diagnostics)
    # One place can be reached twice (a step named in two edges of a chain): say it once.
    diags = sorted(dict.fromkeys(diags), key=_root_causes_first)
    if static or any(d.severity == "error" for d in diags):
        return None, diags
    loaded = LoadedConfig(
        spec=spec,
        namespace=b.namespace,
        dags=b.dags,
        settings=settings,
        storage=storage,
        path=None,
        base_dir=base,
        revision=config_revision(text),
        warnings=tuple(diags),
        hooks=b.hooks,
    )
    return loaded, diags


def validate_config(
    path: str | Path,
    *,
    settings: LythSettings | None = None,
    static: bool = False,
) -> list[Diagnostic]:
    """Every problem in the config file at ``path`` (empty when it is valid).

    Imports the referenced modules through the allow-list unless ``static``;
    for that, the config's directory (and project root) is appended to
    ``sys.path``. A static check leaves ``sys.path`` alone.
    """
    _, diags = _compile_file(Path(path), settings, static)
    return diags


def _compile_file(
    path: Path, settings: LythSettings | None, static: bool
) -> tuple[LoadedConfig | None, list[Diagnostic]]:
    shown = str(path)
    limit = settings.max_config_bytes if settings is not None else None
    text, problems = read_config_file(path, shown, limit)
    if text is None:
        return None, problems
    loaded, diags = compile_config(
        text, file=shown, base_dir=path.resolve().parent, settings=settings, static=static
    )
    if loaded is not None:
        loaded = loaded.with_path(path)
    return loaded, diags


def load_config(
    path: str | Path = "lyth.yaml",
    *,
    settings: LythSettings | None = None,
    **overrides: Any,
) -> LoadedConfig:
    """Load, check and build the config file at ``path``.

    >>> cfg = load_config("lyth.yaml")   # the repository's own file
    >>> sorted(cfg.dags)
    ['count_chunk', 'etl', 'monthly_report', 'sales_stats', 'word_count']

    ``asyncio.run(cfg.run("word_count"))`` then runs a DAG and records it.

    ``overrides`` are settings (e.g. ``data_dir=...``) applied over the
    environment's. Raises ``ConfigError`` listing every problem.
    """
    if settings is None:
        settings = load_settings(**overrides)
    elif overrides:
        settings = settings.model_copy(update=overrides)
    loaded, diags = _compile_file(Path(path), settings, static=False)
    if loaded is None:
        raise ConfigError(diags)
    return loaded
