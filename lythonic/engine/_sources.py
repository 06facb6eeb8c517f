"""``EventSources``: what feeds the daemon's event triggers with events.

A ``type: file`` trigger needs a directory watcher and a ``type: webhook``
trigger the HTTP listener; each kind of source implements ``SourceKind`` and
offers what it sees to the trigger manager (``TriggerManager.offer``), which
claims every event once in the trigger store. The daemon starts the sources
after the scheduler, hands them the new trigger specs after each reload and
stops them (no new events) before it lets the runs in flight finish.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from lythonic.logs import get_logger

if TYPE_CHECKING:
    from lythonic.compose.schedule import TriggerManager, TriggerSpec
    from lythonic.declarative import LythSettings

__all__ = ["EventSources", "SourceKind"]

log = get_logger("lythonic.engine")


class SourceKind(Protocol):
    """One kind of event source (all file watchers, or the webhook listener)."""

    type: str
    """The trigger ``type`` it serves."""

    async def apply(self, specs: dict[str, TriggerSpec]) -> None:
        """Serve exactly these triggers (of its type, enabled) from now on; the first
        call starts the source."""
        ...

    async def stop(self) -> None:
        """Stop offering events (runs already started go on)."""
        ...

    def describe(self) -> dict[str, object]:
        """What ``lyth status`` shows of it (listening address, watched directories …)."""
        ...


class EventSources:
    """The event sources of one daemon, each kind started once it has a trigger."""

    def __init__(self, manager: TriggerManager, settings: LythSettings) -> None:
        self.manager = manager
        self.settings = settings
        self.kinds: dict[str, SourceKind] = {}

    def _make(self, kind: str) -> SourceKind | None:
        """A new source for triggers of ``kind``; None for a kind no source serves."""
        if kind == "file":
            from lythonic.engine._file_trigger import FileSource

            return FileSource(self.manager)
        if kind == "webhook":
            from lythonic.engine._webhook import WebhookSource

            check = getattr(self.manager, "input_problem", None)
            return WebhookSource(self.manager, self.settings, check_inputs=check)
        return None

    async def apply(self, specs: dict[str, TriggerSpec]) -> None:
        """Hand every kind the enabled triggers of its type (after start and each reload)."""
        wanted = {s.type for s in specs.values()}
        for kind in sorted(wanted | set(self.kinds)):
            source = self.kinds.get(kind)
            if source is None:
                if kind not in wanted:
                    continue
                source = self._make(kind)
                if source is None:
                    continue
                self.kinds[kind] = source
            mine = {n: s for n, s in specs.items() if s.type == kind and s.enabled}
            try:
                await source.apply(mine)
            except Exception as e:  # one kind failing leaves the others (and cron) running
                log.exception("an event source failed to start", kind=kind, error=str(e))

    async def stop(self) -> None:
        """Stop every source."""
        for kind, source in self.kinds.items():
            try:
                await source.stop()
            except Exception as e:
                log.exception("an event source failed to stop", kind=kind, error=str(e))

    def describe(self) -> dict[str, dict[str, object]]:
        """Each running kind's ``describe()``."""
        return {kind: source.describe() for kind, source in self.kinds.items()}
