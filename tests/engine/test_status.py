"""The status record: written whole, read back, failures carry their position."""

from __future__ import annotations

import json
from pathlib import Path

from lythonic.declarative import Diagnostic
from lythonic.engine import DaemonStatus, ReloadResult, read_status, write_status


def _status(**kw: object) -> DaemonStatus:
    values: dict[str, object] = {
        "pid": 42,
        "started_at": "2024-05-01T10:00:00+00:00",
        "config": "/srv/lyth.yaml",
        "data_dir": "/srv/data",
    }
    values.update(kw)
    return DaemonStatus(**values)  # type: ignore[arg-type]


def test_round_trip_keeps_the_reload_result(tmp_path: Path) -> None:
    """What the daemon writes, the CLI reads back, the last reload included."""
    path = tmp_path / "lyth.status.json"
    status = _status(revision="abc", triggers=["nightly"])
    status.last_reload = ReloadResult(ok=True, cause="watch", revision="abc", added=["nightly"])
    write_status(path, status)
    back = read_status(path)
    assert back is not None
    assert (back.pid, back.revision, back.triggers) == (42, "abc", ["nightly"])
    assert back.last_reload == status.last_reload


def test_write_replaces_in_one_rename_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    """Each write swaps the whole file; no temporary file stays; others may read it."""
    path = tmp_path / "lyth.status.json"
    write_status(path, _status(state="starting"))
    write_status(path, _status(state="running"))
    assert json.loads(path.read_text())["state"] == "running"
    assert [p.name for p in tmp_path.iterdir()] == ["lyth.status.json"]
    assert path.stat().st_mode & 0o044 == 0o044


def test_missing_or_garbled_record_reads_as_none(tmp_path: Path) -> None:
    """No file, bad JSON or a JSON list: None rather than an error."""
    path = tmp_path / "lyth.status.json"
    assert read_status(path) is None
    path.write_text("{not json")
    assert read_status(path) is None
    path.write_text("[1, 2]")
    assert read_status(path) is None


def test_unknown_keys_from_a_newer_daemon_are_ignored(tmp_path: Path) -> None:
    """A record with more keys than this version knows still reads."""
    path = tmp_path / "lyth.status.json"
    data = _status().to_dict() | {"future_key": 1}
    data["last_reload"] = {"ok": False, "cause": "watch", "error": "x", "also_new": 2}
    path.write_text(json.dumps(data))
    back = read_status(path)
    assert back is not None and back.last_reload is not None
    assert back.last_reload.error == "x"


def test_failed_reload_names_the_first_error_with_its_position() -> None:
    """The error text is the first error as file:line:col: message; warnings come after."""
    diags = [
        Diagnostic("lyth.yaml", 3, 5, "a warning", severity="warning"),
        Diagnostic("lyth.yaml", 7, 10, "unknown DAG 'etll'", hint="did you mean 'etl'?"),
    ]
    result = ReloadResult.failed("watch", diags)
    assert result.ok is False
    assert result.error == "lyth.yaml:7:10: unknown DAG 'etll' (did you mean 'etl'?)"
    assert [e["line"] for e in result.errors] == [7]
