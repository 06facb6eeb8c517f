"""Side-by-side benchmark: lythonic (this checkout) vs plain asyncio, plain
thread pools, Apache Hamilton and upstream ``lythonic==0.0.28`` from PyPI.

    make bench            # or: .venv/bin/python bench/run.py [WORKLOAD ...]

Upstream and Hamilton are installed once, each into its own venv
(``bench/.upstream-venv``, ``bench/.hamilton-venv``). Every workload runs in
a fresh process per implementation (peak RSS stays per-workload). Times are
medians; see ``workloads.py`` and ``hamilton_workloads.py`` for what each does.
The second table holds the targets for plain ``def`` steps and start-up.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
UPSTREAM_VENV = HERE / ".upstream-venv"
UPSTREAM_VERSION = "0.0.28"
HAMILTON_VENV = HERE / ".hamilton-venv"
HAMILTON_VERSION = "1.90.0"

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


def _venv_python(where: Path, requirement: str) -> Path:
    python = where / "bin" / "python"
    if not python.exists():
        print(f"installing {requirement} into {where} ...", file=sys.stderr)
        venv.create(where, with_pip=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", requirement], check=True)
    return python


def _upstream_python() -> Path:
    return _venv_python(UPSTREAM_VENV, f"lythonic=={UPSTREAM_VERSION}")


def _hamilton(workload: str) -> dict | None:
    python = _venv_python(HAMILTON_VENV, f"apache-hamilton=={HAMILTON_VERSION}")
    proc = subprocess.run(
        [str(python), str(HERE / "hamilton_workloads.py"), workload],
        cwd=HERE,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if proc.returncode != 0:
        print(f"{workload} (hamilton) failed:\n{proc.stderr[-2000:]}", file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _paired_ms(ours: Path, upstream: Path, workload: str, rounds: int = 7) -> tuple[float, float]:
    """Median ms of ``workload`` (an import) for ours and upstream, run alternately."""
    mine, theirs = [], []
    for _ in range(rounds):
        a = _measure(ours, workload, True)
        b = _measure(upstream, workload, False)
        if a and b:
            mine.append(a["ms"])
            theirs.append(b["ms"])
    return statistics.median(mine), statistics.median(theirs)


def _help_ms(rounds: int = 7) -> float:
    lyth = Path(sys.executable).parent / "lyth"
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        subprocess.run([str(lyth), "--help"], capture_output=True, check=True)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def _def_steps(ours: Path, upstream: Path) -> None:
    """Plain ``def`` steps and start-up, against the targets they are held to."""

    def us(result: dict | None) -> float | None:
        return result["us_per_unit"] if result else None

    def cell(value: float | None, fmt: str = "10.1f") -> str:
        return f"{value:{fmt}}" if value is not None else f"{'-':>10}"

    def verdict(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    chain, chain_inline = us(_measure(ours, "W5", True)), us(_measure(ours, "W5-inline", True))
    chain_ham, chain_up = us(_hamilton("W5")), us(_measure(upstream, "W5", False))
    mapped, map_inline = us(_measure(ours, "W6", True)), us(_measure(ours, "W6-inline", True))
    map_ham, map_up = us(_hamilton("W6")), us(_measure(upstream, "W6", False))
    prov, prov_up = us(_measure(ours, "W7", True)), us(_measure(upstream, "W7", False))
    naps, pool = _measure(ours, "W8", True), _measure(ours, "plain-pool-naps", True)
    imp, imp_up = _paired_ms(ours, upstream, "import3")
    help_ms = _help_ms()
    print()
    print(
        f"{'def steps':<34} {'ours':>10} {'@inline':>10} {'hamilton':>10} {'upstream':>10}  target"
    )
    rows = [
        (
            "chain of 1,000 (us/node)",
            chain,
            chain_inline,
            chain_ham,
            chain_up,
            "< hamilton, <= 2x @inline",
            chain is not None
            and chain_inline is not None
            and (chain_ham is None or chain < chain_ham)
            and chain <= 2 * chain_inline,
        ),
        (
            "map 10,000 x 2 steps (us/item)*",
            mapped,
            map_inline,
            map_ham,
            map_up,
            "<= 2x @inline, <= 25",
            mapped is not None
            and map_inline is not None
            and mapped <= 2 * map_inline
            and mapped <= 25,
        ),
        (
            "chain of 1,000, provenance (us/node)",
            prov,
            None,
            None,
            prov_up,
            "<= 40",
            prov is not None and prov <= 40,
        ),
    ]
    for name, a, b, c, d, target, ok in rows:
        print(f"{name:<34} {cell(a)} {cell(b)} {cell(c)} {cell(d)}  {target}: {verdict(ok)}")
    if naps and pool:
        ratio = naps["seconds"] / pool["seconds"]
        print(
            f"{'1,000 steps sleeping 10 ms (s)':<34} {naps['seconds']:>10.2f} "
            f"{'pool:':>10} {pool['seconds']:>10.2f} {ratio:>9.2f}x  <= 1.3x a plain "
            f"ThreadPoolExecutor of our pool's size: {verdict(ratio <= 1.3)}"
        )
    print(
        f"{'import namespace+runner+provenance':<34} {imp:>8.0f}ms {'upstream:':>10} "
        f"{imp_up:>8.0f}ms  <= upstream, <= 100 ms: {verdict(imp <= imp_up and imp <= 100)}"
    )
    print(f"{'lyth --help (wall)':<34} {help_ms:>8.0f}ms  <= 250 ms: {verdict(help_ms <= 250)}")
    print("* Hamilton maps 1,000 items (its dynamic execution costs ~1 ms per item).")
    _daemon_burst(ours)
    _dask_targets(ours)
    _postgres_targets(ours)
    _ui_targets(ours)
    _forensics_targets(ours)
    _event_targets(ours)
    _ops_targets(ours)


def _forensics_targets(ours: Path) -> None:
    """lyth diff of two runs with a 100,000-element map (bench/forensics_targets.py)."""
    got = _target(ours, "forensics_targets.py")
    if got is None:
        return
    ok = got["seconds"] <= 10 and got["rss_mb"] <= 300 and got["exact"]
    print(
        f"{'diff: two runs, 100,000-element map':<34} {got['seconds']:.1f} s, peak RSS "
        f"{got['rss_mb']:.0f} MB, {got['summary']}  <= 10 s, <= 300 MB, exact: "
        f"{'ok' if ok else 'MISSED'}"
    )
    start = got["replay_start_s"]
    print(
        f"{'replay --isolated, 10 MB input':<34} step called {start:.2f} s after the command "
        f"started  <= 1.5 s: {'ok' if start <= 1.5 else 'MISSED'}"
    )
    cap, lines = got["capture"], got["capture_lines"]
    print(
        f"{'log capture, chain of 1,000':<34} {cap['kept_us']:.1f} µs/step on, "
        f"{cap['off_us']:.1f} off ({cap['overhead']:+.0%}); every step logging a line: "
        f"{lines['kept_us']:.1f} kept, {lines['off_us']:.1f} off ({lines['overhead']:+.0%})  "
        f"<= +15 %: {'ok' if cap['overhead'] <= 0.15 else 'MISSED'}"
    )
    first = got["logs_first_line_s"]
    print(
        f"{'lyth logs, 1,000,000 lines':<34} first line after {first * 1000:.0f} ms  "
        f"<= 200 ms: {'ok' if first <= 0.2 else 'MISSED'}"
    )


def _ops_targets(ours: Path) -> None:
    """A run's timeout and the on_failure hook, with the real `lyth` (bench/ops_targets.py)."""
    got = _target(ours, "ops_targets.py")
    if got is None:
        return
    out = got["timeout"]
    ok = out["run_s"] <= 2.5 and out["error"] == "run timed out after 2s"
    print(
        f"{'timeout: 2s, a step sleeping 10 s':<34} run failed as timed out after "
        f"{out['run_s']:.2f} s (`lyth run` wall {out['wall_s']:.2f} s)  <= 2.5 s: "
        f"{'ok' if ok else 'MISSED'}"
    )
    hook = got["on_failure_s"]
    print(
        f"{'on_failure after a failed run':<34} called {hook * 1000:.0f} ms after the run "
        f"was recorded failed  <= 1 s: {'ok' if hook <= 1 else 'MISSED'}"
    )


