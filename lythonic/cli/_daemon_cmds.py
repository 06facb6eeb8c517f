"""The commands behind ``lyth stop`` and ``lyth status``, without the typer layer.

Both find the daemon's files the lenient way (``lythonic.engine._locate``): a
broken config or one whose modules do not import still lets an operator see
and stop the daemon.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from lythonic.cli._table import age_text, local_text, table, utc_text
from lythonic.cli.commands import EXIT_FAILED, EXIT_OK, Reply
from lythonic.engine import DaemonStatus, pid_alive, read_status
from lythonic.engine._locate import DaemonPlace
from lythonic.engine._status import diag_text

__all__ = ["gather_status", "render_status", "status", "stop"]


def _when(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat()


# -- status -----------------------------------------------------------------------


def _trigger_rows(place: DaemonPlace) -> list[dict[str, Any]]:
    """The triggers on record; next fire times only while a daemon schedules them."""
    if not place.triggers_db.exists():
        return []
    from lythonic.compose.schedule import trigger_listing
    from lythonic.compose.stores import open_triggers

    running = place.pid.running
    # Which triggers the config has: the running daemon's, else the file's (read
    # leniently: a broken file still names its triggers); None when unknown.
    configured = set(place.status.triggers) if place.status and running else place.config_triggers
    with open_triggers(place.triggers_db) as store:
        return trigger_listing(store, with_next=running, configured=configured)


def _running_runs(place: DaemonPlace) -> list[dict[str, Any]]:
    if not place.dags_db.exists():
        return []
    from lythonic.compose.stores import open_provenance

    with open_provenance(place.dags_db) as prov:
        runs = prov.get_recent_runs(100, "running", top_level_only=True, children=False)
    return [
        {
            "run_id": r.run_id,
            "dag": r.dag_nsref,
            "started_at": _iso(r.started_at),
            "initiated_by": r.initiated_by,
            "config_revision": r.config_revision,
            "steps_done": sum(1 for n in r.nodes.values() if n.status in ("completed", "skipped")),
            "steps_running": sorted(k for k, n in r.nodes.items() if n.status == "running"),
        }
        for r in runs
    ]


def gather_status(place: DaemonPlace) -> dict[str, Any]:
    """Everything ``lyth status`` shows, as plain data (its ``--json`` output)."""
    st: DaemonStatus | None = place.status
    running = place.pid.running
    daemon: dict[str, Any] = {
        "running": running,
        "pid": place.pid.pid if running else None,
        "data_dir": str(place.data_dir),
        "runs_store": str(place.dags_db),
        "triggers_store": str(place.triggers_db),
        "pid_file": str(place.pid.path),
        "stale_pid_file": place.pid.stale,
    }
    if st is not None:
        current = running and st.pid == place.pid.pid
        daemon.update(
            {
                "state": st.state if current or st.state in ("stopped", "killed") else "dead",
                "started_at": st.started_at,
                "config": st.config,
                "revision": st.revision,
                "watch": st.watch,
                "grace": st.grace,
                "log_file": st.log_file,
                "restarts": st.restarts,
                "last_reload": None if st.last_reload is None else vars(st.last_reload),
                "exit": st.exit,
                "last_pid": st.pid,
                "abandoned": st.abandoned or None,
                "sources": st.sources or None,
                "late_runs": st.late_runs or None,
            }
        )
    from lythonic.compose.stores import StoreUnavailable

    try:
        return {
            "daemon": daemon,
            "triggers": _trigger_rows(place),
            "running_runs": _running_runs(place),
            "writers": _writers(place),
            "store_error": None,
        }
    except StoreUnavailable as e:  # a database that is away: the daemon part still shows
        return {
            "daemon": daemon,
            "triggers": [],
            "running_runs": [],
            "writers": None,
            "store_error": str(e),
        }


def _writers(place: DaemonPlace) -> list[dict[str, Any]] | None:
    """On a shared (PostgreSQL) store: the live processes using it; None on SQLite."""
    from lythonic.compose.stores import PgLocation, open_provenance

    if not isinstance(place.dags_db, PgLocation):
        return None
    with open_provenance(place.dags_db) as prov:
        return prov.live_owners(time.time(), prov.stale_after)


def _daemon_lines(d: dict[str, Any], now: datetime) -> list[str]:
    lines = []
    if d["running"]:
        started = datetime.fromisoformat(d["started_at"]) if d.get("started_at") else None
        since = f", up {age_text(started, now)} since {utc_text(started)} UTC" if started else ""
        state = d.get("state", "running")
        extra = "" if state == "running" else f", {state}"
        lines.append(f"daemon       running (pid {d['pid']}{since}{extra})")
    else:
        lines.append("daemon       not running")
        if d.get("state") == "dead":
            lines.append(
                f"             pid {d.get('last_pid')} died without shutting down (a crash or "
                "kill -9); the next start sweeps its runs"
            )
        elif d.get("exit"):
            e = d["exit"]
            lines.append(f"             last stop: {_exit_text(e)} at {e.get('at')}")
        if d["stale_pid_file"]:
            lines.append(f"             stale pid file: {d['pid_file']}")
    if d.get("config"):
        lines.append(f"config       {d['config']}")
        lines.append(f"revision     {d.get('revision')}")
    lines.append(f"data         {d['data_dir']}")
    if d.get("runs_store") and not d["runs_store"].startswith(d["data_dir"]):
        lines.append(f"store        {d['runs_store']}")  # PostgreSQL (storage.url)
    if d.get("log_file"):
        lines.append(f"log          {d['log_file']}")
    if d["running"]:
        lines.append(f"watch        {'on' if d.get('watch') else 'off'}")
        lines.extend(_abandoned_lines(d.get("abandoned")))
        for late in (d.get("late_runs") or [])[-5:]:
            lines.append(
                f"late         {late.get('run_id')} of {late.get('dag')}: not completed "
                f"{late.get('sla'):g}s after it was due (at {late.get('at')})"
            )
        webhook = (d.get("sources") or {}).get("webhook") or {}
        if webhook.get("url"):
            lines.append(f"webhooks     {webhook['url']}<trigger>")
        for name, watch in sorted(((d.get("sources") or {}).get("file") or {}).items()):
            lines.append(
                f"files        {name}: {watch.get('path')}/{watch.get('pattern')} "
                f"({watch.get('mode')})"
            )
    reload = d.get("last_reload")
    if reload:
        at = reload.get("at")
        if reload.get("ok"):
            changes = [
                f"{k} {', '.join(reload[k])}" for k in ("added", "changed", "removed") if reload[k]
            ]
            tail = f"; {'; '.join(changes)}" if changes else ""
            lines.append(f"last reload  ok at {at} (revision {reload.get('revision')}{tail})")
        else:
            lines.append(f"last reload  FAILED at {at} ({reload.get('cause')}):")
            for problem in reload.get("errors") or []:
                lines.append("  " + diag_text(problem))
            if not reload.get("errors") and reload.get("error"):
                lines.append("  " + str(reload["error"]))
            lines.append(f"  the config of revision {d.get('revision')} keeps running")
    return lines


def _abandoned_lines(a: dict[str, Any] | None) -> list[str]:
    """Sync step calls given up on (timeouts, cancelled runs) that still hold a thread."""
    if not a or not (a.get("running") or a.get("total")):
        return []
    steps = ", ".join(f"{step} ×{n}" for step, n in sorted(a.get("by_step", {}).items()))
    line = (
        f"abandoned    {a.get('running', 0)} sync step call(s) still running in threads "
        f"nobody waits for ({a.get('total', 0)} since start; step threads "
        f"{a.get('threads')}/{a.get('limit')})"
    )
    return [line] + ([f"             {steps}"] if steps else [])


def _exit_text(e: dict[str, Any]) -> str:
    how = str(e.get("how", "stopped"))
    if how in ("stopped", "restarted"):
        interrupted = e.get("interrupted") or []
        return f"{how} ({e.get('drained', 0)} run(s) drained, {len(interrupted)} interrupted)"
    if how == "killed":
        left = e.get("left_running") or []
        return f"killed by a second signal ({len(left)} run(s) left for the next start to sweep)"
    return how + (f": {e['error']}" if e.get("error") else "")


def render_status(data: dict[str, Any], now: datetime | None = None) -> str:
    """The text of ``lyth status``."""
    now = now or datetime.now(UTC)
    lines = _daemon_lines(data["daemon"], now)
    if data.get("store_error"):  # said on stderr too (status() below)
        lines.append("store        cannot be opened: triggers and runs are not shown")
        return "\n".join(lines) + "\n"
    writers = data.get("writers")
    if writers is not None:  # a shared store: who else is using it
        lines.append(f"using it     {len(writers)} live process(es) (daemons, lyth run)")
        for w in writers:
            beat = datetime.fromtimestamp(w["heartbeat_at"], UTC)
            lines.append(
                f"             pid {w['pid']} on {w['host']}, heartbeat {age_text(beat, now)} ago"
            )
    triggers = data["triggers"]
    lines.append("")
    if not triggers:
        lines.append("no triggers on record yet (the daemon records them when it starts)")
    else:
        rows = []
        for t in triggers:
            nxt = datetime.fromisoformat(t["next_utc"]) if t["next_utc"] else None
            zone = t["timezone"] if t["timezone"] not in (None, "UTC") else None
            last = t["last_event"]
            state = t["state"] if t["in_running_config"] is not False else "not in config"
            rows.append(
                [
                    t["name"],
                    state,
                    t["dag"],
                    t["cron"] or t.get("fires_on"),
                    utc_text(nxt),
                    local_text(nxt) if nxt else None,
                    local_text(nxt, zone) if nxt and zone else None,
                    f"{last['status']} {last['run_id'] or ''}".strip() if last else None,
                ]
            )
        headers = ["TRIGGER", "STATE", "DAG", "CRON", "NEXT (UTC)", "NEXT (LOCAL)"]
        lines.append(table([*headers, "NEXT (TRIGGER TZ)", "LAST"], rows))
    runs = data["running_runs"]
    lines.append("")
    if not runs:
        lines.append("no runs running")
    else:
        rows = [
            [
                r["run_id"],
                r["dag"],
                utc_text(datetime.fromisoformat(r["started_at"])),
                r["steps_done"],
                ", ".join(r["steps_running"]) or None,
            ]
            for r in runs
        ]
        lines.append(
            table(["RUNNING RUN", "DAG", "STARTED (UTC)", "STEPS DONE", "STEPS RUNNING"], rows)
        )
    return "\n".join(lines) + "\n"


def status(place: DaemonPlace, *, as_json: bool = False) -> Reply:
    """``lyth status``: exit 0 when a daemon runs, 1 when none does."""
    from lythonic.compose.stores import StoreUnavailable

    try:
        data = gather_status(place)
    except StoreUnavailable as e:
        return Reply(EXIT_FAILED, "", [f"lyth: {e}"])
    code = EXIT_OK if data["daemon"]["running"] else EXIT_FAILED
    problems = []
    if data["store_error"]:  # a database away, a store from a newer lythonic
        code, problems = EXIT_FAILED, [f"lyth: {data['store_error']}"]
    if as_json:
        return Reply(code, json.dumps(data, indent=2) + "\n", problems)
    return Reply(code, render_status(data), problems)


# -- stop -------------------------------------------------------------------------


def stop(
    place: DaemonPlace,
    *,
    timeout: float = 60.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Reply:
    """``lyth stop``: SIGTERM the daemon, wait for it to exit, say how it ended."""
    probe = place.pid
    if not probe.running:
        if probe.exists:
            with contextlib.suppress(FileNotFoundError):
                probe.path.unlink()
            who = f" of pid {probe.pid}" if probe.pid is not None else ""
            return Reply(
                EXIT_FAILED,
                "",
                [f"lyth: no daemon is running; removed the stale pid file{who} ({probe.path})"],
            )
        return Reply(EXIT_FAILED, "", [f"lyth: no daemon is running for {place.data_dir}"])
    pid = probe.pid
    assert pid is not None
    notes = [f"lyth: sent SIGTERM to the daemon (pid {pid}); waiting up to {timeout:g}s"]
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while pid_alive(pid):
        if time.monotonic() >= deadline:
            return Reply(
                EXIT_FAILED,
                "",
                [
                    *notes,
                    f"lyth: the daemon (pid {pid}) is still running after {timeout:g}s "
                    "(runs may be finishing); `lyth stop` again waits longer, "
                    f"`kill -9 {pid}` ends it at once (the next start sweeps its runs)",
                ],
            )
        sleep(0.05)
    record = read_status(place.status_file)
    if record is not None and record.pid == pid and record.exit:
        return Reply(EXIT_OK, f"daemon (pid {pid}) {_exit_text(record.exit)}\n", notes)
    return Reply(EXIT_OK, f"daemon (pid {pid}) exited\n", notes)
