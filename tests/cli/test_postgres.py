"""The commands and the daemon with runs and trigger state on a real PostgreSQL server
(`storage.url` / `LYTH_STORAGE_URL`)."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

pytestmark = pytest.mark.slow

LYTH = [sys.executable, "-m", "lythonic.compose.lyth"]
STEPS = """\
async def tick(label: str = "x") -> str:
    return "tick:" + label


def shout(s: str) -> str:
    return s.upper()
"""


def _project(root: Path, schema: str, extra: str = "") -> Path:
    (root / "pipes").mkdir()
    (root / "pipes" / "__init__.py").write_text("")
    (root / "pipes" / "steps.py").write_text(STEPS)
    config = root / "lyth.yaml"
    config.write_text(
        f"storage:\n  schema: {schema}\n{extra}"
        "dags:\n"
        "  loud:\n    nodes:\n      up: pipes.steps:shout\n    inputs:\n      up: {s: hello}\n"
        "  ping:\n    nodes:\n      tick: pipes.steps:tick\n"
        'triggers:\n  every_second:\n    dag: ping\n    cron: "* * * * * *"\n'
    )
    return config


def _lyth(root: Path, url: str | None, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LYTH_")}
    if url is not None:
        env["LYTH_STORAGE_URL"] = url
    return subprocess.run(
        [*LYTH, *args], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )


def test_run_and_runs_on_postgres(tmp_path: Path, pg_server: str, pg_schema: str) -> None:
    """`lyth run` records the run in PostgreSQL (no SQLite file is made); `lyth runs`
    and `runs show` read it back from there."""
    _project(tmp_path, pg_schema)
    done = _lyth(tmp_path, pg_server, "run", "loud", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["outputs"] == {"up": "HELLO"}
    assert not (tmp_path / "data" / "dags.db").exists()
    with psycopg.connect(pg_server) as conn:
        row = conn.execute(
            f"SELECT status, sink_outputs_json FROM {pg_schema}.dag_runs WHERE run_id = %s",
            (result["run_id"],),
        ).fetchone()
    assert row == ("completed", '{"up":"HELLO"}')
    listed = _lyth(tmp_path, pg_server, "runs", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [r["run_id"] for r in json.loads(listed.stdout)] == [result["run_id"]]
    shown = _lyth(tmp_path, pg_server, "runs", "show", result["run_id"][:8])
    assert shown.returncode == 0 and "completed" in shown.stdout
    status = _lyth(tmp_path, pg_server, "status")
    assert f"store        {pg_server} (schema {pg_schema})" in status.stdout


def test_a_password_in_the_yaml_url_is_refused(tmp_path: Path) -> None:
    _project(tmp_path, "t_x", extra="  url: postgresql://lyth:s3cret@db.example/pipes\n")
    done = _lyth(tmp_path, None, "validate")
    assert done.returncode == 1
    assert "lyth.yaml:" in done.stderr and "PGPASSWORD" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_unreachable_database_is_one_line_without_the_password(tmp_path: Path) -> None:
    _project(tmp_path, "t_x")
    url = "postgresql://lyth:s3cret@127.0.0.1:1/pipes?connect_timeout=3"
    done = _lyth(tmp_path, url, "run", "loud")
    assert done.returncode == 1
    [line] = [ln for ln in done.stderr.splitlines() if ln.startswith("lyth:")]
    assert line.startswith("lyth: cannot open the provenance store postgresql://lyth@127.0.0.1:1")
    assert "s3cret" not in done.stderr and "Traceback" not in done.stderr
    status = _lyth(tmp_path, url, "status")  # the daemon part still shows, the store is named
    assert status.returncode == 1 and "Traceback" not in status.stderr
    assert "store        cannot be opened" in status.stdout and "daemon " in status.stdout
    [away] = [ln for ln in status.stderr.splitlines() if ln.startswith("lyth:")]
    assert "cannot connect to PostgreSQL at postgresql://lyth@127.0.0.1:1" in away
    assert "s3cret" not in status.stdout + status.stderr


def test_the_daemon_fires_and_records_on_postgres(
    tmp_path: Path, pg_server: str, pg_schema: str
) -> None:
    """`lyth start` claims its ticks and records its runs in PostgreSQL; SIGTERM stops it."""
    _project(tmp_path, pg_schema)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LYTH_")}
    env["LYTH_STORAGE_URL"] = pg_server
    proc = subprocess.Popen(
        [*LYTH, "start"], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        fired = []
        while time.monotonic() < deadline and len(fired) < 2:
            time.sleep(0.2)
            try:
                with psycopg.connect(pg_server) as conn:
                    fired = conn.execute(
                        f"SELECT e.run_id FROM {pg_schema}.trigger_events e JOIN "
                        f"{pg_schema}.dag_runs r ON r.run_id = e.run_id "
                        "WHERE e.status = 'completed' AND r.status = 'completed'"
                    ).fetchall()
            except psycopg.errors.UndefinedTable:
                continue
        assert len(fired) >= 2, proc.stderr.read() if proc.poll() is not None else "no ticks"
        assert all(run_id.startswith("every_second@") for (run_id,) in fired)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


TWO = """\
storage:
  schema: {schema}
