"""What ``lyth executor check`` does: ask every worker what it can import and run."""

from __future__ import annotations

import json
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

from lythonic.cli.commands import EXIT_FAILED, EXIT_OK, Reply, _load
from lythonic.declarative import LythSettings

__all__ = ["check"]


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
