"""The commands behind ``lyth diff``, ``lyth replay --isolated``, ``lyth logs`` and
``lyth plan``, without the typer layer: answers from the record."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from lythonic.cli._runs_cmds import open_recorded, open_run, resolve_run_id
from lythonic.cli._table import seconds_text, table
from lythonic.cli.commands import EXIT_FAILED, EXIT_OK, EXIT_USAGE, Reply, _load
from lythonic.declarative._diagnostics import did_you_mean

if TYPE_CHECKING:
    from pathlib import Path

    from lythonic.compose.provenance import DagRun, LogLine
    from lythonic.compose.run import Decision
    from lythonic.compose.stores import StoreLocation
    from lythonic.declarative import LythSettings
    from lythonic.forensics import RunDiff, StepReplay

__all__ = ["diff", "logs", "logs_of_config", "plan", "replay_isolated"]

_ALL = ("running", "completed", "failed", "paused", "cancelled", "interrupted")


def diff(
    db: StoreLocation,
    run_a: str,
    run_b: str,
    *,
    steps: Sequence[str] = (),
    rtol: float = 0.0,
    ignore: Sequence[str] = (),
    max_items: int = 50,
    exit_code: bool = False,
    as_json: bool = False,
) -> Reply:
    """``lyth diff RUN_A RUN_B``: definition, steps, values and child runs compared."""
    from lythonic.forensics import diff_runs

    store = open_recorded(db)
    if isinstance(store, Reply):
        return store
    with store as prov:
        ids = []
        for given in (run_a, run_b):
            found = resolve_run_id(prov, given, db)
            if isinstance(found, Reply):
                return found
            ids.append(found)
        a = prov.inspect_run(ids[0], children=False)
        b = prov.inspect_run(ids[1], children=False)
        if a is None or b is None:  # deleted since it was resolved (a prune)
            return Reply(
                EXIT_USAGE, "", [f"lyth: error: run {ids[0] if a is None else ids[1]} is gone"]
            )
        known = set(a.nodes) | set(b.nodes)
        for step in steps:
            if step not in known:
                hint = did_you_mean(step, sorted(known))
                return Reply(
                    EXIT_USAGE,
                    "",
                    [
                        f"lyth: error: --node {step!r} is in neither run; "
                        + (hint or f"their steps: {', '.join(sorted(known))}")
                    ],
                )
        result = diff_runs(
            prov, a, b, steps=list(steps) or None, rtol=rtol, ignore=ignore, max_items=max_items
        )
    code = EXIT_FAILED if exit_code and not result.same else EXIT_OK
    if as_json:
        return Reply(
            code, json.dumps(result.as_json(), indent=2, ensure_ascii=False, default=str) + "\n"
        )
    return Reply(code, "\n".join(_lines(result)) + "\n")


def _side(value: object) -> str:
    return "-" if value is None else str(value)


def _arrow(pair: tuple[object, object]) -> str:
    a, b = (_side(v) for v in pair)
    return a if a == b else f"{a} → {b}"


def _lines(d: RunDiff) -> list[str]:
    lines = [
        f"A  {d.a.run_id}  {d.a.dag_nsref}  {d.a.status}  {seconds_text(_took(d.a))}",
        f"B  {d.b.run_id}  {d.b.dag_nsref}  {d.b.status}  {seconds_text(_took(d.b))}",
        "",
    ]
    definition = d.definition
    if definition["changed"]:
        lines.append(
            f"definition changed: hash {_side(definition['hash'][0])} → "
            f"{_side(definition['hash'][1])}"
        )
        if definition["steps_only_in_a"]:
            lines.append(f"  steps only in A: {', '.join(definition['steps_only_in_a'])}")
        if definition["steps_only_in_b"]:
            lines.append(f"  steps only in B: {', '.join(definition['steps_only_in_b'])}")
    else:
        lines.append("definition: the same")
    if d.inputs:
        lines.append("inputs:")
        lines += [f"  {c.text()}" for c in d.inputs]
    rows = [
        [
            s.label,
            _arrow(s.status),
            _arrow(s.attempt),
            f"{seconds_text(s.seconds[0])} → {seconds_text(s.seconds[1])}",
            s.value if s.value != "differs" else f"differs ({s.change_count:,})",
        ]
        for s in d.steps
    ]
    lines += ["", table(["STEP", "STATUS", "ATTEMPT", "TOOK A → B", "OUTPUT"], rows)]
    for s in d.steps:
        if not s.changes:
            continue
        where = f" (→ {', '.join(s.downstream)})" if s.downstream else ""
        lines += ["", f"{s.label}{where}:"]
        lines += [f"  {c.text()}" for c in s.changes]
        if s.change_count > len(s.changes):
            lines.append(f"  … and {s.change_count - len(s.changes):,} more")
    for c in d.children:
        lines += ["", f"child runs of {c.step}: {c.summary()}"]
        lines += [f"  {key}: {what}" for key, what in c.examples]
        shown = len(c.examples)
        if c.differ > shown:
            lines.append(f"  … and {c.differ - shown:,} more that differ")
    lines += ["", "the same" if d.same else "they differ"]
    return lines


def _took(run: DagRun) -> float | None:
    from lythonic.compose.provenance import run_seconds

    return run_seconds(run)


def _override(arg: str) -> tuple[str, object] | Reply:
    name, sep, text = arg.partition("=")
    if not sep or not name.strip():
        return Reply(
            EXIT_USAGE, "", [f"lyth: error: --input {arg!r}: write PARAM=VALUE, e.g. --input x=3"]
        )
    try:
        value: object = json.loads(text)
    except ValueError:
        value = text  # not JSON: the text itself
    return name.strip(), value


def replay_isolated(
    run_id: str,
    step: str,
    config: Path,
    settings: LythSettings,
    *,
    inputs: Sequence[str] = (),
    record: bool = False,
    force: bool = False,
    as_json: bool = False,
) -> Reply:
    """``lyth replay RUN --node STEP --isolated``: the step alone, from its recorded
    inputs, in this process; its result and how it differs from the record."""
    from lythonic.declarative import UnknownDagError
    from lythonic.forensics import ReplayRefused, replay_step

    overrides: dict[str, object] = {}
    for arg in inputs:
        parsed = _override(arg)
        if isinstance(parsed, Reply):
            return parsed
        overrides[parsed[0]] = parsed[1]
    loaded = _load(config, settings, outcome="nothing was replayed")
    if isinstance(loaded, Reply):
        return loaded
    db = loaded.storage.runs_store
    opened = open_run(db, run_id)
    if isinstance(opened, Reply):
        return opened
    store, found = opened
    with store as prov:
        run = prov.inspect_run(found, children=False)
        if run is None:
            return Reply(EXIT_USAGE, "", [f"lyth: error: run {found} is gone"])
        if run.parent_run_id:
            return Reply(
                EXIT_USAGE,
                "",
                [
                    f"lyth: error: run {found} is a child run of {run.parent_run_id}; name the "
                    "step by its path from that run, e.g. --node 'chunks[3]/count'"
                ],
            )
        try:
            dag = loaded.get_dag(run.dag_nsref)
        except UnknownDagError as e:
            return Reply(EXIT_FAILED, "", [f"lyth: cannot replay run {found}: {e}"])
        try:
            result = replay_step(
                prov, dag, run, step, overrides=overrides, force=force, record=record
            )
        except ReplayRefused as e:
            return Reply(EXIT_USAGE, "", [f"lyth: error: {e}"])
    code = EXIT_FAILED if result.error else EXIT_OK
    if as_json:
        return Reply(code, json.dumps(result.as_json(), indent=2, ensure_ascii=False) + "\n")
    return Reply(code, "\n".join(_replay_lines(result)) + "\n", _replay_notes(result))


def _replay_lines(r: StepReplay) -> list[str]:
    lines = [
        f"step {r.label} of run {r.run_id} ({r.dag_nsref}), replayed in {seconds_text(r.seconds)}"
    ]
    if r.error is None:
        shown = json.dumps(json.loads(r.output_json or "null"), ensure_ascii=False)
        lines.append(f"output: {shown if len(shown) <= 200 else shown[:199] + '…'}")
    if r.equal is True:
        lines.append("the same as recorded")
    elif r.equal is False:
        lines.append(f"differs from the recorded output ({r.change_count:,}):")
        lines += [f"  {c.text()}" for c in r.changes]
    elif r.error is None:
        lines.append(f"nothing to compare with: the step was recorded {r.recorded_status}")
    if r.recorded_as:
        lines.append(f"recorded as run {r.recorded_as}")
    return lines


def _replay_notes(r: StepReplay) -> list[str]:
    if r.error is None:
        return []
    return [f"lyth: step {r.label!r} raised when replayed:", r.error.rstrip()]


_LEVEL_NAMES = ("debug", "info", "warning", "error", "critical")
_EXPANDS = {
    "map": "a map: one child run per element, known when its upstream ran",
    "call": "a call: its sub-DAG runs as a child run",
    "switch": "a switch: the branch is chosen when it runs",
    "map_switch": "a map over a switch: elements and branches known when it runs",
}


def logs_of_config(
    config: Path | None,
    data: Path | None,
    run_id: str,
    step: str | None,
    write: Callable[[str], None],
    **options: Any,
) -> Reply:
    """``lyth logs`` with ``--config``/``--data`` as given: the settings are read and the
    run store located (as ``lyth runs`` does), then ``logs``. The typer command and the
    entry point's fast path (``lythonic.cli.main``) both call this."""
    from lythonic._filesystem import set_network_fs_policy
    from lythonic.declarative import SettingsError, load_settings
    from lythonic.engine._locate import locate

    try:
        settings = load_settings(config=config, data_dir=data)
    except SettingsError as e:
        return Reply(EXIT_USAGE, "", [f"lyth: error: {e}"])
    set_network_fs_policy(settings.network_fs)
    return logs(locate(settings.config, settings).dags_db, run_id, step, write, **options)


