"""`lyth runs prune` / `lyth runs delete` and `storage.retention`: exactly the old runs go,
with everything under them, and the SQLite file shrinks."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

from tests.cli.conftest import Invoke

CONFIG = """\
storage:
  retention: {failed: 90d, default: 30d}
dags:
  prices:
    nodes:
      items: tests.forensics.steps:items
      prices: {map: one_price}
      totals: tests.forensics.steps:totals
    edges:
      - items >> prices >> totals
  one_price:
    nodes:
      price: tests.forensics.steps:price
"""
TABLES = ("dag_runs", "node_executions", "edge_traversals", "node_logs")
DAY = 86400


def _run(lyth: Invoke, config: Path) -> str:
    done = lyth("run", "prices", "-c", str(config), "--json", allow_imports="tests.forensics")
    assert done.exit_code == 0, done.stderr
    return str(json.loads(done.stdout)["run_id"])


def _family(db: Path, run_id: str) -> list[str]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "WITH RECURSIVE t(id) AS (SELECT ? UNION ALL SELECT d.run_id FROM dag_runs d "
            "JOIN t ON d.parent_run_id = t.id) SELECT id FROM t",
            (run_id,),
        ).fetchall()
    return [r[0] for r in rows]


def _rows(db: Path, run_ids: list[str]) -> dict[str, int]:
    marks = ",".join("?" * len(run_ids))
    with sqlite3.connect(db) as conn:
        return {
            t: conn.execute(
                f"SELECT COUNT(*) FROM {t} WHERE run_id IN ({marks})", run_ids
            ).fetchone()[0]
            for t in TABLES
        }


def _age(db: Path, run_id: str, days: float, status: str | None = None) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute(
            "UPDATE dag_runs SET started_at = started_at - ? WHERE run_id = ?",
            (days * DAY, run_id),
        )
        if status is not None:
            conn.execute("UPDATE dag_runs SET status = ? WHERE run_id = ?", (status, run_id))
        conn.executemany(  # a lot of log lines: the file is big before the prune
            "INSERT INTO node_logs VALUES (?, 'items', 1, ?, ?, 'INFO', 't', ?)",
            [(run_id, i, time.time(), "x" * 1000) for i in range(1, 3001)],
        )


def test_prune_removes_exactly_the_old_runs_with_all_their_rows_and_shrinks_the_file(
    lyth: Invoke, tmp_path: Path
) -> None:
    """Runs older than --older-than go with their child runs, steps, edges and log lines
    (counted in every table); younger and running runs stay; --dry-run deletes nothing;
    the file is smaller after the VACUUM that follows."""
    config = tmp_path / "lyth.yaml"
    config.write_text(CONFIG)
    old, older, young, running = (_run(lyth, config) for _ in range(4))
    db = tmp_path / "data" / "dags.db"
    _age(db, old, 40)
    _age(db, older, 400)
    _age(db, running, 400, status="running")
    gone = _family(db, old) + _family(db, older)
    kept = _family(db, young) + _family(db, running)
    assert len(gone) > 2  # each run: itself and a child run per map element
    before, kept_before = _rows(db, gone), _rows(db, kept)
    assert all(before[t] > 0 for t in TABLES)
    size = db.stat().st_size
    dry = lyth("runs", "prune", "--older-than", "30d", "--dry-run", "-c", str(config))
    assert dry.exit_code == 0 and dry.stdout.split() == [older, old]
    assert _rows(db, gone) == before
    done = lyth("runs", "prune", "--older-than", "30d", "-c", str(config), "--json")
    assert done.exit_code == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["runs"] == [older, old] and answer["deleted"] == len(gone) and answer["vacuumed"]
    assert _rows(db, gone) == dict.fromkeys(TABLES, 0)
    assert _rows(db, kept) == kept_before
    assert db.stat().st_size < size / 2


def test_prune_by_storage_retention_keeps_failed_runs_longer(lyth: Invoke, tmp_path: Path) -> None:
    """Without --older-than, storage.retention decides: 40-day-old completed runs go
    (default 30d), a 40-day-old failed run stays (failed: 90d), a 100-day-old failed
    one goes; a config without retention and no --older-than is a usage error."""
    config = tmp_path / "lyth.yaml"
    config.write_text(CONFIG)
    done_old, failed_old, failed_older = (_run(lyth, config) for _ in range(3))
    db = tmp_path / "data" / "dags.db"
    _age(db, done_old, 40)
    _age(db, failed_old, 40, status="failed")
    _age(db, failed_older, 100, status="failed")
    pruned = lyth("runs", "prune", "-c", str(config), "--json")
    assert pruned.exit_code == 0, pruned.stderr
    assert sorted(json.loads(pruned.stdout)["runs"]) == sorted([done_old, failed_older])
    assert _rows(db, [failed_old])["dag_runs"] == 1
    config.write_text(CONFIG.replace("  retention: {failed: 90d, default: 30d}\n", ""))
    refused = lyth("runs", "prune", "-c", str(config))
    assert refused.exit_code == 2 and "--older-than" in refused.stderr


def test_delete_removes_one_run_and_refuses_a_running_or_child_run(
    lyth: Invoke, tmp_path: Path
) -> None:
    """`lyth runs delete RUN` removes the run and its child runs; a running run needs
    --force; a map element's run is refused, naming its parent."""
    config = tmp_path / "lyth.yaml"
    config.write_text(CONFIG)
    first, second = _run(lyth, config), _run(lyth, config)
    db = tmp_path / "data" / "dags.db"
    family = _family(db, first)
    child = family[1]
    refused = lyth("runs", "delete", child, "-c", str(config))
    assert refused.exit_code == 2 and first in refused.stderr
    deleted = lyth("runs", "delete", first[:10], "-c", str(config))
    assert deleted.exit_code == 0, deleted.stderr
    assert _rows(db, family) == dict.fromkeys(TABLES, 0)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE dag_runs SET status = 'running' WHERE run_id = ?", (second,))
    running = lyth("runs", "delete", second, "-c", str(config))
    assert running.exit_code == 1 and "--force" in running.stderr
    assert lyth("runs", "delete", second, "--force", "-c", str(config)).exit_code == 0
    assert _rows(db, _family(db, second) or [second])["dag_runs"] == 0
