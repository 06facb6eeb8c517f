"""File triggers: readiness of files being written, and a real `lyth start` watching a
directory while files arrive (slowly, renamed into place, before it starts)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from lythonic.engine._file_trigger import Readiness
from tests.engine.test_daemon import Project, wait_for


def test_a_file_is_ready_only_after_it_stayed_unchanged_for_stable_for(tmp_path: Path) -> None:
    """A file being written is not ready while it changes; once its size and mtime stay
    the same for `stable_for` it is, once; a vanished candidate is forgotten."""
    ready = Readiness(stable_for=2.0)
    f = tmp_path / "a.csv"
    f.write_bytes(b"one")
    ready.add(str(f))
    assert ready.check(now=0.0) == []
    assert ready.check(now=1.0) == []
    with f.open("ab") as out:
        out.write(b",two")  # still being written: the wait starts again
    assert ready.check(now=2.5) == []
    assert ready.check(now=4.0) == []
    (path, st), *rest = ready.check(now=4.6)
    assert (path, st.st_size, rest) == (str(f), 7, [])
    assert ready.check(now=10.0) == []  # reported once
    gone = tmp_path / "b.csv"
    gone.write_bytes(b"x")
    ready.add(str(gone))
    gone.unlink()
    assert ready.check(now=11.0) == [] and ready.pending == {}


def test_with_stable_for_zero_a_file_is_ready_at_first_sight(tmp_path: Path) -> None:
    """`stable_for: 0` fires a file the first time it is seen."""
    ready = Readiness(stable_for=0.0)
    f = tmp_path / "a.csv"
    f.write_bytes(b"x")
    ready.add(str(f))
    assert [p for p, _ in ready.check(now=0.0)] == [str(f)]


FILES = """\
dags:
  measure:
    nodes:
      size: pipes.files:size
triggers:
  arrivals:
    dag: measure
    type: file
    path: incoming
    pattern: "*.csv"
    stable_for: 600ms
    inputs: {size: {path: "{file.path}"}}
