"""Side-by-side benchmark: lythonic (this checkout) vs plain asyncio vs upstream
``lythonic==0.0.28`` from PyPI.

    make bench            # or: .venv/bin/python bench/run.py [WORKLOAD ...]

The upstream package is installed once into ``bench/.upstream-venv``. Every
workload runs in a fresh process per implementation (peak RSS stays
per-workload). Times are medians; see ``workloads.py`` for what each does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
UPSTREAM_VENV = HERE / ".upstream-venv"
UPSTREAM_VERSION = "0.0.28"

WORKLOADS = {
    "W1": "chain of 1,000 async nodes (us/node)",
    "W2": "1 source -> 1,000 parallel -> 1 sink (us/node)",
    "W3": "map over 10,000 items, 2-step sub-DAG + reduce (us/item)",
    "W5": "chain of 1,000 sync nodes in threads (us/node)",
    "W4-chain": "W1 with SQLite provenance (us/node)",
    "W4-map": "map over 1,000 items with SQLite provenance (us/item)",
    "W4-map-100k": "map over 100,000 items with SQLite provenance (us/item)",
}
BASELINE = {"W1": "plain-chain", "W2": "plain-chain", "W5": "plain-threads"}
UPSTREAM_SKIP = {"W4-map-100k"}  # upstream needs minutes and gigabytes for it


def _upstream_python() -> Path:
    python = UPSTREAM_VENV / "bin" / "python"
    if not python.exists():
        print(f"installing lythonic=={UPSTREAM_VERSION} into {UPSTREAM_VENV} ...", file=sys.stderr)
        venv.create(UPSTREAM_VENV, with_pip=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", f"lythonic=={UPSTREAM_VERSION}"],
            check=True,
        )
    return python


def _measure(python: Path, workload: str, ours: bool) -> dict | None:
    env = dict(os.environ)
    # Run from bench/ so neither process imports the checkout by accident.
    env.pop("PYTHONPATH", None)
    proc = subprocess.run(
        [str(python), str(HERE / "workloads.py"), workload],
        cwd=HERE,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if proc.returncode != 0:
        who = "ours" if ours else "upstream"
        print(f"{workload} ({who}) failed:\n{proc.stderr[-2000:]}", file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(selected: list[str]) -> None:
    ours = Path(sys.executable)
    upstream = _upstream_python()
    plain = {name: _measure(ours, name, True) for name in set(BASELINE.values())}
    imp = _measure(ours, "import", True)
    print(
        f"{'workload':<12} {'ours':>10} {'asyncio':>10} {'upstream':>10} "
        f"{'vs asyncio':>10} {'vs upstr.':>10} {'RSS MB':>8}  what"
    )
    for name in selected or list(WORKLOADS):
        mine = _measure(ours, name, True)
        theirs = None
        if name not in UPSTREAM_SKIP:
            # Upstream's provenance opens a connection per statement and sometimes
            # fails with "database is locked" under its own concurrency: try twice.
            theirs = _measure(upstream, name, False) or _measure(upstream, name, False)
        base = plain.get(BASELINE.get(name, ""))
        if mine is None:
            continue
        us = mine["us_per_unit"]
        cells = [
            f"{name:<12}",
            f"{us:>10.2f}",
            f"{base['us_per_unit']:>10.2f}" if base else f"{'-':>10}",
            f"{theirs['us_per_unit']:>10.1f}" if theirs else f"{'-':>10}",
            f"{us / base['us_per_unit']:>9.2f}x" if base else f"{'-':>10}",
            f"{theirs['us_per_unit'] / us:>9.0f}x" if theirs else f"{'-':>10}",
            f"{mine['peak_rss_mb']:>8.1f}",
        ]
        print(" ".join(cells) + f"  {WORKLOADS[name]}")
    if imp:
        print(f"import lythonic.compose.namespace: {imp['ms']:.0f} ms")
    print(
        "'vs asyncio' = ours / plain asyncio (lower is better); "
        "'vs upstr.' = how many times faster than upstream."
    )


if __name__ == "__main__":
    main(sys.argv[1:])