def logs(
    db: StoreLocation,
    run_id: str,
    step: str | None,
    write: Callable[[str], None],
    *,
    attempt: int | None = None,
    level: str | None = None,
    follow: bool = False,
    as_json: bool = False,
    poll: float | None = None,
) -> Reply:
    """``lyth logs RUN [STEP]``: the lines the run's steps logged, by step and attempt,
    written as they are read (the first page of a million lines shows at once);
    with ``follow``, new lines until the run ends: on PostgreSQL as soon as a writer
    commits them (LISTEN/NOTIFY, with a look every ``poll`` seconds, default 2, in
    case a notification is lost), on SQLite every ``poll`` seconds (default 0.5)."""
    import logging as _logging

    if level is not None and level.lower() not in _LEVEL_NAMES:
        hint = did_you_mean(level.lower(), list(_LEVEL_NAMES))
        return Reply(
            EXIT_USAGE,
            "",
            [f"lyth: error: --level {level!r}: " + (hint or f"one of {', '.join(_LEVEL_NAMES)}")],
        )
    opened = open_run(db, run_id)
    if isinstance(opened, Reply):
        return opened
    store, found = opened
    with store as prov:
        target, label = found, step
        if step is not None:
            *keys, label = step.split("/")
            for key in keys:
                kids = prov.unfinished_child_runs(target, key=key, limit=1, statuses=_ALL)
                if not kids:
                    return Reply(
                        EXIT_USAGE, "", [f"lyth: error: run {target} has no child run {key!r}"]
                    )
                target = kids[0].run_id
            run = prov.inspect_run(target, children=False)
            if run is not None and label not in run.nodes:
                hint = did_you_mean(label, sorted(run.nodes))
                return Reply(
                    EXIT_USAGE,
                    "",
                    [
                        f"lyth: error: run {target} has no step {label!r}; "
                        + (hint or f"its steps: {', '.join(sorted(run.nodes))}")
                    ],
                )
        floor = _logging.getLevelName(level.upper()) if level else None

        def page(after: tuple[str, int, int] | None, key: tuple[str, int] | None, n: int) -> int:
            """Write the next ``n`` lines after ``after`` (of one step attempt with
            ``key``); how many there were."""
            lines = prov.node_log_lines(
                target,
                node_label=key[0] if key else label,
                attempt=key[1] if key else attempt,
                min_level=floor,
                after=after,
                limit=n,
            )
            for line in lines:
                write(_log_json(line) if as_json else _log_text(line))
                seen[line.node_label, line.attempt] = line.seq
            if lines:
                last = lines[-1]
                cursor[0] = (last.node_label, last.attempt, last.seq)
            return len(lines)

        seen: dict[tuple[str, int], int] = {}
        cursor: list[tuple[str, int, int] | None] = [None]
        # Listening starts before the first read: a change committed in between is heard.
        listener = prov.run_listener() if follow else None
        every = poll if poll is not None else (0.5 if listener is None else 2.0)
        try:
            shown = page(None, None, 200)  # a small first page: the first line shows at once
            while (got := page(cursor[0], None, 5_000)) > 0:
                shown += got
            # Following: lines arrive for any step attempt (a retry of a step that sorts
            # first, two steps at once), so each one is asked for past its own last line.
            while follow:
                current = prov.get_run(target)
                running = current is not None and current["status"] == "running"
                for key, mark in sorted(prov.node_log_marks(target).items()):
                    if (label is not None and key[0] != label) or (
                        attempt is not None and key[1] != attempt
                    ):
                        continue
                    while seen.get(key, 0) < mark:
                        got = page((*key, seen.get(key, 0)), key, 5_000)
                        if not got:  # the rest is below --level
                            break
                        shown += got
                    seen[key] = max(seen.get(key, 0), mark)  # lines below --level count too
                if not running:
                    break
                if listener is None:
                    time.sleep(every)
                else:
                    listener.wait(target, every)
        finally:
            if listener is not None:
                listener.close()
    notes = (
        [] if shown else [f"lyth: no lines kept for {'step ' + step if step else 'run ' + found}"]
    )
    return Reply(EXIT_OK, "", notes)


