"""The commands behind ``lyth fire`` and ``lyth trigger enable|disable``.

``fire`` runs the trigger's DAG in the calling process (recorded like any
run, and as an event of the trigger); the daemon's overlap policy does not
apply to it. ``enable``/``disable`` change the trigger store and tell a
running daemon with SIGHUP, so it applies the change at once.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from pathlib import Path
from typing import Any

from lythonic._process import run_loop
from lythonic.cli.commands import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    Reply,
    UsageError,
    _check_inputs,
    _load,
    _run_reply,
)
from lythonic.compose.provenance import initiated_by
from lythonic.compose.stores import StoreUnavailable, open_provenance, open_triggers
from lythonic.declarative import ConfigError, LoadedConfig, LythSettings, load_config
from lythonic.declarative._diagnostics import did_you_mean

__all__ = ["CLI_INITIATOR", "backfill", "fire", "parse_payload", "set_enabled"]

CLI_INITIATOR = "cli"
"""``changed_by`` of triggers enabled or disabled with ``lyth trigger``."""


def parse_payload(text: str | None) -> dict[str, Any] | None:
    """The ``--payload`` JSON object, or None when not given."""
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError as e:
        raise UsageError(f"--payload is not valid JSON: {e}") from None
    if not isinstance(value, dict):
        raise UsageError('--payload must be a JSON object, e.g. \'{"step": {"param": 1}}\'')
    return value


def _unknown(name: str, known: list[str]) -> Reply:
    hint = did_you_mean(name, known)
    listing = ", ".join(sorted(known)) or "none"
    return Reply(
        EXIT_USAGE,
        "",
        [
            f"lyth: error: unknown trigger '{name}'"
            + (f"; {hint}" if hint else f" (known: {listing})")
        ],
    )


def _manager(cfg: LoadedConfig, provenance: Any = None, executor: Any = None) -> Any:
    from lythonic.engine import ConfigTriggers

    return ConfigTriggers(
        cfg, open_triggers(cfg.storage.triggers_store), provenance, executor=executor
    )


def _tell_daemon(data_dir: Path) -> str:
    from lythonic.engine import PID_FILE, probe

    checked = probe(data_dir / PID_FILE)
    if not checked.running or checked.pid is None:
        return "no daemon is running; it applies this when it starts"
    try:
        os.kill(checked.pid, signal.SIGHUP)
    except OSError as e:
        return f"could not signal the daemon (pid {checked.pid}): {e}; it applies this at its next tick"
    return f"the running daemon (pid {checked.pid}) applies this now"


def set_enabled(name: str, enabled: bool, config: Path, settings: LythSettings) -> Reply:
    """``lyth trigger enable|disable NAME``: stays so across restarts and reloads.

    It needs the trigger store, not the config: with a broken lyth.yaml (when an
    operator most needs to stop a trigger) it changes the trigger on record and
    says the file is broken.
    """
    try:
        cfg = load_config(config, settings=settings)
    except ConfigError as e:
        return _set_enabled_on_record(name, enabled, config, settings, e)
    try:
        manager = _manager(cfg)
    except StoreUnavailable as e:
        return Reply(EXIT_FAILED, "", [f"lyth: {e}"])
    try:
        specs = manager.specs()
        if name not in specs:
            return _unknown(name, list(specs))
        if enabled and not specs[name].enabled:
            return Reply(
                EXIT_FAILED,
                "",
                [
                    f"lyth: trigger '{name}' is disabled in {config} (`enabled: false`); "
                    "set it to true there"
                ],
            )
        with initiated_by(CLI_INITIATOR):
            if enabled:
                manager.activate(name)
            else:
                if manager.store.get_activation(name) is None:
                    manager.activate(name)  # never ran: record it, disabled
                manager.deactivate(name)
    finally:
        manager.store.close()
    word = "enabled" if enabled else "disabled"
    return Reply(EXIT_OK, f"trigger '{name}' {word}\n", [f"lyth: {_tell_daemon(cfg.data_dir)}"])


def _set_enabled_on_record(
    name: str, enabled: bool, config: Path, settings: LythSettings, error: ConfigError
) -> Reply:
    """``set_enabled`` for a config that does not load: the trigger store only."""
    from lythonic.engine._locate import locate

    place = locate(config, settings)
    problems = [d for d in error.diagnostics if d.severity == "error"]
    broken = (
        f"lyth: note: {config} is invalid ({len(problems)} problem(s), the first: "
        f"{problems[0] if problems else error}); `lyth validate` shows them"
    )
    if not place.triggers_db.exists():
        return Reply(
            EXIT_FAILED, "", [broken, f"lyth: no trigger is on record yet ({place.triggers_db})"]
        )
    try:
        store = open_triggers(place.triggers_db)
    except StoreUnavailable as e:
        return Reply(EXIT_FAILED, "", [f"lyth: {e}"])
    with store, initiated_by(CLI_INITIATOR):
        if not store.set_enabled(name, enabled):
            known = [a["name"] for a in store.get_activations()]
            if name in (place.config_triggers or set()):
                return Reply(
                    EXIT_FAILED,
                    "",
                    [
                        broken,
                        f"lyth: trigger '{name}' never ran, and {config} cannot be read "
                        "to record it; fix the file first",
                    ],
                )
            unknown = _unknown(name, [*known, *(place.config_triggers or [])])
            return Reply(unknown.code, "", [broken, *unknown.stderr])
    word = "enabled" if enabled else "disabled"
    return Reply(
        EXIT_OK,
        f"trigger '{name}' {word}\n",
        [broken, f"lyth: changed on record only; {_tell_daemon(place.data_dir)}"],
    )


def _open_to_run(config: Path, settings: LythSettings) -> tuple[Any, Any, Any, Any] | Reply:
    """The config, its run store, the executor and a trigger manager over them; or the
    ``Reply`` saying which could not be opened (what was opened is closed again)."""
    loaded = _load(config, settings)
    if isinstance(loaded, Reply):
        return loaded
    try:
        provenance = open_provenance(loaded.storage.runs_store)
    except StoreUnavailable as e:
        return Reply(EXIT_FAILED, "", [f"lyth: {e}"])
    from lythonic.engine._executor import ExecutorUnavailable, open_executor

    try:
        executor = open_executor(settings)
    except ExecutorUnavailable as e:
        provenance.close()
        return Reply(EXIT_FAILED, "", [f"lyth: {e}"])
    try:
        manager = _manager(loaded, provenance, executor)
    except StoreUnavailable as e:
        provenance.close()
        executor.close()
        return Reply(EXIT_FAILED, "", [f"lyth: {e}"])
    return loaded, provenance, executor, manager


def fire(
    name: str,
    config: Path,
    settings: LythSettings,
    *,
    payload: dict[str, Any] | None = None,
    as_json: bool = False,
) -> Reply:
    """``lyth fire TRIGGER``: run the trigger's DAG now, in this process."""
    opened = _open_to_run(config, settings)
    if isinstance(opened, Reply):
        return opened
    cfg, provenance, executor, manager = opened
    from lythonic.engine import config_trigger_specs

    try:
        specs = manager.specs()
        spec = specs.get(name)
        if spec is None:
            return _unknown(name, list(specs))
        activation = manager.store.get_activation(name)
        if not spec.enabled or (activation is not None and activation["status"] != "active"):
            why = "in the config (`enabled: false`)" if not spec.enabled else "with `lyth trigger`"
            return Reply(
                EXIT_FAILED,
                "",
                [f"lyth: trigger '{name}' is disabled {why}; enable it to fire it"],
            )
        if activation is None:
            manager.activate(name)
        from lythonic.compose.schedule import templated

        from_event = templated(spec.payload or {}) if payload is None else []
        if from_event:
            return Reply(
                EXIT_USAGE,
                "",
                [
                    f"lyth: error: trigger '{name}' fills {', '.join(from_event)} from the "
                    f"{'file' if spec.type == 'file' else 'request'} that fires it; to fire it "
                    'by hand, give its inputs with --payload \'{"step": {"param": ...}}\''
                ],
            )
        if name in config_trigger_specs(cfg):
            try:
                _check_inputs(
                    cfg, spec.dag_nsref, payload if payload is not None else spec.payload or {}
                )
            except UsageError as e:
                return Reply(EXIT_USAGE, "", [f"lyth: error: {e}"])
        cfg.mount_caches()
        started = time.perf_counter()
        try:
            with initiated_by("manual"):
                result = run_loop(manager.fire(name, payload))
        except KeyboardInterrupt:
            return Reply(
                EXIT_INTERRUPTED,
                "",
                [f"lyth: interrupted; the run of '{name}' is recorded as cancelled"],
            )
        took = time.perf_counter() - started
    finally:
        manager.store.close()
        executor.close()
        with contextlib.suppress(Exception):
            provenance.close()
    return _run_reply(spec.dag_nsref, result, took, cfg.storage.runs_store, as_json)