def _event_targets(ours: Path) -> None:
    """Webhook deliveries on a real loopback listener (bench/event_targets.py)."""
    got = _target(ours, "event_targets.py")
    if got is None:
        return
    hook = got["webhook"]
    exact = hook["accepted"] == hook["duplicates"] == 2000 and hook["events"] == 2100
    ok = hook["start_p95_ms"] <= 1000 and exact
    print(
        f"{'webhook: 2,000 signed POSTs, 20 at once':<34} run started p95 "
        f"{hook['start_p95_ms']:.0f} ms after the request; redelivered: "
        f"{hook['duplicates']:.0f} duplicates, no new run  <= 1 s, exact: "
        f"{'ok' if ok else 'MISSED'}"
    )
    print(
        f"{'webhook: 202 answer, 20 at once':<34} p50 {hook['p50_ms']:.1f} ms, p99 "
        f"{hook['p99_ms']:.1f} ms (sender on the same 2 cores)  <= 50 ms p99 (design brief): "
        f"{'ok' if hook['p99_ms'] <= 50 else 'MISSED'}"
    )
    print(
        f"{'webhook: bad signature':<34} 401 after {hook['bad_ms']:.1f} ms  <= 5 ms: "
        f"{'ok' if hook['bad_ms'] <= 5 else 'MISSED'}"
    )
    files = got["files"]
    ok = files["runs"] == 200 and files["start_p95_s"] <= 1.5 and files["idle_cpu"] <= 0.005
    print(
        f"{'files: 200 arriving, stable_for 0.5 s':<34} run started p95 "
        f"{files['start_p95_s']:.2f} s after the file was written; idle watcher "
        f"{files['idle_cpu']:.2%} of a core  <= stable_for + 1 s, <= 0.5 %: "
        f"{'ok' if ok else 'MISSED'}"
    )


