"""File triggers in the daemon: watch a directory, offer each file once it is complete.

A file becomes a *candidate* when the watcher reports it (created, written,
renamed into place) or a scan finds it (at start: files that arrived while the
daemon was down; then every 60 s, in case the kernel dropped events). A
candidate is *ready* once its size and modification time stayed the same for
``stable_for`` (a file still being written keeps changing); ready files are
offered to the trigger manager together, each keyed by its identity (path,
size and mtime, or its content's SHA-256), so a file fires at most once: after
a restart the store answers "duplicate". Hidden, ``.part``, ``.tmp``, ``.swp``
and ``~`` files never fire.

``after: move|delete`` is applied once the run a file started completed; a
failed run leaves it. A file found again whose run completed but which is still
there (the daemon stopped between the run and the move) is moved then.

Directories on network file systems (NFS, CIFS, FUSE) deliver no inotify
events: with ``poll: auto`` they are polled every 2 s, as is any directory
where watching fails (e.g. the inotify watch limit).
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import functools
import hashlib
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lythonic.compose.schedule import TriggerEvent
from lythonic.logs import get_logger

if TYPE_CHECKING:
    from lythonic.compose.schedule import TickOutcome, TriggerManager, TriggerSpec

__all__ = ["FileSource", "FileWatch", "Readiness", "ignored_name"]

log = get_logger("lythonic.engine")

RESCAN_EVERY = 60.0
"""Seconds between full scans of a watched directory (events can be lost)."""
AUTO_POLL = 2.0
"""Seconds between polls of a directory on a network file system (``poll: auto``)."""
_SKIPPED_SUFFIXES = (".part", ".tmp", ".swp", ".swx", ".crdownload", "~")


def ignored_name(name: str) -> bool:
    """Whether a file of this name is never a trigger's file (hidden or half-written).

    >>> [ignored_name(n) for n in ("a.csv", ".a.csv", "a.csv.part", "a.csv~", "4913")]
    [False, True, True, True, False]
    """
    return name.startswith(".") or name.endswith(_SKIPPED_SUFFIXES)


@dataclass
class _Seen:
    signature: tuple[int, int]
    since: float


class Readiness:
    """Which candidate files have stayed unchanged for ``stable_for`` seconds.

    ``check(now)`` stats every candidate (call it off the event loop) and
    returns the ready ones with their ``os.stat_result``; a file that vanished
    is forgotten, one that changed starts its wait again.
    """

    def __init__(self, stable_for: float) -> None:
        self.stable_for = stable_for
        self.pending: dict[str, _Seen | None] = {}

    def add(self, path: str) -> None:
        if path not in self.pending:
            self.pending[path] = None

    def check(self, now: float) -> list[tuple[str, os.stat_result]]:
        ready: list[tuple[str, os.stat_result]] = []
        for path, seen in list(self.pending.items()):
            try:
                st = os.stat(path)
            except OSError:
                del self.pending[path]  # gone (moved away, deleted)
                continue
            if not os.path.isfile(path):
                del self.pending[path]
                continue
            signature = (st.st_size, st.st_mtime_ns)
            if seen is None or seen.signature != signature:
                self.pending[path] = seen = _Seen(signature, now)
            if now - seen.since >= self.stable_for:
                del self.pending[path]
                ready.append((path, st))
        return ready


class FileWatch:
    """One file trigger: its watcher, its scans and its offers."""

    def __init__(
        self,
        spec: TriggerSpec,
        manager: TriggerManager,
        *,
        clock: Callable[[], float] = time.monotonic,
        rescan_every: float = RESCAN_EVERY,
    ) -> None:
        source = spec.source or {}
        self.spec = spec
        self.manager = manager
        self.clock = clock
        self.rescan_every = rescan_every
        self.directory = Path(str(source["path"]))
        self.pattern = str(source.get("pattern", "*"))
        self.recursive = bool(source.get("recursive", False))
        self.identity = str(source.get("identity", "path"))
        self.after = str(source.get("after", "none"))
        self.move_to = Path(str(source["move_to"])) if source.get("move_to") else None
        self.readiness = Readiness(float(source.get("stable_for", 2.0)))
        self.mode = self._mode(source.get("poll", "auto"))
        self.offered: set[str] = set()  # keys offered by this process (not offered again)
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()  # a candidate arrived: the settle loop looks at once
        self._tasks: list[asyncio.Task[Any]] = []

    def _mode(self, poll: Any) -> tuple[str, float]:
        """``("events", 0)`` or ``("polling", interval)``."""
        if poll == "auto":
            from lythonic._filesystem import network_filesystem

            fs = network_filesystem(self.directory) if self.directory.exists() else None
            return ("polling", AUTO_POLL) if fs else ("events", 0.0)
        interval = float(poll)
        return ("polling", interval) if interval > 0 else ("events", 0.0)

    def matches(self, path: str) -> bool:
        name = os.path.basename(path)
        return not ignored_name(name) and fnmatch.fnmatch(name, self.pattern)

    # -- running ------------------------------------------------------------------

    def start(self) -> None:
        if not self.directory.is_dir():
            log.error(
                "a file trigger's directory does not exist",
                trigger=self.spec.name,
                path=str(self.directory),
            )
        self._tasks = [
            asyncio.ensure_future(self._watch()),
            asyncio.ensure_future(self._settle_loop()),
        ]
        log.info(
            "watching a directory for files",
            trigger=self.spec.name,
            path=str(self.directory),
            pattern=self.pattern,
            mode=self.mode[0],
        )

    async def stop(self) -> None:
        self._stop.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def scan(self) -> None:
        """Make every matching file of the directory a candidate."""
        walker = (
            ((d, f) for d, _, fs in os.walk(self.directory) for f in fs)
            if self.recursive
            else ((str(self.directory), e.name) for e in _entries(self.directory))
        )
        for directory, name in walker:
            path = os.path.join(directory, name)
            if self.matches(path):
                self.readiness.add(path)

    async def _watch(self) -> None:
        import watchfiles

        kind, interval = self.mode
        while not self._stop.is_set():
            try:
                async for changes in watchfiles.awatch(
                    self.directory,
                    watch_filter=lambda _change, path: self.matches(path),
                    debounce=50,
                    step=50,
                    stop_event=self._stop,
                    force_polling=kind == "polling",
                    poll_delay_ms=max(1, int(interval * 1000)),
                    recursive=self.recursive,
                    ignore_permission_denied=True,
                ):
                    for change, path in changes:
                        if change != watchfiles.Change.deleted:
                            self.readiness.add(path)
                    self._wake.set()
                return
            except (OSError, RuntimeError) as e:  # a watch limit, a directory not there yet
                if kind == "events":
                    log.warning(
                        "watching a directory failed; polling it instead",
                        trigger=self.spec.name,
                        path=str(self.directory),
                        error=str(e),
                    )
                    kind, interval = self.mode = ("polling", AUTO_POLL)
                else:
                    await asyncio.sleep(AUTO_POLL)  # the directory may come back

    async def _settle_loop(self) -> None:
        """Scan now and every ``rescan_every`` seconds; offer what became ready."""
        tick = min(0.5, max(0.05, self.readiness.stable_for / 4))
        next_scan = 0.0
        while not self._stop.is_set():
            now = self.clock()
            try:
                if now >= next_scan:
                    await asyncio.to_thread(self.scan)
                    next_scan = now + self.rescan_every
                if self.readiness.pending:
                    ready = await asyncio.to_thread(self.readiness.check, self.clock())
                    if ready:
                        await self.offer(ready)
            except Exception as e:  # one bad pass must not end the watch
                log.exception("a file trigger's pass failed", trigger=self.spec.name, error=str(e))
            if self.readiness.pending:
                await asyncio.sleep(tick)
            else:  # nothing to watch settle: sleep until a file comes or the next scan
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), max(tick, next_scan - self.clock()))

    # -- offering -----------------------------------------------------------------

    async def offer(self, ready: list[tuple[str, os.stat_result]]) -> None:
        events = []
        for path, st in ready:
            key = await self._key(path, st)
            if key is None or key in self.offered:
                continue
            self.offered.add(key)
            p = Path(path)
            info = {
                "path": path,
                "name": p.name,
                "stem": p.stem,
                "size": st.st_size,
                "mtime": st.st_mtime,
            }
            settled = functools.partial(self.settle, path)
            events.append(TriggerEvent(key, {"file": info}, settled=settled))
        if not events:
            return
        offers = await self.manager.offer(self.spec.name, events)
        for ev, offer in zip(events, offers, strict=True):
            if offer.status == "duplicate" and self.after != "none":
                await self._after_earlier_run(ev)
            elif offer.status == "inactive":
                self.offered.discard(ev.key)  # offered again once the trigger is active

    async def _key(self, path: str, st: os.stat_result) -> str | None:
        if self.identity == "content":
            try:
                return "sha256:" + await asyncio.to_thread(_sha256, path)
            except OSError:
                return None
        return f"{path}|{st.st_size}|{st.st_mtime_ns}"

    async def _after_earlier_run(self, ev: TriggerEvent) -> None:
        """A file whose run completed before (then the daemon stopped) is moved now."""
        store = self.manager.store
        status = await store.aread(lambda: store.event_status(self.spec.name, ev.key))
        if status == "completed":
            path = str(ev.context["file"]["path"])
            await asyncio.to_thread(self._apply_after, path)

    def settle(self, path: str, outcome: TickOutcome) -> None:
        """After the run of ``path`` (in a worker thread): ``after:`` if it completed."""
        if outcome.status == "completed":
            self._apply_after(path)

    def _apply_after(self, path: str) -> None:
        try:
            if self.after == "delete":
                os.unlink(path)
            elif self.after == "move" and self.move_to is not None:
                self.move_to.mkdir(parents=True, exist_ok=True)
                target = _free_name(self.move_to / os.path.basename(path))
                shutil.move(path, target)
        except FileNotFoundError:
            return  # already moved or deleted by someone
        except OSError as e:
            log.error(
                "a file trigger could not move or delete a file",
                trigger=self.spec.name,
                path=path,
                after=self.after,
                error=str(e),
            )

    def describe(self) -> dict[str, Any]:
        return {
            "path": str(self.directory),
            "pattern": self.pattern,
            "mode": self.mode[0] if self.mode[0] == "events" else f"polling {self.mode[1]:g}s",
        }


def _entries(directory: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(directory) as it:
            return [e for e in it if e.is_file()]
    except OSError:
        return []


def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _free_name(target: Path) -> Path:
    """``target``, or ``name-1.ext``, ``name-2.ext`` … when it is taken."""
    n = 0
    candidate = target
    while candidate.exists():
        n += 1
        candidate = target.with_name(f"{target.stem}-{n}{target.suffix}")
    return candidate


class FileSource:
    """The ``file`` kind of event source: a ``FileWatch`` per file trigger."""

    type = "file"

    def __init__(self, manager: TriggerManager) -> None:
        self.manager = manager
        self.watches: dict[str, FileWatch] = {}

    async def apply(self, specs: dict[str, TriggerSpec]) -> None:
        for name in [n for n in self.watches if n not in specs]:
            await self.watches.pop(name).stop()
        for name, spec in specs.items():
            current = self.watches.get(name)
            if current is not None and current.spec.source == spec.source:
                current.spec = spec
                continue
            if current is not None:
                await current.stop()
            watch = self.watches[name] = FileWatch(spec, self.manager)
            watch.start()

    async def stop(self) -> None:
        for watch in self.watches.values():
            await watch.stop()
        self.watches = {}

    def describe(self) -> dict[str, object]:
        return {name: w.describe() for name, w in sorted(self.watches.items())}