# -- backfill -----------------------------------------------------------------------


def _window_bound(text: str, zone: str, *, end: bool) -> Any:
    """A ``--from``/``--to`` value: a date (the whole day, in the trigger's zone) or an
    ISO date-time (naive: in the trigger's zone)."""
    from datetime import date, datetime, time, timedelta
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(zone)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        moment = datetime.fromisoformat(text)
        return moment if moment.tzinfo else moment.replace(tzinfo=tz)
    start = datetime.combine(day, time(), tzinfo=tz)
    return start + timedelta(days=1, microseconds=-1) if end else start


def backfill(
    name: str,
    config: Path,
    settings: LythSettings,
    *,
    start: str,
    end: str,
    max_parallel: int = 1,
    dry_run: bool = False,
    rerun_failed: bool = False,
    force: bool = False,
    as_json: bool = False,
    progress: Any = None,
) -> Reply:
    """``lyth backfill TRIGGER --from --to``: the ticks the schedule would have fired."""
    from lythonic.engine._backfill import plan_backfill

    opened = _open_to_run(config, settings)
    if isinstance(opened, Reply):
        return opened
    cfg, provenance, executor, manager = opened
    store = manager.store
    try:
        specs = manager.specs()
        spec = specs.get(name)
        if spec is None:
            return _unknown(name, list(specs))
        if not spec.scheduled:
            return Reply(
                EXIT_USAGE,
                "",
                [f"lyth: error: trigger '{name}' has no cron schedule to backfill ({spec.type})"],
            )
        try:
            lo = _window_bound(start, spec.timezone, end=False)
            hi = _window_bound(end, spec.timezone, end=True)
        except ValueError as e:
            return Reply(EXIT_USAGE, "", [f"lyth: error: --from/--to: {e} (use e.g. 2026-11-01)"])
        if hi < lo:
            return Reply(EXIT_USAGE, "", ["lyth: error: --to is before --from"])
        activation = store.get_activation(name)
        if activation is not None and activation["status"] != "active":
            return Reply(
                EXIT_FAILED,
                "",
                [f"lyth: trigger '{name}' is disabled; enable it to backfill it"],
            )
        events = {
            e["scheduled_at"]: e for e in store.get_events(name) if e["scheduled_at"] is not None
        }
        ticks = plan_backfill(spec, lo, hi, events, rerun_failed=rerun_failed, force=force)
        if not dry_run and any(t.action != "skip" for t in ticks):
            if activation is None:
                manager.activate(name)
            _run_ticks(cfg, spec, ticks, store, provenance, executor, max_parallel, progress)
    except KeyboardInterrupt:
        return Reply(
            EXIT_INTERRUPTED,
            "",
            [f"lyth: interrupted; run the same command again to finish the rest of {name}"],
        )
    finally:
        store.close()
        executor.close()
        with contextlib.suppress(Exception):
            provenance.close()
    return _backfill_reply(name, ticks, dry_run, as_json)


