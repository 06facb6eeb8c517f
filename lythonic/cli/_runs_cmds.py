"""The commands behind ``lyth runs``, ``lyth runs show``, ``lyth restart`` and
``lyth replay``: the run history of the data directory's provenance store."""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lythonic._process import run_loop
from lythonic.cli._table import seconds_text, table, utc_text
from lythonic.cli._tracebacks import last_error_line, user_frames
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
from lythonic.compose.provenance import run_seconds, run_summary
from lythonic.declarative import LythSettings, UnknownDagError
from lythonic.declarative._diagnostics import did_you_mean

if TYPE_CHECKING:
    from lythonic.compose.stores import StoreLocation

__all__ = [
    "RUN_STATUSES",
    "delete",
    "list_runs",
    "open_recorded",
    "open_run",
    "prune",
    "recover",
    "resolve_run_id",
    "show_run",
    "sweep",
]

RUN_STATUSES = ("running", "completed", "failed", "paused", "cancelled", "interrupted")
_UNFINISHED = ("failed", "cancelled", "interrupted", "paused", "running")
_SHOWN_CHILDREN = 10  # failed child runs listed per step; the rest are counted
_SUB_DAG = re.compile(r"Sub-DAG \[(.+?\])\] failed")


def _open(db: StoreLocation) -> Any:
    """The run store, or a ``Reply`` saying why it cannot be opened (exit 1)."""
    from lythonic.compose.stores import StoreUnavailable, open_provenance

    try:
        return open_provenance(db)
    except StoreUnavailable as e:
        return Reply(EXIT_FAILED, "", [f"lyth: {e}"])


def open_recorded(db: StoreLocation) -> Any:
    """The run store, when runs were recorded; else a ``Reply``: no runs yet (exit 2),
    or why the store cannot be opened (exit 1)."""
    if not db.exists():
        return Reply(EXIT_USAGE, "", [f"lyth: error: no runs recorded yet ({db})"])
    return _open(db)


def open_run(db: StoreLocation, run_id: str) -> tuple[Any, str] | Reply:
    """The run store and the run ``run_id`` names (an id or a unique prefix); else a
    ``Reply`` saying why not (``open_recorded``, ``resolve_run_id``)."""
    store = open_recorded(db)
    if isinstance(store, Reply):
        return store
    found = resolve_run_id(store, run_id, db)
    if isinstance(found, Reply):
        store.close()
        return found
    return store, found


def resolve_run_id(prov: Any, given: str, db: StoreLocation) -> str | Reply:
    """The run ``given`` names: its id, or a unique prefix of one (exit 2 otherwise)."""
    if prov.get_run(given) is not None:
        return given
    matches = prov.find_run_ids(given, limit=6)
    if len(matches) == 1:
        return str(matches[0])
    if matches:
        shown = ", ".join(matches[:5]) + (", ..." if len(matches) > 5 else "")
        return Reply(
            EXIT_USAGE,
            "",
            [f"lyth: error: run id prefix '{given}' is ambiguous ({shown}); give more of it"],
        )
    recent = [r.run_id for r in prov.get_recent_runs(200, children=False)]
    hint = did_you_mean(given, recent)
    return Reply(
        EXIT_USAGE,
        "",
        [f"lyth: error: no run '{given}' in {db}; " + (hint or "`lyth runs` lists the runs")],
    )


def _last_line(text: str | None) -> str | None:
    if not text:
        return None
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else None


