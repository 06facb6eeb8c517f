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
from lythonic.compose._provenance_store import initiated_by
from lythonic.declarative import LoadedConfig, LythSettings
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


def _manager(cfg: LoadedConfig, provenance: Any = None) -> Any:
    from lythonic.compose.trigger import TriggerStore
    from lythonic.engine import ConfigTriggers

    return ConfigTriggers(cfg, TriggerStore(cfg.storage.triggers_db), provenance)


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
    """``lyth trigger enable|disable NAME``: stays so across restarts and reloads."""
    loaded = _load(config, settings, outcome="nothing was changed")
    if isinstance(loaded, Reply):
        return loaded
    cfg = loaded
    manager = _manager(cfg)
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
    from lythonic.compose.dag_provenance import DagProvenance
    from lythonic.engine import config_trigger_specs

    try:
        provenance = DagProvenance(cfg.storage.dags_db)
    except Exception as e:
        return Reply(EXIT_FAILED, "", [f"lyth: cannot open {cfg.storage.dags_db}: {e}"])
    manager = _manager(cfg, provenance)
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
        with contextlib.suppress(Exception):
            provenance.close()
    return _run_reply(spec.dag_nsref, result, took, cfg.storage.dags_db, as_json)
