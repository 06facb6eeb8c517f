"""Checking changed project modules before the daemon restarts onto them.

The running interpreter cannot tell whether the new code imports and still
fits the config (its modules are already loaded), so a fresh one runs
``lyth validate --json`` on the config. Only a clean result lets the daemon
restart; otherwise the old code keeps running and the problems are reported
like a failed reload.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from lythonic.engine._status import ReloadResult, diag_text

__all__ = ["PREFLIGHT_TIMEOUT", "preflight"]

PREFLIGHT_TIMEOUT = 120.0


def _validate_command(config: Path) -> list[str]:
    return [sys.executable, "-m", "lythonic.compose.lyth", "validate", "--json", str(config)]


def _result_of(code: int, out: bytes, err: bytes) -> ReloadResult | None:
    if code == 0:
        return None
    try:
        data = json.loads(out.decode("utf-8", "replace"))
        diags = [d for d in data.get("diagnostics", []) if d.get("severity") == "error"]
    except (ValueError, AttributeError):
        diags = []
    if diags:
        return ReloadResult(ok=False, cause="modules", error=diag_text(diags[0]), errors=diags)
    lines = [line for line in err.decode("utf-8", "replace").splitlines() if line.strip()]
    message = lines[-1] if lines else f"`lyth validate` exited with {code}"
    return ReloadResult(ok=False, cause="modules", error=f"the changed modules fail: {message}")


async def preflight(config: Path) -> ReloadResult | None:
    """None when ``config`` (an absolute path) validates in a new interpreter, else
    the failure."""
    timeout = PREFLIGHT_TIMEOUT
    proc = await asyncio.create_subprocess_exec(
        *_validate_command(config),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        return ReloadResult(
            ok=False,
            cause="modules",
            error=f"checking the changed modules took longer than {timeout:g}s (an import hangs?)",
        )
    assert proc.returncode is not None
    return _result_of(proc.returncode, out, err)