def _log_text(line: LogLine) -> str:
    when = datetime.fromtimestamp(line.ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return f"{when} {line.level:<8} {line.node_label}#{line.attempt} {line.logger}: {line.message}"


def _log_json(line: LogLine) -> str:
    return json.dumps(
        {
            "ts": datetime.fromtimestamp(line.ts, UTC).isoformat(),
            "step": line.node_label,
            "attempt": line.attempt,
            "seq": line.seq,
            "level": line.level,
            "logger": line.logger,
            "message": line.message,
        },
        ensure_ascii=False,
    )


def plan(
    dag_name: str,
    config: Path,
    settings: LythSettings,
    *,
    restart: str | None = None,
    replay: str | None = None,
    nodes: Sequence[str] = (),
    inputs: Sequence[str] = (),
    force: bool = False,
    as_json: bool = False,
) -> Reply:
    """``lyth plan DAG``: what a run, a restart or a replay would do with each step,
    and why, running nothing. Restart and replay decide with their own rule
    (``decide_reuse``), so the plan is what they do."""
    from lythonic._process import run_loop
    from lythonic.cli.commands import UsageError, _check_inputs, parse_input_args
    from lythonic.compose.provenance import (
        DagDefinitionChanged,
        RunNotRestartable,
        UnknownStep,
    )
    from lythonic.compose.run import (
        PLAIN,
        SWITCH,
        Decision,
        explain_recovery,
        outlook,
        plan_for,
    )
    from lythonic.declarative import UnknownDagError

    if restart is not None and replay is not None:
        return Reply(EXIT_USAGE, "", ["lyth: error: --restart and --replay: give one of them"])
    if (replay is None) != (not nodes):
        problem = (
            "--replay needs --node STEP" if replay is not None else "--node goes with --replay"
        )
        return Reply(EXIT_USAGE, "", [f"lyth: error: {problem}"])
    loaded = _load(config, settings, outcome="nothing was planned")
    if isinstance(loaded, Reply):
        return loaded
    given = loaded.inputs(dag_name)
    try:
        dag = loaded.get_dag(dag_name)
        if inputs:
            for step, params in _check_inputs(loaded, dag_name, parse_input_args(inputs)).items():
                given.setdefault(step, {}).update(params)
    except UnknownDagError as e:
        return Reply(EXIT_USAGE, "", [f"lyth: error: {e}"])
    except UsageError as e:
        return Reply(EXIT_USAGE, "", [f"lyth: error: {e}"])
    loaded.mount_caches()  # cached steps say whether their cache would answer
    shape = plan_for(dag)
    run_id = restart or replay
    if run_id is None:
        fresh = [
            Decision(np.label, "run", "a new run")
            if np.kind == PLAIN
            else Decision(np.label, "expand", _EXPANDS.get(np.node.kind, ""))
            if np.kind != SWITCH
            else Decision(np.label, "expand", "")  # outlook names what the branch waits for
            for np in (shape.nodes[i] for i in shape.order)
        ]
        steps = [_row(d) for d in outlook(shape, fresh, given)]
        return _plan_reply(dag_name, None, "run", steps, as_json)
    db = loaded.storage.runs_store
    opened = open_run(db, run_id)
    if isinstance(opened, Reply):
        return opened
    store, found = opened
    with store as prov:
        row = prov.get_run(found)
        if row is not None and row["dag_nsref"] != dag_name:
            return Reply(
                EXIT_USAGE,
                "",
                [f"lyth: error: run {found} is a run of {row['dag_nsref']!r}, not of {dag_name!r}"],
            )
        try:
            recovery = run_loop(
                explain_recovery(prov, dag, found, list(nodes) if replay else None, force=force)
            )
        except DagDefinitionChanged as e:
            return Reply(
                EXIT_FAILED, "", [f"lyth: {str(e).replace('pass force=True', 'pass --force')}"]
            )
        except UnknownStep as e:
            return Reply(EXIT_USAGE, "", [f"lyth: error: {e}"])
        except RunNotRestartable as e:
            return Reply(EXIT_FAILED, "", [f"lyth: {e}"])
    decisions = outlook(shape, list(recovery.decisions), recovery.inputs, found)
    steps = [_row(d) for d in decisions]
    return _plan_reply(dag_name, found, "restart" if restart else "replay", steps, as_json)


def _row(d: Decision) -> dict[str, str]:
    return {"step": d.label, "action": d.action, "reason": d.reason}


def _plan_reply(
    dag: str, run_id: str | None, mode: str, steps: list[dict[str, str]], as_json: bool
) -> Reply:
    if as_json:
        data = {"dag": dag, "mode": mode, "run_id": run_id, "steps": steps}
        return Reply(EXIT_OK, json.dumps(data, indent=2) + "\n")
    head = f"{mode} of DAG {dag}" + (f" from run {run_id}" if run_id else "") + ": runs nothing now"
    rows = [[s["step"], s["action"], s["reason"]] for s in steps]
    return Reply(EXIT_OK, head + "\n\n" + table(["STEP", "ACTION", "REASON"], rows) + "\n")