dags:
  ping:
    nodes:
      tick: pipes.steps:tick
  slow:
    nodes:
      nap: pipes.steps:nap
triggers:
{fast}  slow:
    dag: slow
    cron: "*/3 * * * * *"
  guarded:
    dag: slow
    cron: "* * * * * *"
    inputs:
      nap: {{seconds: 2.5}}
  lined:
    dag: slow
    cron: "*/2 * * * * *"
    overlap: queue
    inputs:
      nap: {{seconds: 20}}
"""
NAP = "\n\nasync def nap(seconds: float = 30) -> float:\n    import asyncio\n\n    await asyncio.sleep(seconds)\n    return seconds\n"


DAEMONS = 3
RUN_FOR = 60  # seconds all of them fire together


def test_daemons_share_a_database(tmp_path: Path, pg_server: str, pg_schema: str) -> None:
    """Three `lyth start` on one database (each its own data directory), ten triggers
    firing every second for 60 s: every tick fired exactly once (none twice, none
    missing); `overlap: skip` (2.5 s runs every second) never has two runs at once
    across them; after `kill -9` of the daemon holding `overlap: queue` ticks (20 s
    runs every 2 s) the others mark its runs and its queued ticks interrupted and
    leave their own runs alone."""
    project = tmp_path / "p"
    project.mkdir()
    _project(project, pg_schema)
    (project / "pipes" / "steps.py").write_text(STEPS + NAP)
    fast = "".join(f'  fast{i}:\n    dag: ping\n    cron: "* * * * * *"\n' for i in range(10))
    (project / "lyth.yaml").write_text(TWO.format(schema=pg_schema, fast=fast))
    procs = []
    for name in "abc"[:DAEMONS]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LYTH_")}
        env.update(LYTH_STORAGE_URL=pg_server, LYTH_DATA_DIR=str(tmp_path / name))
        procs.append(
            subprocess.Popen(
                [*LYTH, "start"],
                cwd=project,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )

    def query(sql: str) -> list[tuple[object, ...]]:
        try:
            with psycopg.connect(pg_server) as conn:
                return conn.execute(sql.replace("S.", f"{pg_schema}.")).fetchall()
        except psycopg.errors.UndefinedTable:
            return []

    try:
        time.sleep(RUN_FOR)
        rows = query(
            "SELECT trigger_name, scheduled_at, count(*) FROM S.trigger_events "
            "WHERE trigger_name LIKE 'fast%' GROUP BY 1, 2"
        )
        assert rows and all(n == 1 for _, _, n in rows)  # never twice
        per_trigger: dict[str, list[float]] = {}
        for name, at, _ in rows:
            per_trigger.setdefault(str(name), []).append(float(at))  # type: ignore[arg-type]
        for ticks in per_trigger.values():  # and none missing in between
            ticks.sort()
            assert ticks == [ticks[0] + i for i in range(len(ticks))]
        guarded = query(
            "SELECT r.started_at, r.finished_at FROM S.trigger_events e JOIN S.dag_runs r "
            "ON r.run_id = e.run_id WHERE e.trigger_name = 'guarded' ORDER BY r.started_at"
        )
        assert len(guarded) >= 2
        for (_, ended), (began, _) in itertools.pairwise(guarded):
            assert ended is not None and began >= ended  # type: ignore[operator]
        connections = query(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'lythonic'"
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("LYTH_")}
        env.update(LYTH_STORAGE_URL=pg_server, LYTH_DATA_DIR=str(tmp_path / "a"))
        status = subprocess.run(
            [*LYTH, "status"], cwd=project, env=env, capture_output=True, text=True, timeout=60
        ).stdout
        assert f"using it     {DAEMONS} live process(es)" in status, status
        assert all(f"pid {p.pid} on " in status for p in procs)
        # Per daemon: the trigger store's, the run store's writer, and a read pool
        # of at most two, opened at the first read.
        assert DAEMONS * 2 <= connections[0][0] <= DAEMONS * 4  # type: ignore[operator]
        owners = dict(
            query(
                "SELECT r.run_id, o.pid FROM S.dag_runs r JOIN S.run_owners o "
                "ON o.owner_id = r.owner_id WHERE r.status = 'running' AND r.dag_nsref = 'slow'"
            )
        )
        assert owners, "no slow run is going"
        queued = query(
            "SELECT e.event_id, o.pid FROM S.trigger_events e JOIN S.run_owners o "
            "ON o.owner_id = e.owner_id WHERE e.status = 'queued'"
        )
        assert queued, "no tick is queued"
        victim_pid = queued[0][1]
        victim = next(p for p in procs if p.pid == victim_pid)
        survivors = ",".join(str(p.pid) for p in procs if p is not victim)
        victim.kill()
        victim.wait()
        theirs = {r for r, pid in owners.items() if pid == victim_pid}
        lined = {str(e) for e, pid in queued if pid == victim_pid}
        assert theirs, "the daemon holding queued ticks runs nothing"

        def left() -> tuple[dict[object, object], dict[object, object]]:
            runs = dict(query("SELECT run_id, status FROM S.dag_runs WHERE dag_nsref = 'slow'"))
            events = dict(query("SELECT event_id, status FROM S.trigger_events"))
            return runs, events

        deadline = time.monotonic() + 40  # a peer sweeps every 10 s
        while time.monotonic() < deadline:
            runs, events = left()
            if all(runs.get(r) == "interrupted" for r in theirs) and all(
                events.get(e) == "interrupted" for e in lined
            ):
                break
            time.sleep(0.5)
        assert all(runs.get(r) == "interrupted" for r in theirs), runs
        assert all(events.get(e) == "interrupted" for e in lined), events
        swept_of_survivors = query(
            "SELECT r.run_id FROM S.dag_runs r JOIN S.run_owners o ON o.owner_id = r.owner_id "
            f"WHERE o.pid IN ({survivors}) AND r.status = 'interrupted'"
        )
        assert swept_of_survivors == []  # the survivors' runs are their own to end
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(30)
                except subprocess.TimeoutExpired:
                    p.kill()


def test_the_daemon_rides_out_a_database_restart(tmp_path: Path) -> None:
    """The database goes away for a few seconds while runs are in flight: the daemon
    fires nothing it cannot claim, keeps what the runs recorded, and once the server
    is back those runs are on record completed and ticks fire again."""
    from tests.pg_server import PgServer

    server = PgServer()
    try:
        project = tmp_path / "p"
        project.mkdir()
        _project(project, "lythonic")
        (project / "pipes" / "steps.py").write_text(STEPS + NAP)
        (project / "lyth.yaml").write_text(
            "dags:\n  slow:\n    nodes:\n      nap: pipes.steps:nap\n"
            'triggers:\n  often:\n    dag: slow\n    cron: "* * * * * *"\n'
            "    overlap: allow\n    inputs:\n      nap: {seconds: 2}\n"
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("LYTH_")}
        env.update(LYTH_STORAGE_URL=server.url, LYTH_DATA_DIR=str(tmp_path / "data"))
        proc = subprocess.Popen(
            [*LYTH, "start"],
            cwd=project,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

        def runs() -> dict[str, str]:
            with psycopg.connect(server.url) as conn:
                return dict(conn.execute("SELECT run_id, status FROM lythonic.dag_runs").fetchall())

        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not any(
                s == "running" for s in _safely(runs).values()
            ):
                time.sleep(0.2)
            in_flight = {r for r, s in runs().items() if s == "running"}
            assert in_flight
            server.halt()  # the runs in flight finish while the database is away
            time.sleep(4)
            server.start()
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                now = _safely(runs)
                if (
                    all(now.get(r) == "completed" for r in in_flight)
                    and len(now) > len(in_flight) + 2
                ):
                    break
                time.sleep(0.5)
            now = runs()
            assert all(now.get(r) == "completed" for r in in_flight), now
            assert len(now) > len(in_flight) + 2  # firing again
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(60) == 0
            log = (tmp_path / "data" / "lyth.log").read_text()
            assert "provenance_store_away" in log and "provenance_store_back" in log
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    finally:
        server.stop()


def _safely(read: object) -> dict[str, str]:
    try:
        return read()  # type: ignore[operator,no-any-return]
    except psycopg.Error:
        return {}


def test_logs_follow_on_postgres_hears_new_lines_without_polling(
    pg_server: str, pg_schema: str
) -> None:
    """On PostgreSQL, --follow LISTENs: lines a writer commits reach the follower and
    it stops when the run ends, although its look-again interval (the safety net for a
    lost notification) is an hour."""
    import logging
    import threading
    import time

    from lythonic.cli._forensics_cmds import logs
    from lythonic.compose.provenance._pg import PgProvenance
    from lythonic.compose.stores import PgLocation

    store = PgProvenance(pg_server, schema=pg_schema, flush_interval=0.01)
    store.begin_run("r1", "d", {})
    store.flush()

    def say(label: str, i: int) -> None:
        record = logging.LogRecord("t", logging.INFO, __file__, 1, f"{label} line {i}", None, None)
        store.node_log("r1", label, 1, record)

    say("b", 1)
    store.flush()
    printed: list[str] = []
    done = threading.Event()

    def follow() -> None:
        logs(PgLocation(pg_server, pg_schema), "r1", None, printed.append, follow=True, poll=3600)
        done.set()

    follower = threading.Thread(target=follow, daemon=True)
    follower.start()
    deadline = time.monotonic() + 20
    while not printed and time.monotonic() < deadline:
        time.sleep(0.01)
    say("a", 1)
    say("b", 2)
    while len(printed) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    store.end_run("r1", "completed")
    store.flush()
    assert done.wait(20), "the follower did not hear the run end"
    store.close()
    messages = sorted(line.rsplit(": ", 1)[1] for line in printed)
    assert messages == ["a line 1", "b line 1", "b line 2"]
