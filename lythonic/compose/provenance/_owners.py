"""Which process owns which run: owner identity, liveness, sweeping, pruning.

A store writes its ``Owner`` row (pid, host, process start time, heartbeat)
to ``run_owners`` and stamps its runs with the owner id. ``sweep`` runs on
the write connection and marks ``interrupted`` the runs whose owner is gone;
``prune_some`` deletes one chunk of old runs with their descendants.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from lythonic._process import pid_alive, proc_start

__all__ = ["Owner", "new_owner", "owner_alive", "prunable", "prune_some", "sweep"]

PRUNE_ROOTS_PER_TRANSACTION = 500


@dataclass(frozen=True, slots=True)
class Owner:
    """The process a store belongs to, as written to ``run_owners``."""

    owner_id: str
    pid: int
    hostname: str
    proc_start: str | None
    started_at: float


def new_owner(now: float | None = None) -> Owner:
    """A fresh identity for this process's store."""
    pid = os.getpid()
    started = time.time() if now is None else now
    return Owner(uuid.uuid4().hex, pid, socket.gethostname(), proc_start(pid), started)


def owner_alive(
    pid: int,
    owner_host: str,
    started: str | None,
    heartbeat_at: float,
    host: str,
    now: float,
    stale_after: float,
) -> bool:
    """On this host: the pid runs and started when recorded. Elsewhere: a fresh heartbeat."""
    if owner_host == host:
        if not pid_alive(pid):
            return False
        if started is not None:
            current = proc_start(pid)
            if current is not None:
                return current == started  # same pid and start time: the same process
    return now - heartbeat_at < stale_after


def sweep(conn: Any, me: str, active: Collection[str], now: float, stale_after: float) -> list[str]:
    """Mark runs left ``running`` by a gone owner ``interrupted``, and drop the rows of
    gone owners (what else they left, e.g. queued trigger events, is found by that);
    the ids of the runs marked."""
    host = socket.gethostname()
    alive: dict[str, bool] = {}
    where: dict[str, str] = {}
    for owner, pid, owner_host, started, beat in conn.execute(
        "SELECT owner_id, pid, hostname, proc_start, heartbeat_at FROM run_owners"
    ).fetchall():
        alive[owner] = owner == me or owner_alive(
            pid, owner_host, started, beat, host, now, stale_after
        )
        where[owner] = f"pid {pid} on {owner_host}"
    swept: list[tuple[str, str]] = []
    for run_id, run_owner in conn.execute(
        "SELECT run_id, owner_id FROM dag_runs WHERE status = 'running'"
    ).fetchall():
        if run_owner == me:
            if run_id in active:
                continue
            why = "its runner in this process stopped without ending it"
        elif run_owner not in alive:
            why = "no live process owns it (no heartbeat was ever recorded)"
        elif alive[run_owner]:
            continue
        else:
            why = f"the process that ran it ({where[run_owner]}) is gone"
        swept.append((run_id, why))
    for run_id, why in swept:
        conn.execute(
            "UPDATE dag_runs SET status = 'interrupted', finished_at = ?, error = ? "
            "WHERE run_id = ? AND status = 'running'",
            (now, f"interrupted: {why}", run_id),
        )
        conn.execute(
            "UPDATE node_executions SET status = 'interrupted', finished_at = ? "
            "WHERE run_id = ? AND status = 'running'",
            (now, run_id),
        )
    gone = [owner for owner, ok in alive.items() if not ok]
    if gone:
        conn.executemany(
            "DELETE FROM run_owners WHERE owner_id = ? AND owner_id NOT IN (SELECT owner_id "
            "FROM dag_runs WHERE status = 'running' AND owner_id IS NOT NULL)",
            [(owner,) for owner in gone],
        )
    return [run_id for run_id, _ in swept]


def _root_filter(
    cutoff: float, statuses: Sequence[str] | None, exclude: Sequence[str]
) -> tuple[str, list[Any]]:
    """The ``WHERE`` of finished top-level runs started before ``cutoff`` (with a
    status in ``statuses`` when given, not in ``exclude``), and its arguments."""
    where = "parent_run_id IS NULL AND started_at < ? AND status != 'running'"
    args: list[Any] = [cutoff]
    if statuses is not None:
        where += f" AND status IN ({','.join('?' * len(statuses))})" if statuses else " AND 0"
        args.extend(statuses)
    if exclude:
        where += f" AND status NOT IN ({','.join('?' * len(exclude))})"
        args.extend(exclude)
    return where, args


def prunable(
    conn: Any, cutoff: float, statuses: Sequence[str] | None = None, exclude: Sequence[str] = ()
) -> list[str]:
    """The top-level runs ``prune_some`` would delete (oldest first)."""
    where, args = _root_filter(cutoff, statuses, exclude)
    rows = conn.execute(
        f"SELECT run_id FROM dag_runs WHERE {where} ORDER BY started_at", args
    ).fetchall()
    return [r[0] for r in rows]


def prune_some(
    conn: Any,
    cutoff: float,
    statuses: Sequence[str] | None = None,
    exclude: Sequence[str] = (),
    *,
    roots: Sequence[str] | None = None,
) -> int:
    """Delete up to ``PRUNE_ROOTS_PER_TRANSACTION`` finished top-level runs started
    before ``cutoff`` (of ``statuses``, not of ``exclude``) — or exactly the runs
    ``roots`` — with their descendants, node rows, edges and log lines; the number
    of runs deleted (child runs included)."""
    for table in ("prune_roots", "prune_ids"):
        conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {table} (run_id TEXT PRIMARY KEY)")
        conn.execute(f"DELETE FROM {table}")
    if roots is not None:
        conn.executemany(
            "INSERT OR IGNORE INTO prune_roots SELECT run_id FROM dag_runs WHERE run_id = ?",
            [(r,) for r in roots],
        )
    else:
        where, args = _root_filter(cutoff, statuses, exclude)
        conn.execute(
            f"INSERT INTO prune_roots SELECT run_id FROM dag_runs WHERE {where} LIMIT ?",
            [*args, PRUNE_ROOTS_PER_TRANSACTION],
        )
    # LIMIT would cut a recursive query short: roots first, then their descendants.
    conn.execute(
        "INSERT OR IGNORE INTO prune_ids WITH RECURSIVE tree(run_id) AS ("
        " SELECT run_id FROM prune_roots"
        " UNION ALL SELECT d.run_id FROM dag_runs d JOIN tree t ON d.parent_run_id = t.run_id"
        ") SELECT run_id FROM tree"
    )
    deleted = 0
    for table in ("node_logs", "node_executions", "edge_traversals", "dag_runs"):
        cur = conn.execute(f"DELETE FROM {table} WHERE run_id IN (SELECT run_id FROM prune_ids)")
        deleted = cur.rowcount  # the last: runs
    return int(deleted)
