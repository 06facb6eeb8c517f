"""What ``lyth start --watch`` watches, and what a batch of file events means.

Watched: the config file's directory, and the directories of the project
modules the config loaded (those under the config's directory or its
project root, outside the virtual environment and the data directory) --
each directory on its own, not recursively, so a large project tree or a
busy data directory costs nothing.

An event counts only when it names the config file (or, for a config that
is a symlink such as a Kubernetes ConfigMap, the entry its link goes
through) or a loaded module's file. Editor swap and backup files
(``.lyth.yaml.swp``, ``lyth.yaml~``, ``.#lyth.yaml``, vim's ``4913``) and
everything in the data directory never match. A save that leaves the
content as it was is recognised by its digest and ignored by the caller.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import sys
import sysconfig
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from lythonic.logs import get_logger

__all__ = [
    "ChangeSet",
    "WatchPlan",
    "file_digest",
    "plan_watch",
    "project_modules",
    "watch_changes",
]

log = get_logger("lythonic.engine")

# The engine itself is not "the project's code": editing lythonic while a
# daemon runs from a checkout does not restart it.
_ENGINE_PACKAGES = ("lythonic",)


def file_digest(path: Path) -> str | None:
    """A digest of the file's bytes, or None when it cannot be read (e.g. mid-rename)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _inside(path: Path, roots: Iterable[Path]) -> bool:
    return any(path == r or r in path.parents for r in roots)


def _environment_dirs() -> list[Path]:
    """The standard library and site-packages directories (not the whole prefix: an
    application may live under /usr/src)."""
    paths = sysconfig.get_paths()
    dirs = {Path(paths[k]).resolve() for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    return sorted(dirs)


def project_modules(
    roots: Sequence[Path],
    exclude: Sequence[Path] = (),
    modules: Mapping[str, ModuleType | Any] | None = None,
) -> dict[Path, str]:
    """Loaded modules whose source file lies under ``roots``: ``{file: module name}``.

    Modules of the virtual environment, of ``exclude`` (the data directory)
    and of lythonic itself are left out.
    """
    loaded = dict(modules if modules is not None else sys.modules)
    skip = [*exclude, *_environment_dirs()]
    out: dict[Path, str] = {}
    for name, module in loaded.items():
        if name == "__main__" or name.split(".")[0] in _ENGINE_PACKAGES:
            continue
        file = getattr(module, "__file__", None)
        if not isinstance(file, str) or not file.endswith(".py"):
            continue
        path = Path(file).resolve()
        if _inside(path, roots) and not _inside(path, skip):
            out[path] = name
    return out


def _link_entries(config: Path) -> set[str]:
    """Names in the config's directory that a symlinked config goes through.

    A Kubernetes ConfigMap mounts ``lyth.yaml -> ..data/lyth.yaml`` and
    updates it by swapping the ``..data`` link: that swap is the event to see.
    """
    names: set[str] = set()
    try:
        target = os.readlink(config)
    except OSError:
        return names
    first = Path(target).parts[0] if not os.path.isabs(target) and Path(target).parts else None
    if first not in (None, ".", ".."):
        names.add(first)
    return names


@dataclass(frozen=True)
class ChangeSet:
    """The meaning of one batch of events: the config may have changed, and/or these
    module files did."""

    config: bool = False
    modules: tuple[Path, ...] = ()

    def __bool__(self) -> bool:
        return self.config or bool(self.modules)


@dataclass(frozen=True)
class WatchPlan:
    """The directories to watch and the files in them that matter."""

    config: Path
    config_dir: Path
    config_names: frozenset[str]
    modules: Mapping[Path, str] = field(default_factory=dict)
    digests: Mapping[Path, str | None] = field(default_factory=dict)

    @property
    def dirs(self) -> tuple[Path, ...]:
        """Directories to watch, each non-recursively."""
        found = {self.config_dir, *(p.parent for p in self.modules)}
        return tuple(sorted(found))

    def wants(self, change: object, path: str) -> bool:
        """The watcher's filter: only the config (and its link entries) and loaded modules."""
        p = Path(path)
        if p.parent == self.config_dir and p.name in self.config_names:
            return True
        return p in self.modules

    def classify(self, changes: Iterable[tuple[object, str]]) -> ChangeSet:
        """What a batch of ``(change, path)`` events changed; module files whose bytes
        are unchanged (a touch, an identical save) do not count."""
        config = False
        modules: set[Path] = set()
        for _, path in changes:
            p = Path(path)
            if p.parent == self.config_dir and p.name in self.config_names:
                config = True
            elif p in self.modules and file_digest(p) != self.digests.get(p):
                modules.add(p)
        return ChangeSet(config, tuple(sorted(modules)))


def plan_watch(config: Path, roots: Sequence[Path], exclude: Sequence[Path] = ()) -> WatchPlan:
    """The watch plan of ``config`` with the project modules loaded now."""
    absolute = config if config.is_absolute() else Path.cwd() / config
    config_dir = absolute.parent.resolve()
    modules = project_modules([r.resolve() for r in roots], [e.resolve() for e in exclude])
    return WatchPlan(
        config=absolute,
        config_dir=config_dir,
        config_names=frozenset({absolute.name, *_link_entries(absolute)}),
        modules=modules,
        digests={p: file_digest(p) for p in modules},
    )


async def watch_changes(
    current: Callable[[], WatchPlan],
    stop: asyncio.Event,
    handle: Callable[[WatchPlan, ChangeSet], Awaitable[bool]],
) -> None:
    """Watch ``current()``'s directories until ``stop`` is set; hand every batch of events
    that counts to ``handle``, which returns True when the plan changed (it is then
    watched anew: a reload may have loaded modules from other directories)."""
    from watchfiles import awatch

    while not stop.is_set():
        plan = current()
        try:
            async for changes in awatch(
                *plan.dirs,
                watch_filter=plan.wants,
                recursive=False,
                stop_event=stop,
                step=50,
                debounce=1600,
            ):
                found = plan.classify(changes)
                if found and await handle(plan, found):
                    break
        except Exception:
            log.exception("watching for changes failed; trying again in 5 s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 5)
