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

__all__ = ["CLI_INITIATOR", "fire", "parse_payload", "set_enabled"]

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


def fire(
    name: str,
    config: Path,
    settings: LythSettings,
    *,
    payload: dict[str, Any] | None = None,
    as_json: bool = False,
) -> Reply:
    """``lyth fire TRIGGER``: run the trigger's DAG now, in this process."""
    loaded = _load(config, settings)
    if isinstance(loaded, Reply):
        return loaded
    cfg = loaded
    from lythonic.engine import config_trigger_specs

    try:
        provenance = open_provenance(cfg.storage.runs_store)
    except StoreUnavailable as e:
        return Reply(EXIT_FAILED, "", [f"lyth: {e}"])
    from lythonic.engine._executor import ExecutorUnavailable, open_executor

    try:
        executor = open_executor(settings)
    except ExecutorUnavailable as e:
        provenance.close()
        return Reply(EXIT_FAILED, "", [f"lyth: {e}"])
    try:
        manager = _manager(cfg, provenance, executor)
    except StoreUnavailable as e:
        provenance.close()
        executor.close()
        return Reply(EXIT_FAILED, "", [f"lyth: {e}"])
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