def _ui_targets(ours: Path) -> None:
    """The web view over 100,000 runs, a 1,000-step run, a 100,000-element map and a
    50 MB value (bench/ui_targets.py)."""
    got = _target(ours, "ui_targets.py")
    if got is None:
        return
    runs, graph, big_map, value = got["runs"], got["graph"], got["map"], got["value"]

    def line(name: str, text: str, ok: bool) -> None:
        print(f"{name:<34} {text}: {'ok' if ok else 'MISSED'}")

    line(
        "ui: runs list, 100,000 runs",
        f"first page {runs['first_ms']:.0f} ms, deepest {runs['deep_max_ms']:.0f} ms, filtered "
        f"{runs['filtered_ms']:.0f} ms  <= 150 / 300 ms",
        runs["first_ms"] <= 150 and max(runs["deep_max_ms"], runs["filtered_ms"]) <= 300,
    )
    line(
        "ui: run page, 1,000-step DAG",
        f"SVG {graph['svg_mb']:.2f} MB, DOMContentLoaded {graph['dcl_ms']:.0f} ms (Chromium)  "
        "<= 1.5 MB, <= 1 s",
        graph["svg_mb"] <= 1.5 and graph["dcl_ms"] <= 1000,
    )
    line(
        "ui: run page, 100,000-element map",
        f"{big_map['svg_nodes']} SVG nodes, page {big_map['run_page_ms']:.0f} ms, children "
        f"{big_map['children_ms']:.0f} ms  <= 1,050 nodes",
        big_map["svg_nodes"] <= 1050,
    )
    line(
        "ui: step with a 50 MB output",
        f"{value['page_ms']:.0f} ms, body {value['body_kb']:.0f} KB  <= 500 ms, <= 300 KB",
        value["page_ms"] <= 500 and value["body_kb"] <= 300,
    )


