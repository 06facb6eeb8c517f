"""Daemon benchmark: many seconds-resolution cron triggers through a real `lyth start`.

    .venv/bin/python bench/daemon.py                   # 1,000 triggers, ~70 s
    .venv/bin/python bench/daemon.py --triggers 200 --seconds 20 --phases burst

The variant of ``bench/triggers.py`` that measures the whole daemon path: a
generated ``lyth.yaml`` with one one-step async DAG and N triggers, run by
``python -m lythonic.compose.lyth start`` in its own process, recording every
run in the provenance store and logging at INFO to its JSON log file, as
deployed. Phases as in ``bench/triggers.py`` (``burst``: all due together
every 10 s; ``spread``: a tenth due every second; ``idle``: yearly crons).

Reported per phase: the time from process start until the daemon reports
``running`` (config load, sweep, activation of N triggers), fires, lateness
(the step's recorded start minus the tick's scheduled time) p50/p99/max, the
daemon process's CPU use over the phase and while nothing is due, its
resident memory, and how long SIGTERM took to stop it.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
STEPS = "async def mark() -> None:\n    return None\n"


def crons(phase: str, n: int) -> list[str]:
    if phase == "burst":
        return ["*/10 * * * * *"] * n
    if phase == "spread":
        return [f"{i % 10}/10 * * * * *" for i in range(n)]
    return ["0 0 0 1 1 *"] * n


def write_project(root: Path, phase: str, n: int) -> Path:
    (root / "pipes").mkdir(parents=True)
    (root / "pipes" / "__init__.py").write_text("")
    (root / "pipes" / "steps.py").write_text(STEPS)
    lines = ["dags:", "  mark:", "    nodes:", "      mark: pipes.steps:mark", "triggers:"]
    for i, cron in enumerate(crons(phase, n)):
        lines += [f"  t{i}:", "    dag: mark", f'    cron: "{cron}"']
    config = root / "lyth.yaml"
    config.write_text("\n".join(lines) + "\n")
    return config


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat", "rb") as f:
        fields = f.read().rsplit(b")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def state(data: Path) -> str | None:
    try:
        return json.loads((data / "lyth.status.json").read_text()).get("state")
    except (OSError, ValueError):
        return None


def lateness_ms(data: Path) -> list[float]:
    with sqlite3.connect(data / "dags.db") as runs:
        started = dict(
            runs.execute("SELECT run_id, started_at FROM node_executions WHERE node_label = 'mark'")
        )
    with sqlite3.connect(data / "triggers.db") as ticks:
        scheduled = dict(
            ticks.execute(
                "SELECT run_id, scheduled_at FROM trigger_events WHERE run_id IS NOT NULL"
            )
        )
    return [(started[r] - scheduled[r]) * 1000 for r in started if r in scheduled]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else float("nan")


class Viewer:
    """Someone watching `lyth start --ui`: the runs page fetched every second."""

    def __init__(self, log_file: Path) -> None:
        import threading

        self.url = ""
        deadline = time.monotonic() + 30
        while not self.url and time.monotonic() < deadline:
            for line in log_file.read_text().splitlines() if log_file.exists() else []:
                if '"web view listening"' in line:
                    self.url = json.loads(line)["url"]
            time.sleep(0.05)
        if not self.url:
            raise SystemExit("the daemon's log never said where the web view listens")
        self.pages = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        import urllib.request

        while not self._stop.wait(1.0):
            with urllib.request.urlopen(self.url, timeout=10) as answer:
                answer.read()
            self.pages += 1

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(15)


def run_phase(
    phase: str, n: int, seconds: float, tmp: Path, level: str, watch: bool, ui: bool = False
) -> dict[str, float]:
    root = tmp / phase
    config = write_project(root, phase, n)
    data = root / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LYTH_")}
    env["LYTH_LOG_LEVEL"] = level
    if ui:
        env["LYTH_UI_PORT"] = "0"  # any free port; the log names it
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lythonic.compose.lyth",
            "start",
            "-c",
            str(config),
            *(["--watch"] if watch else []),
            *(["--ui"] if ui else []),
        ],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while state(data) != "running":
            if proc.poll() is not None:
                raise SystemExit(f"the daemon exited with {proc.returncode}")
            time.sleep(0.01)
        startup = time.perf_counter() - t0
        viewer = Viewer(data / "lyth.log") if ui else None
        cpu0, wall0 = cpu_seconds(proc.pid), time.perf_counter()
        end = wall0 + seconds
        quiet_cpu = quiet_wall = 0.0
        if phase == "idle":
            time.sleep(2)
            c, w = cpu_seconds(proc.pid), time.perf_counter()
            time.sleep(max(0.0, end - time.perf_counter()))
            quiet_cpu, quiet_wall = cpu_seconds(proc.pid) - c, time.perf_counter() - w
        elif phase == "burst":
            while True:  # the quiet stretch of each 10 s period: from +3 s to +9 s
                into = time.time() % 10
                start_in = (3 - into) % 10
                if time.perf_counter() + start_in + 6 > end:
                    break
                time.sleep(start_in)
                c, w = cpu_seconds(proc.pid), time.perf_counter()
                time.sleep(6)
                quiet_cpu += cpu_seconds(proc.pid) - c
                quiet_wall += time.perf_counter() - w
        time.sleep(max(0.0, end - time.perf_counter()))
        cpu, wall = cpu_seconds(proc.pid) - cpu0, time.perf_counter() - wall0
        rss = rss_mb(proc.pid)
        if viewer is not None:
            viewer.stop()
        t_stop = time.perf_counter()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
        stop_s = time.perf_counter() - t_stop
        if code != 0:
            raise SystemExit(f"the daemon exited with {code} on SIGTERM")
    finally:
        if proc.poll() is None:
            proc.kill()
    lat = lateness_ms(data)
    return {
        "startup_s": startup,
        "fires": len(lat),
        "p50_ms": statistics.median(lat) if lat else float("nan"),
        "p99_ms": pct(lat, 99),
        "max_ms": max(lat) if lat else float("nan"),
        "cpu_pct": 100 * cpu / wall,
        "quiet_cpu_pct": 100 * quiet_cpu / quiet_wall if quiet_wall else float("nan"),
        "rss_mb": rss,
        "stop_s": stop_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triggers", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=20.0, help="per phase")
    parser.add_argument("--phases", default="burst,spread,idle")
    parser.add_argument("--log-level", default="INFO", help="the daemon's LYTH_LOG_LEVEL")
    parser.add_argument("--watch", action="store_true", help="run `lyth start --watch`")
    parser.add_argument(
        "--ui",
        action="store_true",
        help="run `lyth start --ui`, its runs page fetched every second",
    )
    args = parser.parse_args()
    print(
        f"lyth start, {args.triggers} triggers, {args.seconds:.0f} s per phase, "
        f"log level {args.log_level}{', --watch' if args.watch else ''}"
        f"{', --ui' if args.ui else ''}, "
        f"Python {sys.version.split()[0]}"
    )
    print(
        f"{'phase':<7} {'start s':>8} {'fires':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} "
        f"{'CPU %':>7} {'quiet CPU %':>12} {'RSS MB':>7} {'stop s':>7}"
    )
    with tempfile.TemporaryDirectory() as d:
        for phase in args.phases.split(","):
            r = run_phase(
                phase, args.triggers, args.seconds, Path(d), args.log_level, args.watch, args.ui
            )
            print(
                f"{phase:<7} {r['startup_s']:>8.2f} {r['fires']:>6.0f} {r['p50_ms']:>8.1f} "
                f"{r['p99_ms']:>8.1f} {r['max_ms']:>8.1f} {r['cpu_pct']:>7.1f} "
                f"{r['quiet_cpu_pct']:>12.2f} {r['rss_mb']:>7.0f} {r['stop_s']:>7.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
