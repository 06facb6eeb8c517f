"""``Daemon``: the process behind ``lyth start``.

Start: load the config (an invalid one is reported and nothing starts),
take the data directory's pid file, sweep what a dead daemon left
unfinished (runs in the provenance store, ticks in the trigger store), then
activate the triggers and schedule them. The status record
(``lyth.status.json``) says where the daemon is and what it runs.

Signals: SIGTERM or SIGINT stop scheduling and watching, let runs in flight
finish for ``grace`` seconds, record the rest ``interrupted``, close the
stores, remove the pid file and exit 0; a second one exits at once (130; the
next start sweeps). SIGHUP reloads the config and re-reads which triggers
are enabled (``lyth trigger enable|disable`` sends it).

With ``watch``, edits of the config are applied while it runs (see
``_reload``); edits of the project's modules restart the process in place
(same pid) after the new code has passed ``lyth validate`` in a fresh
interpreter -- see docs/engine.md for why a restart and not a module reload.
"""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lythonic.compose.executor import default_executor
from lythonic.compose.provenance import set_capture_level
from lythonic.compose.stores import StoreUnavailable, open_provenance, open_triggers
from lythonic.compose.trigger import (
    TriggerConfigError,
)
from lythonic.declarative import LoadedConfig, LythSettings
from lythonic.declarative._imports import code_dirs
from lythonic.engine._changes import ChangeSet, WatchPlan, file_digest, plan_watch, watch_changes
from lythonic.engine._executor import ExecutorUnavailable, open_executor
from lythonic.engine._pidfile import PID_FILE, DaemonAlreadyRunning, PidFile
from lythonic.engine._preflight import preflight
from lythonic.engine._process import busy_threads, exit_process, reexec, restart_info, run_loop
from lythonic.engine._recorder import EngineRecorder
from lythonic.engine._reload import ConfigSource, Reloader
from lythonic.engine._sources import EventSources
from lythonic.engine._status import (
    STATUS_FILE,
    DaemonStatus,
    ReloadResult,
    diag_text,
    write_status,
)
from lythonic.engine._triggers import ConfigTriggers, TriggerDiff, log_schedule
from lythonic.logs import configure_logging, get_logger

__all__ = ["PID_FILE", "Daemon"]  # PID_FILE: defined in _pidfile, kept here for old imports

log = get_logger("lythonic.engine")

