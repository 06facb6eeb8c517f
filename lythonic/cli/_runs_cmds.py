"""The commands behind ``lyth runs``, ``lyth runs show``, ``lyth restart`` and
``lyth replay``: the run history of the data directory's provenance store."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from lythonic._process import run_loop
from lythonic.cli._table import seconds_text, table, utc_text
from lythonic.cli.commands import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    Reply,
    _jsonable,
    _load,
    _run_reply,
)
from lythonic.declarative import LythSettings, UnknownDagError
from lythonic.declarative._diagnostics import did_you_mean

__all__ = ["RUN_STATUSES", "list_runs", "recover", "show_run"]

RUN_STATUSES = ("running", "completed", "failed", "paused", "cancelled", "interrupted")


def _open(db: Path) -> Any:
    from lythonic.compose.dag_provenance import DagProvenance

    return DagProvenance(db)


def _took(run: Any) -> float | None:
    if run.finished_at is None:
        return None
    return (run.finished_at - run.started_at).total_seconds()


def _last_line(text: str | None) -> str | None:
    if not text:
        return None
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else None


def _summary(run: Any) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "dag": run.dag_nsref,
        "status": run.status,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "seconds": _took(run),
        "initiated_by": run.initiated_by,
        "config_revision": run.config_revision,
        "error": run.error,
    }


def list_runs(
    db: Path,
    *,
    dag: str | None = None,
    status: str | None = None,
    limit: int = 20,
    as_json: bool = False,
) -> Reply:
    """``lyth runs``: the latest top-level runs, newest first."""
    if status is not None and status not in RUN_STATUSES:
        hint = did_you_mean(status, RUN_STATUSES)
        return Reply(
            EXIT_USAGE,
            "",
            [
                f"lyth: error: --status {status!r} is not a run status"
                + (f"; {hint}" if hint else f" (one of: {', '.join(RUN_STATUSES)})")
            ],
        )
    if not db.exists():
        return Reply(EXIT_OK, "[]\n" if as_json else "", [f"lyth: no runs recorded yet ({db})"])
    with _open(db) as prov:
        runs = prov.get_recent_runs(
            limit, status, top_level_only=True, dag_nsref=dag, children=False
        )
    if as_json:
        return Reply(EXIT_OK, json.dumps([_summary(r) for r in runs], indent=2) + "\n")
    if not runs:
        return Reply(EXIT_OK, "", ["lyth: no runs match"])
    rows = [
        [
            r.run_id,
            r.dag_nsref,
            r.status,
            utc_text(r.started_at),
            seconds_text(_took(r)),
            r.initiated_by,
            _last_line(r.error),
        ]
        for r in runs
    ]
    headers = ["RUN", "DAG", "STATUS", "STARTED (UTC)", "TOOK", "BY", "ERROR"]
    return Reply(EXIT_OK, table(headers, rows) + "\n")


def _decoded(text: str | None) -> Any:
    from lythonic.compose.dag_provenance import decode_value

    if text is None:
        return None
    try:
        return _jsonable(decode_value(text))
    except Exception:  # a value recorded by a newer lythonic: show it as stored
        return text


def _value_lines(label: str, text: str | None, size: int | None) -> list[str]:
    if text is None:
        return [f"  {label}: " + ("-" if size is None else f"<{size} bytes, not loaded>")]
    value = _decoded(text)
    compact = json.dumps(value, ensure_ascii=False, default=str)
    if len(compact) <= 100:
        return [f"  {label}: {compact}"]
    body = json.dumps(value, indent=2, ensure_ascii=False, default=str).splitlines()
    return [f"  {label}:", *("    " + line for line in body)]


def show_run(db: Path, run_id: str, *, io: bool = False, as_json: bool = False) -> Reply:
    """``lyth runs show RUN_ID``: the run's steps with status, timing, attempt and error."""
    if not db.exists():
        return Reply(EXIT_FAILED, "", [f"lyth: no runs recorded yet ({db})"])
    with _open(db) as prov:
        run = prov.inspect_run(run_id, children=False)
        if run is None:
            return Reply(EXIT_FAILED, "", [f"lyth: no run '{run_id}' in {db}"])
        if io:
            prov.load_io(run)
    if as_json:
        data = run.model_dump(mode="json", exclude_none=not io)
        return Reply(EXIT_OK, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    lines = [
        f"run       {run.run_id}",
        f"dag       {run.dag_nsref}",
        f"status    {run.status}",
        f"started   {utc_text(run.started_at)} UTC"
        + (f"  (took {seconds_text(_took(run))})" if run.finished_at else ""),
        f"by        {run.initiated_by or '-'}",
        f"revision  {run.config_revision or '-'}",
    ]
    if run.parent_run_id:
        lines.append(f"parent    {run.parent_run_id}")
    if run.error:
        lines.append(f"error     {_last_line(run.error)}")
    steps = sorted(run.nodes.values(), key=lambda n: (n.started_at is None, n.started_at))
    rows = [
        [
            n.node_label,
            n.status,
            n.attempt,
            utc_text(n.started_at),
            seconds_text(
                (n.finished_at - n.started_at).total_seconds()
                if n.finished_at and n.started_at
                else None
            ),
            _last_line(n.error),
        ]
        for n in steps
    ]
    lines += ["", table(["STEP", "STATUS", "ATTEMPT", "STARTED (UTC)", "TOOK", "ERROR"], rows)]
    failed = [n for n in steps if n.error]
    for n in failed:
        lines += ["", f"step {n.node_label} (attempt {n.attempt}):"]
        lines += ["  " + line for line in n.error.rstrip().splitlines()]
    if io:
        if run.io is not None:
            lines += ["", "run:"]
            lines += _value_lines("inputs", run.io.input_json, run.io.input_size)
            lines += _value_lines("outputs", run.io.output_json, run.io.output_size)
        for n in steps:
            if n.io is None:
                continue
            lines += ["", f"step {n.node_label}:"]
            lines += _value_lines("inputs", n.io.input_json, n.io.input_size)
            lines += _value_lines("output", n.io.output_json, n.io.output_size)
    return Reply(EXIT_OK, "\n".join(lines) + "\n")


def recover(
    run_id: str,
    config: Path,
    settings: LythSettings,
    *,
    rerun: Sequence[str] | None = None,
    force: bool = False,
    as_json: bool = False,
) -> Reply:
    """``lyth restart RUN_ID`` (``rerun`` None) or ``lyth replay RUN_ID --node ...``."""
    from lythonic.compose._provenance_store import initiated_by
    from lythonic.compose._replay import DagDefinitionChanged, RunRecoveryError

    loaded = _load(config, settings)
    if isinstance(loaded, Reply):
        return loaded
    cfg = loaded
    what = "restart" if rerun is None else "replay"
    db = cfg.storage.dags_db
    if not db.exists():
        return Reply(EXIT_FAILED, "", [f"lyth: no runs recorded yet ({db})"])
    with _open(db) as prov:
        run = prov.get_run(run_id)
        if run is None:
            return Reply(EXIT_FAILED, "", [f"lyth: no run '{run_id}' in {db}"])
        if run.get("parent_run_id"):
            return Reply(
                EXIT_FAILED,
                "",
                [
                    f"lyth: run '{run_id}' is a step of run '{run['parent_run_id']}'; "
                    f"{what} that run"
                ],
            )
        name = run["dag_nsref"]
        try:
            runner = cfg.runner(name, prov)
        except UnknownDagError as e:
            return Reply(EXIT_FAILED, "", [f"lyth: cannot {what} run '{run_id}': {e}"])
        cfg.mount_caches()
        call: Callable[[], Any] = (
            (lambda: runner.restart(run_id, force=force))
            if rerun is None
            else (lambda: runner.replay(run_id, set(rerun), force=force))
        )
        started = time.perf_counter()
        try:
            # A restart keeps the run's initiator; a replay is a new run, started by hand.
            with initiated_by("manual") if rerun is not None else contextlib.nullcontext():
                result = run_loop(call())
        except DagDefinitionChanged as e:
            return Reply(
                EXIT_FAILED,
                "",
                [f"lyth: {str(e).replace('pass force=True', 'pass --force')}"],
            )
        except RunRecoveryError as e:
            return Reply(EXIT_FAILED, "", [f"lyth: {e}"])
        except KeyboardInterrupt:
            return Reply(EXIT_INTERRUPTED, "", [f"lyth: interrupted; the {what} is recorded"])
        took = time.perf_counter() - started
    return _run_reply(name, result, took, db, as_json)