def _run_ticks(
    cfg: LoadedConfig,
    spec: Any,
    ticks: list[Any],
    store: Any,
    provenance: Any,
    executor: Any,
    max_parallel: int,
    progress: Any,
) -> None:
    from types import SimpleNamespace

    from lythonic.compose.provenance import RunNotFound, RunNotRestartable
    from lythonic.engine._backfill import run_backfill

    cfg.mount_caches()
    # A run a stopped backfill left `running` (its process is gone) can be resumed.
    provenance.sweep_interrupted()

    async def run_fresh(tick: Any) -> Any:
        with initiated_by("backfill"):
            return await cfg.run(
                spec.dag_nsref,
                spec.payload,
                provenance=provenance,
                executor=executor,
                trigger=spec.name,
                run_id=tick.run_id,
                scheduled_at=tick.at,
            )

    async def restart(tick: Any) -> Any:
        try:
            return await cfg.runner(spec.dag_nsref, provenance, executor=executor).restart(
                tick.run_id, force=True
            )
        except RunNotFound:  # claimed, then stopped before the run began
            return await run_fresh(tick)
        except RunNotRestartable:
            recorded = provenance.get_run(tick.run_id) or {}
            if recorded.get("status") != "completed":
                raise
            # The run completed though its event says otherwise (a daemon stopped
            # between the two records): nothing to run again.
            return SimpleNamespace(status="completed", run_id=tick.run_id, error=None)

    def forget(tick: Any) -> None:
        provenance.delete_runs([tick.run_id])

    todo = sum(t.action != "skip" for t in ticks)
    done: list[Any] = []

    def on_done(tick: Any) -> None:
        done.append(tick)
        if progress is not None:
            progress(f"[{len(done)}/{todo}] {tick.run_id} {tick.status}")

    run_loop(
        run_backfill(
            ticks,
            spec,
            store,
            run_fresh,
            restart,
            forget,
            max_parallel=max_parallel,
            on_done=on_done,
        )
    )


def _backfill_reply(name: str, ticks: list[Any], dry_run: bool, as_json: bool) -> Reply:
    if as_json:
        rows = [
            {
                "scheduled_at": t.at.isoformat(),
                "run_id": t.run_id,
                "action": t.action,
                "why": t.why or None,
                "status": t.status,
            }
            for t in ticks
        ]
        return Reply(EXIT_OK, json.dumps({"dry_run": dry_run, "ticks": rows}, indent=2) + "\n")
    lines = [
        f"{t.at.isoformat()}  {t.run_id}  "
        + (t.action if dry_run else (t.status or t.action))
        + (f" ({t.why})" if t.why else "")
        for t in ticks
    ]
    ran = [t for t in ticks if t.status is not None]
    failed = [t for t in ran if t.status != "completed"]
    if dry_run:
        summary = (
            f"lyth: {name}: {len(ticks)} tick(s), {sum(t.action != 'skip' for t in ticks)} "
            "would run (dry run: nothing ran)"
        )
    else:
        summary = f"lyth: {name}: {len(ticks)} tick(s), {len(ran)} ran, {len(failed)} not completed"
    return Reply(EXIT_FAILED if failed else EXIT_OK, "".join(s + "\n" for s in lines), [summary])