EXIT_OK, EXIT_FAILED, EXIT_KILLED = 0, 1, 130


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _stderr(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


RETENTION_EVERY = 86400.0
"""Seconds between the daemon's passes of ``storage.retention`` (the first at start)."""


class Daemon:
    """Runs the triggers of ``config`` until a signal stops it (``run()``)."""

    def __init__(
        self,
        config: Path,
        settings: LythSettings,
        *,
        watch: bool = False,
        grace: float | None = None,
        report: Callable[[str], None] = _stderr,
        ui: tuple[str, int] | None = None,
    ) -> None:
        self.config = config
        self.settings = settings
        self.watch = watch
        self.ui = ui
        """``(host, port)``: serve the web view (``lyth ui``) on the daemon's loop."""
        self.grace = settings.shutdown_grace if grace is None else grace
        self.report = report
        self.abandoned_threads = 0
        """Sync step calls still running in threads when ``run`` returned; they are
        abandoned (the threads never hold the process)."""
        self._source = ConfigSource(config, settings)
        self._restart_modules: list[str] | None = None
        self._stop_signal: str | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- the process --------------------------------------------------------

    def run(self) -> int:
        """Serve until stopped; the exit code (0 stopped, 1 did not start or failed)."""
        loaded, diags = self._source.load()
        if loaded is None:
            for d in diags:
                self.report(str(d))
            self.report(f"lyth: {self.config}: invalid config; the daemon did not start")
            return EXIT_FAILED
        storage = loaded.storage
        self.pid_file = PidFile(storage.data_dir / PID_FILE)
        try:
            self.pid_file.acquire()
        except DaemonAlreadyRunning as e:
            self.report(f"lyth: {e}")
            return EXIT_FAILED
        except OSError as e:
            self.report(f"lyth: cannot write the pid file {self.pid_file.path}: {e}")
            return EXIT_FAILED
        keep = self.settings.node_logs
        configure_logging(
            level=storage.log_level,
            fmt=self.settings.log_format,
            log_file=storage.log_file,
            loggers=dict(storage.loggers),
            capture=None if keep == "off" else keep,
        )
        set_capture_level(keep)
        self.status = self._first_status(loaded)
        self.status_path = storage.data_dir / STATUS_FILE
        self._write_status()
        code = EXIT_FAILED
        try:
            code = run_loop(self._serve(loaded))
        except KeyboardInterrupt:  # a signal before the handlers were installed
            code = EXIT_KILLED
            self._finish("stopped", {"how": "interrupted during start"})
        except Exception as e:
            log.exception("the daemon failed")
            self._finish("stopped", {"how": "crashed", "error": f"{type(e).__name__}: {e}"})
            self.pid_file.release()
            return EXIT_FAILED
        if self._restart_modules is not None:
            self._reexec()
        self.pid_file.release()
        log.info("daemon stopped", pid=os.getpid(), **(self.status.exit or {}))
        left = default_executor().stats()
        self.abandoned_threads = left.busy + busy_threads()
        if self.abandoned_threads:
            log.warning(
                "sync steps are still running in worker threads; they are abandoned",
                threads=self.abandoned_threads,
                steps=sorted(left.abandoned_by_step),
            )
        return code

    def _first_status(self, loaded: LoadedConfig) -> DaemonStatus:
        storage = loaded.storage
        restart = restart_info()
        status = DaemonStatus(
            pid=os.getpid(),
            started_at=restart.get("started_at") or _now_iso(),
            config=str(self.config.absolute()),
            data_dir=str(storage.data_dir),
            revision=loaded.revision,
            watch=self.watch,
            grace=self.grace,
            log_file=str(storage.log_file),
            dags_db=str(storage.runs_store),
            triggers_db=str(storage.triggers_store),
            restarts=int(restart.get("count", 0)),
        )
        if restart:
            status.last_reload = ReloadResult(ok=True, cause="modules", revision=loaded.revision)
        log.info(
            "daemon starting",
            pid=status.pid,
            config=status.config,
            data_dir=status.data_dir,
            revision=loaded.revision,
            log_file=status.log_file,
            watch=self.watch,
            grace=self.grace,
            restarts=status.restarts,
            replaced_stale_pid=self.pid_file.replaced_pid,
        )
        if restart:
            log.info("restarted to load changed modules", modules=restart.get("modules", []))
        return status

    def _write_status(self) -> None:
        try:
            write_status(self.status_path, self.status)
        except OSError as e:
            log.error("cannot write the status file", path=str(self.status_path), error=str(e))

    def _finish(self, state: str, exit_info: dict[str, Any]) -> None:
        self.status.state = state
        self.status.exit = {"at": _now_iso(), **exit_info}
        self._write_status()

    # -- serving ------------------------------------------------------------

    async def _serve(self, loaded: LoadedConfig) -> int:
        self._stop = asyncio.Event()
        self._watch_stop = asyncio.Event()
        self._reload_lock = asyncio.Lock()
        self._install_signals()
        storage = loaded.storage
        try:
            provenance = open_provenance(storage.runs_store)
        except StoreUnavailable as e:
            return self._cannot_open(e)
        try:
            store = open_triggers(storage.triggers_store)
        except StoreUnavailable as e:
            await asyncio.to_thread(provenance.close)
            return self._cannot_open(e)
        store.owner_id = provenance.owner_id  # what it claims, a peer can tell is ours
        executor = None  # local: the process-wide step threads
        if self.settings.executor != "local":
            try:
                executor = await asyncio.to_thread(open_executor, self.settings)
            except ExecutorUnavailable as e:
                log.error("the executor cannot be used", error=str(e))
                self.report(f"lyth: {e}")
                store.close()
                await asyncio.to_thread(provenance.close)
                self._finish("stopped", {"how": "did not start", "error": str(e)})
                return EXIT_FAILED
            log.info("steps run on Dask", scheduler=getattr(executor, "address", None))
        try:
            # Before the first tick: what a dead daemon left running is interrupted.
            await _sweep(provenance, store, by="a previous daemon")
            recorder = self._recorder = EngineRecorder(provenance)
            manager = self._manager = ConfigTriggers(loaded, store, recorder, executor=executor)
            manager.on_late = self._note_late
            try:
                activation = manager.activate_configured()
            except TriggerConfigError as e:
                log.error("the triggers cannot be scheduled", error=str(e))
                self._finish("stopped", {"how": "did not start", "error": str(e)})
                return EXIT_FAILED
            manager.start()
            log_schedule(manager, activation, loaded.revision)
            sources = self._sources = EventSources(manager, self.settings)
            await sources.apply(manager.specs())
            self.status.sources = sources.describe()
            self._reloader = Reloader(self._source, loaded, self._apply)
            self._plan = self._watch_plan(loaded)
            gc.collect()
            gc.freeze()  # the config's objects never change: keep them out of full collections
            self.status.triggers = sorted(manager.specs())
            self.status.state = "running"
            self._write_status()
            watcher = (
                self._spawn(watch_changes(lambda: self._plan, self._watch_stop, self._on_changes))
                if self.watch
                else None
            )
            if watcher is not None:
                log.info("watching for changes", dirs=[str(d) for d in self._plan.dirs])
            self._spawn(self._track_abandoned())
            if storage.retention is not None:
                self._spawn(self._apply_retention(provenance, storage.retention))
            if storage.url is not None:  # other daemons may share the database
                self._spawn(self._sweep_peers(provenance, store))
            web = await self._serve_ui(storage, manager) if self.ui is not None else None
            await self._stop.wait()
            if web is not None:
                await web.stop()
            return await self._shut_down(manager, recorder, watcher)
        finally:
            store.close()
            await asyncio.to_thread(provenance.close)
            if executor is not None:
                await asyncio.to_thread(executor.close)

    async def _serve_ui(self, storage: Any, manager: ConfigTriggers) -> Any:
        """Start the web view on this loop (its store reads run on worker threads)."""
        from lythonic.engine._web import WebView

        assert self.ui is not None
        host, port = self.ui
        try:
            web = WebView(storage, lambda: manager.snapshot, host, port, self.settings.ui_token)
        except OSError as e:  # the triggers matter more than their view: go on without it
            log.error("the web view cannot start", error=str(e))
            self.report(f"lyth: {e}; the daemon runs without it")
            return None
        await web.start()
        log.info("web view listening", url=web.url)
        return web

    def _cannot_open(self, e: StoreUnavailable) -> int:
        """A store that cannot be used (unwritable, from a newer lythonic): say so, exit 1."""
        log.error("cannot open a store", path=str(e.path), error=str(e.error))
        self.report(f"lyth: {e}")
        self._finish("stopped", {"how": "did not start", "error": f"{e.path}: {e.error}"})
        return EXIT_FAILED

    async def _shut_down(
        self,
        manager: ConfigTriggers,
        recorder: EngineRecorder,
        watcher: asyncio.Task[None] | None,
    ) -> int:
        restarting = self._restart_modules is not None
        self.status.state = "restarting" if restarting else "stopping"
        self._write_status()
        self._watch_stop.set()
        await self._sources.stop()  # no new events: files and deliveries wait for the next start
        if watcher is not None:
            await asyncio.wait([watcher], timeout=2)
            watcher.cancel()
        in_flight = sorted(recorder.in_flight)
        log.info(
            "no new ticks; waiting for the runs in flight",
            runs=in_flight,
            grace=self.grace,
            reason="restart" if restarting else self._stop_signal,
        )
        recorder.stop_reason = (
            f"the daemon stopped before the run finished (grace period {self.grace:g}s)"
        )
        await manager.shutdown(self.grace)
        await recorder.aflush()
        interrupted = sorted(recorder.interrupted)
        if interrupted:
            log.warning("runs interrupted at shutdown", run_ids=interrupted)
        restarting = self._restart_modules is not None  # a signal may have cancelled it
        self._finish(
            "restarting" if restarting else "stopped",
            {
                "how": "restarted" if restarting else "stopped",
                "signal": self._stop_signal,
                "drained": len(in_flight) - len(interrupted),
                "interrupted": interrupted,
            },
        )
        return EXIT_OK

    async def _sweep_peers(self, provenance: Any, store: Any, every: float = 10.0) -> None:
        """On a shared database: mark what a daemon that died left running interrupted
        (its runs by their owner's pid or heartbeat, then their trigger events)."""
        while True:
            await asyncio.sleep(every)
            try:
                await _sweep(provenance, store, by="another daemon")
            except Exception as e:  # the database is away for now: try again later
                log.warning("sweep of a shared store failed", error=str(e))

    async def _apply_retention(
        self, provenance: Any, retention: Any, every: float = RETENTION_EVERY
    ) -> None:
        """``storage.retention``: delete the runs it no longer keeps, at start and daily."""
        from lythonic.compose.provenance import apply_retention
        from lythonic.declarative._storage import retention_rules

        rules = retention_rules(retention)
        while True:
            try:
                result = await asyncio.to_thread(apply_retention, provenance, rules)
                if result.run_ids:
                    log.info(
                        "old runs deleted (storage.retention)",
                        runs=len(result.run_ids),
                        with_children=result.deleted,
                        vacuumed=result.vacuumed,
                    )
            except Exception as e:  # a busy or unreachable store: the next pass tries again
                log.warning("applying storage.retention failed", error=str(e))
            await asyncio.sleep(every)

    async def _track_abandoned(self, every: float = 2.0) -> None:
        """Keep the status record's count of abandoned step calls current."""
        executor = default_executor()
        while True:
            stats = executor.stats()
            seen = {
                "running": stats.abandoned,
                "total": stats.abandoned_total,
                "by_step": stats.abandoned_by_step,
                "threads": stats.threads,
                "limit": stats.limit,
            }
            if seen != self.status.abandoned and (stats.abandoned_total or self.status.abandoned):
                self.status.abandoned = seen
                self._write_status()
            await asyncio.sleep(every)

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # -- signals --------------------------------------------------------------

    def _install_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._on_stop_signal, sig)
        loop.add_signal_handler(signal.SIGHUP, self._on_reload_signal)

    def _on_stop_signal(self, sig: signal.Signals) -> None:
        if self._stop.is_set() and self._stop_signal is None:
            # Stopping to restart for changed modules: stop for good instead.
            self._restart_modules = None
        elif self._stop.is_set():
            self._exit_at_once(sig)
        self._stop_signal = sig.name
        log.info("stop requested", signal=sig.name, grace=self.grace)
        self._stop.set()

    def _exit_at_once(self, sig: signal.Signals) -> None:
        """A second signal: no more waiting. The next start sweeps what is left."""
        recorder = getattr(self, "_recorder", None)
        running = sorted(recorder.in_flight) if recorder is not None else []
        log.warning("second signal: exiting now", signal=sig.name, runs_left_running=running)
        self._finish("killed", {"how": "killed", "signal": sig.name, "left_running": running})
        self.pid_file.release()
        exit_process(EXIT_KILLED, force=True)

    def _on_reload_signal(self) -> None:
        log.info("reload requested", signal="SIGHUP")
        self._spawn(self._reload("signal"))

    # -- reloading ------------------------------------------------------------

    def _apply(self, new: LoadedConfig) -> TriggerDiff:
        if self._stop.is_set():  # a signal came while the file was being checked
            raise TriggerConfigError("not applied: the daemon is stopping")
        return self._manager.swap(new)

    async def _reload(self, cause: str) -> None:
        async with self._reload_lock:
            if self._stop.is_set():
                return
            try:
                result = await self._reloader.reload(cause)
            except Exception:
                log.exception("reloading the config failed")
                return
            if result is None:
                if cause == "signal":  # `lyth trigger enable|disable`: re-read the store
                    self._manager.activate_configured()
                    log.info("trigger states re-read from the store")
                return
            self._record_reload(result)

    async def _note_late(self, summary: Any) -> None:
        """A run passed its sla: `lyth status` lists it (the latest 20); on the loop."""
        entry = {
            "run_id": summary.run_id,
            "dag": summary.dag,
            "trigger": summary.trigger,
            "sla": summary.sla,
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        self.status.late_runs = [*self.status.late_runs, entry][-20:]
        self._write_status()

    async def _apply_sources(self) -> None:
        """Hand the event sources the reloaded triggers; the status says what they serve."""
        await self._sources.apply(self._manager.specs())
        self.status.sources = self._sources.describe()
        self._write_status()

    def _record_reload(self, result: ReloadResult) -> None:
        self.status.last_reload = result
        if result.ok:
            self.status.revision = self._reloader.current.revision
            self.status.triggers = sorted(self._manager.specs())
            self._spawn(self._apply_sources())
            log.info(
                "config reloaded",
                revision=result.revision,
                cause=result.cause,
                added=result.added,
                changed=result.changed,
                removed=result.removed,
            )
            for note in self._reloader.notes:
                log.warning("config note", note=note)
            self._plan = self._watch_plan(self._reloader.current)
        else:
            for problem in result.errors:
                log.error("config problem", problem=diag_text(problem))
            if not result.errors and result.error:
                log.error("config problem", problem=result.error)
            log.error(
                "config not reloaded; the previous config keeps running",
                cause=result.cause,
                running_revision=self.status.revision,
                error=result.error,
            )
        self._write_status()

    # -- watching -------------------------------------------------------------

    def _watch_plan(self, loaded: LoadedConfig) -> WatchPlan:
        exclude = [loaded.storage.data_dir]
        return plan_watch(self.config, code_dirs(loaded.base_dir), exclude)

    async def _on_changes(self, plan: WatchPlan, found: ChangeSet) -> bool:
        """Act on a batch of file events; True when the watch plan changed."""
        if found.modules:
            await self._modules_changed(plan, found.modules)
        elif found.config:
            await self._reload("watch")
        return self._plan is not plan or self._stop.is_set()

    async def _modules_changed(self, plan: WatchPlan, files: tuple[Path, ...]) -> None:
        names = sorted({plan.modules[f] for f in files})
        log.info("project modules changed; checking them in a new process", modules=names)
        async with self._reload_lock:
            if self._stop.is_set():
                return
            result = await preflight(self.config.absolute())
            if result is not None:
                self._plan = replace(plan, digests={p: file_digest(p) for p in plan.modules})
                self._record_reload(result)
                return
            self._restart_modules = names
            log.info("restarting to load the changed modules", modules=names, grace=self.grace)
            self._stop.set()

    def _reexec(self) -> None:
        """Become a fresh ``lyth start`` with the same pid, command line and pid file lock."""
        info = {
            "count": self.status.restarts + 1,
            "started_at": self.status.started_at,
            "modules": self._restart_modules,
        }
        reexec(info, self.pid_file)


async def _sweep(provenance: Any, store: Any, *, by: str) -> None:
    """Mark what dead processes left running interrupted: runs, then their ticks."""
    runs = await asyncio.to_thread(provenance.sweep_interrupted)
    ticks = await store.aread(store.sweep_unfinished)
    if runs or ticks:
        log.warning(
            "swept what a dead daemon left unfinished",
            left_by=by,
            runs_interrupted=len(runs),
            run_ids=runs[:20],
            ticks_interrupted=ticks,
        )