"""
FILE_STEPS = '''\
def size(path: str) -> int:
    """How many bytes the run read from the file."""
    with open(path, "rb") as f:
        return len(f.read())


def size_or_fail(path: str) -> int:
    if "bad" in path:
        raise ValueError("refused: " + path)
    with open(path, "rb") as f:
        return len(f.read())
'''


def _files_project(project: Project, config: str = FILES) -> Path:
    (project.root / "pipes" / "files.py").write_text(FILE_STEPS)
    incoming = project.root / "incoming"
    incoming.mkdir()
    project.write(config)
    return incoming


def _outputs(project: Project) -> list[tuple[str, int]]:
    """(status, bytes read) of every run so far."""
    out = []
    for r in project.runs():
        value = json.loads(r["sink_outputs_json"] or "{}").get("size")
        out.append((r["status"], value))
    return out


def _keys(project: Project) -> list[str]:
    with sqlite3.connect(project.data / "triggers.db") as conn:
        rows = conn.execute(
            "SELECT dedupe_key FROM trigger_events WHERE trigger_name = 'arrivals'"
        ).fetchall()
    return [r[0] for r in rows]


@pytest.mark.slow
def test_a_hundred_files_give_a_hundred_runs_none_half_written_none_twice(
    project: Project,
) -> None:
    """10 files present before the daemon starts, then 90 while it runs — 40 written in
    chunks over ~1.5 s, 25 written as `.part` and renamed into place, 25 at once —
    give exactly 100 runs, each reading the file's final size (none fired on a
    half-written file); restarting the daemon starts none again; `lyth status` shows
    the watched directory."""
    incoming = _files_project(project)
    sizes: dict[str, int] = {}
    for i in range(10):
        (incoming / f"early{i}.csv").write_bytes(b"e" * (100 + i))
        sizes[f"early{i}.csv"] = 100 + i
    proc = project.start()
    wait_for("the watcher", lambda: (project.record().get("sources") or {}).get("file"))

    def slow(i: int) -> None:
        with (incoming / f"slow{i}.csv").open("wb") as f:
            for _ in range(10):
                f.write(b"s" * 1000)
                f.flush()
                time.sleep(0.15)

    def renamed(i: int) -> None:
        part = incoming / f"moved{i}.csv.part"
        part.write_bytes(b"m" * (500 + i))
        time.sleep(0.2)
        part.rename(incoming / f"moved{i}.csv")

    writers = [threading.Thread(target=slow, args=(i,)) for i in range(40)]
    writers += [threading.Thread(target=renamed, args=(i,)) for i in range(25)]
    for t in writers:
        t.start()
    for i in range(25):
        (incoming / f"quick{i}.csv").write_bytes(b"q" * (50 + i))
        sizes[f"quick{i}.csv"] = 50 + i
    (incoming / "notes.txt").write_text("not a csv")
    (incoming / ".hidden.csv").write_text("hidden")
    for t in writers:
        t.join()
    sizes.update({f"slow{i}.csv": 10_000 for i in range(40)})
    sizes.update({f"moved{i}.csv": 500 + i for i in range(25)})
    wait_for(
        "100 finished runs",
        lambda: len(_outputs(project)) == 100 and all(s != "running" for s, _ in _outputs(project)),
        timeout=60,
    )
    assert sorted(v for _, v in _outputs(project)) == sorted(sizes.values())
    assert {s for s, _ in _outputs(project)} == {"completed"}
    assert "arrivals:" in project.lyth("status").stdout
    os.kill(proc.pid, signal.SIGTERM)
    assert proc.wait(30) == 0
    again = project.start()
    wait_for("the watcher", lambda: project.record().get("state") == "running")
    time.sleep(2.0)  # a scan and more than stable_for: a file that would fire, fires
    assert len(_outputs(project)) == 100 and len(set(_keys(project))) == 100
    os.kill(again.pid, signal.SIGTERM)
    assert again.wait(30) == 0


@pytest.mark.slow
def test_after_move_and_delete_follow_completed_runs_only(project: Project) -> None:
    """`after: move` moves a file once its run completed (a clash gets a suffix); a file
    whose run failed stays; `after: delete` removes it."""
    config = FILES.replace("pipes.files:size", "pipes.files:size_or_fail") + (
        "    after: move\n    move_to: done\n"
    )
    incoming = _files_project(project, config)
    done = project.root / "done"
    done.mkdir()
    (done / "a.csv").write_text("an older a")
    proc = project.start()
    wait_for("the watcher", lambda: (project.record().get("sources") or {}).get("file"))
    (incoming / "a.csv").write_text("1,2,3")
    (incoming / "bad.csv").write_text("x")
    wait_for("the move", lambda: (done / "a-1.csv").exists(), timeout=30)
    wait_for("two runs", lambda: len(_outputs(project)) == 2)
    time.sleep(1.0)
    assert (incoming / "bad.csv").exists() and not (incoming / "a.csv").exists()
    assert sorted(s for s, _ in _outputs(project)) == ["completed", "failed"]
    os.kill(proc.pid, signal.SIGTERM)
    assert proc.wait(30) == 0
    project.write(config.replace("after: move\n    move_to: done\n", "after: delete\n"))
    (incoming / "c.csv").write_text("gone soon")
    proc = project.start()
    wait_for("the delete", lambda: not (incoming / "c.csv").exists(), timeout=30)
    assert (incoming / "bad.csv").exists()  # claimed before: not run again, not deleted
    os.kill(proc.pid, signal.SIGTERM)
    assert proc.wait(30) == 0


async def test_polling_mode_finds_files_and_content_identity_fires_a_copy_once(
    tmp_path: Path,
) -> None:
    """With `poll: 100ms` (as on a network file system) files are found by polling;
    with `identity: content` a second file with the same bytes is a duplicate."""
    import asyncio

    from lythonic.compose.dag_provenance import DagProvenance
    from lythonic.compose.schedule import TriggerStore
    from lythonic.declarative import LythSettings, compile_config
    from lythonic.engine._file_trigger import FileSource
    from lythonic.engine._triggers import ConfigTriggers
    from tests.engine import steps

    incoming = tmp_path / "incoming"
    incoming.mkdir()
    text = (
        "dags:\n  d:\n    nodes:\n      stamp: tests.engine.steps:stamp\n"
        "triggers:\n  polled:\n    dag: d\n    type: file\n    path: incoming\n"
        "    poll: 100ms\n    stable_for: 0.2\n    identity: content\n"
        '    inputs: {stamp: {label: "{file.name}"}}\n'
    )
    settings = LythSettings(allow_imports=["tests.engine"])
    cfg, diags = compile_config(text, file="lyth.yaml", base_dir=tmp_path, settings=settings)
    assert cfg is not None, [str(d) for d in diags]
    store = TriggerStore(tmp_path / "t.db")
    prov = DagProvenance(tmp_path / "runs.db")
    manager = ConfigTriggers(cfg, store, prov)
    manager.activate_configured()
    manager.start()
    files = FileSource(manager)
    await files.apply({n: s for n, s in manager.specs().items() if s.type == "file"})
    assert files.describe()["polled"]["mode"] == "polling 0.1s"
    (incoming / "a.csv").write_text("same bytes")
    deadline = time.monotonic() + 20
    while not steps.SEEN and time.monotonic() < deadline:  # noqa: ASYNC110 -- steps append to a list
        await asyncio.sleep(0.05)
    (incoming / "copy.csv").write_text("same bytes")
    (incoming / "b.csv").write_text("other bytes")
    while len(steps.SEEN) < 2 and time.monotonic() < deadline:  # noqa: ASYNC110 -- as above
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.0)  # time enough for the copy to fire, were it new
    await files.stop()
    await manager.shutdown(5)
    store.close()
    prov.close()
    assert sorted(label for _, _, label in steps.SEEN) == ["a.csv", "b.csv"]
