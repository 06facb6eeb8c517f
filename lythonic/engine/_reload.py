"""Hot reload: read the config file again and swap it in, or keep the old one and say why.

``Reloader.reload`` is the whole decision:

- the file is missing (an editor between its rename and its write): nothing
  happens, the next event will see the new file;
- its content is the one running (a save without changes, a touch), or the
  one that failed last time: nothing happens (after a failed edit, going
  back to the running content is reported as a successful reload);
- it does not load (YAML, schema, semantics, a disallowed import): the old
  config keeps running and the result carries every problem as
  ``file:line:col: message``;
- it loads: ``apply`` swaps it in and the result names the new revision and
  the triggers added, changed and removed.

Compiling runs in a worker thread, so the scheduler keeps its ticks while a
large file is checked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from lythonic.compose.trigger import TriggerConfigError
from lythonic.declarative import (
    Diagnostic,
    LoadedConfig,
    LythSettings,
    compile_config,
    config_revision,
    read_config_file,
)
from lythonic.engine._status import ReloadResult
from lythonic.engine._triggers import TriggerDiff

__all__ = ["ConfigSource", "Reloader"]


class ConfigSource:
    """The config file: read and compiled the way ``lyth validate`` does."""

    def __init__(self, path: Path, settings: LythSettings) -> None:
        self.path = path
        self.settings = settings
        self.shown = str(path)

    def read(self) -> tuple[str | None, list[Diagnostic]]:
        return read_config_file(self.path, self.shown, self.settings.max_config_bytes)

    def compile(self, text: str) -> tuple[LoadedConfig | None, list[Diagnostic]]:
        """Build ``text`` (imports included) into a runnable config, caches mounted."""
        loaded, diags = compile_config(
            text, file=self.shown, base_dir=self.path.resolve().parent, settings=self.settings
        )
        if loaded is None:
            return None, diags
        loaded = loaded.with_path(self.path)
        loaded.mount_caches()
        return loaded, diags

    def load(self) -> tuple[LoadedConfig | None, list[Diagnostic]]:
        text, problems = self.read()
        return (None, problems) if text is None else self.compile(text)


def _storage_notes(old: LoadedConfig, new: LoadedConfig) -> list[str]:
    a, b = old.storage, new.storage
    notes = []
    if (a.data_dir, a.runs_store, a.triggers_store, a.cache_db, a.log_file) != (
        b.data_dir,
        b.runs_store,
        b.triggers_store,
        b.cache_db,
        b.log_file,
    ):
        notes.append("storage paths changed; they take effect at the next start")
    if (a.log_level, dict(a.loggers)) != (b.log_level, dict(b.loggers)):
        notes.append("log levels changed; they take effect at the next start")
    return notes


class Reloader:
    """Applies edits of the config file to a running daemon (see the module docstring).

    ``apply(new)`` makes ``new`` the running config (``ConfigTriggers.swap``);
    it may raise ``TriggerConfigError``, which counts as a failed reload.
    """

    def __init__(
        self,
        source: ConfigSource,
        current: LoadedConfig,
        apply: Callable[[LoadedConfig], TriggerDiff],
    ) -> None:
        self.source = source
        self.current = current
        self.apply = apply
        self.failed_revision: str | None = None
        self.notes: list[str] = []
        """Warnings of the last applied reload (storage edits that need a restart)."""

    async def reload(self, cause: str) -> ReloadResult | None:
        """Apply the file as it is now; None when there was nothing to do."""
        text, problems = await asyncio.to_thread(self.source.read)
        if text is None:
            if not self.source.path.exists():
                return None  # mid-rename: the event of the new file follows
            return ReloadResult.failed(cause, problems)
        revision = config_revision(text)
        if revision == self.current.revision:
            if self.failed_revision is None:
                return None
            self.failed_revision = None  # the broken edit was undone: say so once
            return ReloadResult(ok=True, cause=cause, revision=revision)
        if revision == self.failed_revision:
            return None
        loaded, diags = await asyncio.to_thread(self.source.compile, text)
        if loaded is None:
            self.failed_revision = revision
            result = ReloadResult.failed(cause, diags)
            result.revision = revision
            return result
        try:
            diff = self.apply(loaded)
        except TriggerConfigError as e:
            self.failed_revision = revision
            return ReloadResult(
                ok=False, cause=cause, revision=revision, error=f"{self.source.shown}: {e}"
            )
        self.notes = _storage_notes(self.current, loaded)
        self.current = loaded
        self.failed_revision = None
        return ReloadResult(
            ok=True,
            cause=cause,
            revision=revision,
            added=diff.added,
            changed=diff.changed,
            removed=diff.removed,
        )
