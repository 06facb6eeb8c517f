"""What ``lyth db status``/``upgrade`` and ``lyth executor check`` do: the environment a
config runs in — its stores' schema versions and the executor's workers."""

from __future__ import annotations

import json
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

from lythonic.cli.commands import EXIT_FAILED, EXIT_OK, Reply, _load
from lythonic.declarative import LythSettings

__all__ = ["check", "status", "upgrade"]


def _stores(config: Path, settings: LythSettings) -> tuple[Any, Any]:
    from lythonic.engine._locate import storage_of

    storage = storage_of(config, settings)
    return storage.runs_store, storage.triggers_store


def _report(config: Path, settings: LythSettings) -> dict[str, Any] | Reply:
    from lythonic.compose.stores import StoreUnavailable, current_versions, store_versions

    runs, triggers = _stores(config, settings)
    try:
        found = store_versions(runs, triggers)
    except StoreUnavailable as e:
        return Reply(EXIT_FAILED, "", [f"lyth: {e}"])
    known = current_versions()
    where = {"provenance": str(runs), "triggers": str(triggers)}
    components = {}
    for name, version in found.items():
        if version is None:
            state = "not created yet"
        elif version < known[name]:
            state = "older: `lyth db upgrade` (or the next start) upgrades it"
        elif version > known[name]:
            state = "newer than this lythonic: upgrade lythonic"
        else:
            state = "current"
        components[name] = {
            "store": where[name],
            "version": version,
            "this_lythonic": known[name],
            "state": state,
        }
    return {"components": components}


def status(config: Path, settings: LythSettings, *, as_json: bool = False) -> Reply:
    """``lyth db status``: each store, its schema version and this lythonic's; exit 1 when
    a store is newer than this lythonic can use."""
    report = _report(config, settings)
    if isinstance(report, Reply):
        return report
    comps = report["components"]
    code = EXIT_FAILED if any(c["state"].startswith("newer") for c in comps.values()) else EXIT_OK
    if as_json:
        return Reply(code, json.dumps(report, indent=2) + "\n", [])
    lines = []
    for name, c in comps.items():
        version = c["version"] if c["version"] is not None else "-"
        lines.append(f"{name:<11} {c['store']}")
        lines.append(
            f"{'':<11} version {version} (this lythonic: {c['this_lythonic']}): {c['state']}"
        )
    return Reply(code, "\n".join(lines) + "\n", [])


def _step(name: str, c: dict[str, Any]) -> str:
    what = "create" if c["version"] is None else f"upgrade from version {c['version']}"
    return f"{name}: {what} to version {c['this_lythonic']} at {c['store']}"


def upgrade(config: Path, settings: LythSettings, *, dry_run: bool = False) -> Reply:
    """``lyth db upgrade``: create or upgrade the stores' tables (forward only, under a
    lock); ``--dry-run`` says what it would do and changes nothing."""
    report = _report(config, settings)
    if isinstance(report, Reply):
        return report
    comps = report["components"]
    newer = [n for n, c in comps.items() if c["state"].startswith("newer")]
    if newer:
        return Reply(
            EXIT_FAILED,
            "",
            [
                f"lyth: {n} at {comps[n]['store']} is newer than this lythonic; upgrade lythonic"
                for n in newer
            ],
        )
    todo = {
        n: c for n, c in comps.items() if c["version"] is None or c["version"] < c["this_lythonic"]
    }
    plan = [_step(n, c) for n, c in todo.items()]
    if not todo:
        return Reply(EXIT_OK, "the stores are current; nothing to do\n", [])
    if dry_run:
        return Reply(EXIT_OK, "would " + "\nwould ".join(plan) + "\n", [])
    from lythonic.compose.stores import StoreUnavailable, open_provenance, open_triggers

    runs, triggers = _stores(config, settings)
    try:
        if "provenance" in todo:
            open_provenance(runs).close()
        if "triggers" in todo:
            open_triggers(triggers).close()
    except StoreUnavailable as e:
        return Reply(EXIT_FAILED, "", [f"lyth: {e}"])
    return Reply(EXIT_OK, "done: " + "\ndone: ".join(plan) + "\n", [])


def check(config: Path, settings: LythSettings, *, as_json: bool = False) -> Reply:
    """Import each step module on every worker; compare versions with this machine's."""
    loaded = _load(config, settings, outcome="nothing was checked")
    if isinstance(loaded, Reply):
        return loaded
    from lythonic.engine._executor import ExecutorUnavailable, open_executor, referenced_modules

    modules = referenced_modules(loaded)
    try:
        executor: Any = open_executor(settings)
    except ExecutorUnavailable as e:
        return Reply(EXIT_FAILED, "", [f"lyth: {e}"])
    try:
        workers = executor.check(modules)
        address = executor.address
    except Exception as e:
        return Reply(EXIT_FAILED, "", [f"lyth: the Dask cluster could not be asked: {e}"])
    finally:
        executor.close()
    here = {"python": platform.python_version(), "lythonic": _version()}
    problems: list[str] = []
    for worker, seen in sorted(workers.items()):
        for module, error in sorted(seen["missing"].items()):
            problems.append(f"lyth: worker {worker} cannot import {module}: {error}")
        for what in ("python", "lythonic"):
            if seen[what] != here[what]:
                problems.append(
                    f"lyth: worker {worker} has {what} {seen[what]}, this machine {here[what]}"
                )
    if not workers:
        problems.append(f"lyth: the Dask cluster at {address} has no workers")
    if as_json:
        out = json.dumps(
            {"scheduler": address, "modules": modules, "here": here, "workers": workers},
            indent=2,
            sort_keys=True,
        )
    else:
        out = (
            f"scheduler {address}: {len(workers)} worker(s), {len(modules)} module(s) "
            f"checked{'' if problems else ', all importable, same versions'}\n"
        )
    return Reply(EXIT_FAILED if problems else EXIT_OK, out + ("\n" if as_json else ""), problems)


def _version() -> str:
    try:
        return metadata.version("lythonic")
    except metadata.PackageNotFoundError:
        return "unknown"