def _target(ours: Path, script: str) -> dict | None:
    """The JSON line a target script of bench/ prints last, or None (said on stderr)."""
    proc = subprocess.run(
        [str(ours), str(HERE / script)], capture_output=True, text=True, timeout=1800
    )
    if proc.returncode != 0:
        print(f"{script} failed:\n{proc.stderr[-2000:]}", file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _postgres_targets(ours: Path) -> None:
    """A 100,000-item map recorded on PostgreSQL against SQLite (bench/pg_targets.py)."""
    got = _target(ours, "pg_targets.py")
    if got is None:
        return
    sqlite, pg = got["sqlite"], got["pg"]
    ratio = pg["seconds"] / sqlite["seconds"]
    ok = ratio <= 1.5 and pg["rss_mb"] <= 150
    print(
        f"{'postgres: map of 100,000, provenance':<34} {pg['seconds']:.1f} s (SQLite "
        f"{sqlite['seconds']:.1f} s, {ratio:.2f}x), peak RSS {pg['rss_mb']:.0f} MB  "
        f"<= 1.5x SQLite, <= 150 MB: {'ok' if ok else 'MISSED'}"
    )


def _dask_targets(ours: Path) -> None:
    """The Dask executor's targets on a 2-process local cluster (bench/dask_targets.py)."""
    got = {}
    for which in ("cpu", "map"):
        proc = subprocess.run(
            [str(ours), str(HERE / "dask_targets.py"), which],
            capture_output=True,
            text=True,
            timeout=900,
        )
        if proc.returncode != 0:
            print(f"dask {which} failed:\n{proc.stderr[-2000:]}", file=sys.stderr)
            return
        got[which] = json.loads(proc.stdout.strip().splitlines()[-1])
    cpu, mapped = got["cpu"], got["map"]
    speedup = cpu["threads_s"] / cpu["ours_dask_s"]
    print(
        f"{'dask: 40 x 100 ms CPU calls (s)':<34} threads {cpu['threads_s']:.2f}, ours on 2 "
        f"workers {cpu['ours_dask_s']:.2f}, plain Dask {cpu['plain_dask_s']:.2f}  "
        f">= 1.5x faster than threads: {'ok' if speedup >= 1.5 else 'MISSED'} ({speedup:.2f}x)"
    )
    ok = mapped["ours_dask_s"] <= 40 and mapped["tasks"] <= 500 and mapped["driver_rss_mb"] <= 400
    print(
        f"{'dask: map of 100,000, provenance':<34} {mapped['ours_dask_s']:.1f} s "
        f"(threads {mapped['threads_s']:.1f} s), {mapped['tasks']} tasks, driver peak RSS "
        f"{mapped['driver_rss_mb']:.0f} MB  <= 40 s, <= 500 tasks, <= 400 MB: "
        f"{'ok' if ok else 'MISSED'}"
    )


def _burst(ours: Path, *extra: str) -> tuple[int, float, float] | None:
    """Fires, lateness p50 and p99 (ms) of bench/daemon.py's burst phase, or None."""
    proc = subprocess.run(
        [
            str(ours),
            str(HERE / "daemon.py"),
            "--triggers",
            "1000",
            "--seconds",
            "30",
            "--phases",
            "burst",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    row = proc.stdout.strip().splitlines()[-1].split() if proc.returncode == 0 else []
    if len(row) < 6 or row[0] != "burst":
        print(f"daemon burst {' '.join(extra)} failed:\n{proc.stderr[-2000:]}", file=sys.stderr)
        return None
    return int(row[2]), float(row[3]), float(row[4])


def _daemon_burst(ours: Path) -> None:
    """1,000 triggers due in the same second through a real `lyth start` (bench/daemon.py),
    then again with `--ui` and its runs page fetched every second."""
    plain = _burst(ours)
    if plain is None:
        return
    fires, p50, p99 = plain
    print(
        f"{'daemon: 1,000 triggers due together':<34} fires {fires}, lateness p50 {p50:.0f} ms, "
        f"p99 {p99:.0f} ms  <= 100 ms p99, every tick once: "
        f"{'ok' if p99 <= 100 and fires == 3000 else 'MISSED'}"
    )
    viewed = _burst(ours, "--ui")
    if viewed is None:
        return
    ui_fires, ui_p50, ui_p99 = viewed
    added = ui_p99 - p99
    print(
        f"{'daemon: the same with --ui watched':<34} fires {ui_fires}, lateness p50 {ui_p50:.0f} "
        f"ms, p99 {ui_p99:.0f} ms ({added:+.0f} ms)  <= +5 ms p99: "
        f"{'ok' if added <= 5 and ui_fires == 3000 else 'MISSED'}"
    )


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
    # Installed packages import from compiled bytecode (pip compiles upstream's and
    # Hamilton's); compile this checkout too, or its import time counts compiling.
    subprocess.run(
        [str(ours), "-m", "compileall", "-q", str(HERE.parent / "lythonic")],
        check=True,
        env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
        stdout=subprocess.DEVNULL,
    )
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
    if not selected:
        _def_steps(ours, upstream)


if __name__ == "__main__":
    main(sys.argv[1:])