def list_runs(
    db: StoreLocation,
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
    store = _open(db)
    if isinstance(store, Reply):
        return store
    with store as prov:
        runs = prov.get_recent_runs(
            limit, status, top_level_only=True, dag_nsref=dag, children=False
        )
    if as_json:
        return Reply(EXIT_OK, json.dumps([run_summary(r) for r in runs], indent=2) + "\n")
    if not runs:
        return Reply(EXIT_OK, "", ["lyth: no runs match"])
    rows = [
        [
            r.run_id,
            r.dag_nsref,
            r.status,
            utc_text(r.started_at),
            seconds_text(run_seconds(r)),
            r.initiated_by,
            last_error_line(r.error),
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


def show_run(db: StoreLocation, run_id: str, *, io: bool = False, as_json: bool = False) -> Reply:
    """``lyth runs show RUN_ID``: the root cause of a failure first, then the steps
    with status, timing, attempt and error, the child runs of composite steps
    (counted, the failed ones listed) and the tracebacks, with the user's frames."""
    opened = open_run(db, run_id)
    if isinstance(opened, Reply):
        return opened
    store, found = opened
    with store as prov:
        run = prov.inspect_run(found, children=as_json)
        if io:
            prov.load_io(run)
        code = _code_of(prov, run.run_id)
        if as_json:
            data = run.model_dump(mode="json", exclude_none=not io)
            data["code"] = code
            return Reply(EXIT_OK, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        counts = prov.child_counts(run.run_id)
        children = {
            label: prov.unfinished_child_runs(
                run.run_id, step=label, limit=_SHOWN_CHILDREN, statuses=_UNFINISHED
            )
            for label, by_status in counts.items()
            if set(by_status) - {"completed"}
        }
        cause = _root_cause(prov, run)
    return Reply(EXIT_OK, "\n".join(_run_lines(run, counts, children, cause, io, code)) + "\n")


def _code_of(prov: Any, run_id: str) -> dict[str, Any] | None:
    """The run's code fingerprints (``{"dag", "steps"}``), None for older runs."""
    text = (prov.get_run(run_id) or {}).get("code_json")
    return json.loads(text) if text else None


def _root_cause(prov: Any, run: Any) -> tuple[list[str], Any, Any] | None:
    """The failed step that started it all: follow failed composite steps into their
    first failed child run. ``(path of child keys, run, node)``, or None."""
    path: list[str] = []
    for _ in range(50):  # nesting depth; a cycle cannot happen, but never loop forever
        failed = [n for n in run.nodes.values() if n.status == "failed"]
        if not failed:
            return None
        node = min(failed, key=lambda n: (n.started_at is None, n.started_at))
        # The element the composite's error names ("Sub-DAG [chunks[3]] failed: ..."),
        # else the first of its failed child runs.
        named = _SUB_DAG.search(node.error or "")
        child = prov.unfinished_child_runs(run.run_id, key=named.group(1), limit=1) if named else []
        if not child:
            child = prov.unfinished_child_runs(run.run_id, step=node.node_label, limit=1)
        if not child:
            return path, run, node
        run = child[0]
        path.append(run.dag_nsref.rsplit("/", 1)[-1])
    return None


def _took_node(n: Any) -> float | None:
    if n.finished_at and n.started_at:
        return float((n.finished_at - n.started_at).total_seconds())
    return None


def _run_lines(
    run: Any,
    counts: dict[str, dict[str, int]],
    children: dict[str, list[Any]],
    cause: tuple[list[str], Any, Any] | None,
    io: bool,
    code: dict[str, Any] | None = None,
) -> list[str]:
    lines = [
        f"run       {run.run_id}",
        f"dag       {run.dag_nsref}",
        f"status    {run.status}",
        f"started   {utc_text(run.started_at)} UTC"
        + (f"  (took {seconds_text(run_seconds(run))})" if run.finished_at else ""),
        f"by        {run.initiated_by or '-'}",
        f"revision  {run.config_revision or '-'}",
    ]
    if code is not None:
        lines.append(f"code      DAG {code.get('dag') or '-'} (CODE: each step's source digest)")
    digests = (code or {}).get("steps", {})
    if run.parent_run_id:
        lines.append(f"parent    {run.parent_run_id}")
    if run.error:
        lines.append(f"error     {_last_line(run.error)}")
    if cause is not None:
        path, where, node = cause
        lines += ["", f"root cause: {last_error_line(node.error)}"]
        if path:
            lines.append(
                f"  in step '{node.node_label}' of child run {where.run_id} "
                f"({'/'.join(path)}), attempt {node.attempt}"
            )
        else:
            lines.append(f"  in step '{node.node_label}', attempt {node.attempt}")
        lines += ["  " + line for line in user_frames(node.error or "").splitlines()]
    steps = sorted(run.nodes.values(), key=lambda n: (n.started_at is None, n.started_at))
    rows = [
        [
            n.node_label,
            n.status,
            n.attempt,
            utc_text(n.started_at),
            seconds_text(_took_node(n)),
            digests.get(n.node_label),
            # A step that completed after a retry has no error to show.
            None if n.status in ("completed", "skipped") else last_error_line(n.error),
        ]
        for n in steps
    ]
    headers = ["STEP", "STATUS", "ATTEMPT", "STARTED (UTC)", "TOOK", "CODE", "ERROR"]
    lines += ["", table(headers, rows)]
    if counts:
        lines += ["", "child runs:"]
        for label in sorted(counts):
            by_status = counts[label]
            total = sum(by_status.values())
            parts = ", ".join(f"{n:,} {status}" for status, n in sorted(by_status.items()))
            lines.append(f"  {label}  ×{total:,}: {parts}")
            shown = children.get(label, [])
            for child in shown:
                key = child.dag_nsref.rsplit("/", 1)[-1]
                lines.append(
                    f"    {child.status:<11} {child.run_id}  {key}  {_last_line(child.error) or ''}"
                )
            rest = total - by_status.get("completed", 0) - len(shown)
            if rest > 0:
                lines.append(f"    … and {rest:,} more not completed (`lyth runs show` on one)")
    for n in steps:
        if n.error and n.status not in ("completed", "skipped"):
            lines += ["", f"step {n.node_label} (attempt {n.attempt}):"]
            lines += ["  " + line for line in user_frames(n.error).splitlines()]
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
    return lines


def sweep(db: StoreLocation, *, as_json: bool = False) -> Reply:
    """``lyth runs sweep``: mark runs a dead process left ``running`` as interrupted."""
    if not db.exists():
        return Reply(EXIT_OK, "[]\n" if as_json else "", [f"lyth: no runs recorded yet ({db})"])
    store = _open(db)
    if isinstance(store, Reply):
        return store
    with store as prov:
        swept = prov.sweep_interrupted()
    if as_json:
        return Reply(EXIT_OK, json.dumps(swept, indent=2) + "\n")
    if not swept:
        return Reply(EXIT_OK, "", ["lyth: no run was left running by a dead process"])
    return Reply(
        EXIT_OK,
        "".join(f"{run_id}\n" for run_id in swept),
        [f"lyth: marked {len(swept)} run(s) interrupted; `lyth restart RUN` continues one"],
    )


def prune(
    db: StoreLocation,
    rules: list[tuple[float, list[str] | None, list[str]]],
    *,
    dry_run: bool = False,
    as_json: bool = False,
) -> Reply:
    """``lyth runs prune``: delete finished runs older than the rules keep them."""
    from lythonic.compose.provenance import apply_retention

    if not rules:
        return Reply(
            EXIT_USAGE,
            "",
            [
                "lyth: error: nothing to prune by: give --older-than (e.g. 30d) or set "
                "storage.retention in the config"
            ],
        )
    if not db.exists():
        return Reply(EXIT_OK, "[]\n" if as_json else "", [f"lyth: no runs recorded yet ({db})"])
    store = _open(db)
    if isinstance(store, Reply):
        return store
    with store as prov:
        result = apply_retention(prov, rules, dry_run=dry_run)
    if as_json:
        data = {
            "dry_run": dry_run,
            "runs": result.run_ids,
            "deleted": result.deleted,
            "vacuumed": result.vacuumed,
        }
        return Reply(EXIT_OK, json.dumps(data, indent=2) + "\n")
    listing = "".join(f"{run_id}\n" for run_id in result.run_ids)
    if dry_run:
        return Reply(EXIT_OK, listing, [f"lyth: would delete {len(result.run_ids)} run(s)"])
    space = "; the store's file was compacted (VACUUM)" if result.vacuumed else ""
    return Reply(
        EXIT_OK,
        listing,
        [
            f"lyth: deleted {len(result.run_ids)} run(s) ({result.deleted} with their child "
            f"runs), their steps, values and log lines{space}"
        ],
    )


def delete(db: StoreLocation, run_id: str, *, force: bool = False, as_json: bool = False) -> Reply:
    """``lyth runs delete RUN``: one top-level run and everything under it."""
    opened = open_run(db, run_id)
    if isinstance(opened, Reply):
        return opened
    store, found = opened
    with store as prov:
        run = prov.get_run(found)
        if run is not None and run.get("parent_run_id"):
            return Reply(
                EXIT_USAGE,
                "",
                [
                    f"lyth: error: run {found} is a child run of {run['parent_run_id']}; delete "
                    "that one"
                ],
            )
        if run is not None and run["status"] == "running" and not force:
            return Reply(
                EXIT_FAILED,
                "",
                [f"lyth: run {found} is running; stop it first, or --force to delete it anyway"],
            )
        deleted = prov.delete_runs([found])
        vacuumed = bool(prov.vacuum()) if deleted else False
    if as_json:
        return Reply(EXIT_OK, json.dumps({"run_id": found, "deleted": deleted}) + "\n")
    return Reply(
        EXIT_OK,
        "",
        [
            f"lyth: deleted run {found} ({deleted} with its child runs)"
            + ("; file compacted" if vacuumed else "")
        ],
    )


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
    loaded = _load(config, settings)
    if isinstance(loaded, Reply):
        return loaded
    cfg = loaded
    what = "restart" if rerun is None else "replay"
    db = cfg.storage.runs_store
    opened = open_run(db, run_id)
    if isinstance(opened, Reply):
        return opened
    store, found = opened
    with store as prov:
        run_id = found
        run = prov.get_run(run_id)
        if run["status"] == "running" and rerun is None:
            # Left running by a process that died (a crash, kill -9)? Then it can go on.
            prov.sweep_interrupted()
            run = prov.get_run(run_id)
            if run["status"] == "running":
                return Reply(
                    EXIT_FAILED,
                    "",
                    [
                        f"lyth: run '{run_id}' is still running in a live process "
                        "(`lyth status` shows the daemon's runs); restart it once it ended"
                    ],
                )
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
        from lythonic.engine._executor import ExecutorUnavailable, open_executor

        try:
            executor = open_executor(settings)
        except ExecutorUnavailable as e:
            return Reply(EXIT_FAILED, "", [f"lyth: {e}"])
        try:
            return _recover_with(cfg, prov, db, name, run_id, rerun, force, as_json, executor)
        finally:
            executor.close()


def _recover_with(
    cfg: Any,
    prov: Any,
    db: StoreLocation,
    name: str,
    run_id: str,
    rerun: Sequence[str] | None,
    force: bool,
    as_json: bool,
    executor: Any,
) -> Reply:
    from lythonic.compose.provenance import (
        DagDefinitionChanged,
        RunRecoveryError,
        UnknownStep,
        initiated_by,
    )

    what = "restart" if rerun is None else "replay"
    try:
        runner = cfg.runner(name, prov, executor=executor)
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
    except UnknownStep as e:
        return Reply(EXIT_USAGE, "", [f"lyth: error: {e}"])
    except RunRecoveryError as e:
        return Reply(EXIT_FAILED, "", [f"lyth: {e}"])
    except KeyboardInterrupt:
        return Reply(EXIT_INTERRUPTED, "", [f"lyth: interrupted; the {what} is recorded"])
    took = time.perf_counter() - started
    return _run_reply(name, result, took, db, as_json)
