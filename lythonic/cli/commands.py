"""The commands behind ``lyth validate | run | graph | schema``, without the typer layer.

Each command takes plain arguments and returns a ``Reply`` (exit code, data
for stdout, lines for stderr); it never prints or exits, so tests call it
directly. The typer layer (``_config_app``) parses options and writes the
reply; the work itself is done by ``lythonic.declarative``.

Exit codes: 0 ok, 1 invalid config or failed run, 2 usage error, 130
interrupted.
"""

from __future__ import annotations

import json
import math
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lythonic import declarative  # names load on first use: history commands stay light
from lythonic.declarative._diagnostics import did_you_mean

if TYPE_CHECKING:
    from lythonic.declarative import Diagnostic, LoadedConfig, LythSettings

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "Reply",
    "UsageError",
    "github_annotation",
    "graph",
    "parse_input_args",
    "parse_inputs_json",
    "run",
    "schema",
    "validate",
]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


@dataclass
class Reply:
    """What a command produced: ``stdout`` is data, ``stderr`` lines are for people."""

    code: int = EXIT_OK
    stdout: str = ""
    stderr: list[str] = field(default_factory=list)


class UsageError(Exception):
    """The command line asks for something impossible (exit 2)."""


# -- validate -------------------------------------------------------------------


def validate(
    path: Path | Sequence[Path],
    settings: LythSettings,
    *,
    static: bool = False,
    strict: bool = False,
    as_json: bool = False,
    output: str = "text",
) -> Reply:
    """Check config files; every problem of each in one pass.

    ``output``: ``text`` (``FILE:LINE:COL: message`` lines on stderr and a count),
    ``json`` (one object per file; a list of them for several files) or ``github``
    (one GitHub Actions annotation per problem, on stdout). The exit code is the
    worst of the files': 2 for a file that does not exist, 1 for a problem.
    """
    paths = [path] if isinstance(path, Path) else list(path)
    output = "json" if as_json else output
    code = EXIT_OK
    stdout: list[str] = []
    stderr: list[str] = []
    documents: list[dict[str, Any]] = []
    for one in paths:
        missing = _missing(one)
        if missing is not None:
            code = max(code, missing.code)
            stderr.extend(missing.stderr)
            continue
        diags = declarative.validate_config(one, settings=settings, static=static)
        errors = [d for d in diags if d.severity == "error"]
        warnings = [d for d in diags if d.severity != "error"]
        failed = bool(errors) or (strict and bool(warnings))
        code = max(code, EXIT_FAILED if failed else EXIT_OK)
        if output == "json":
            documents.append(
                {
                    "file": str(one),
                    "valid": not failed,
                    "static": static,
                    "errors": len(errors),
                    "warnings": len(warnings),
                    "diagnostics": [d.as_dict() for d in diags],
                }
            )
        elif output == "github":
            stdout.extend(github_annotation(d, strict) for d in diags)
        else:
            stderr.extend(str(d) for d in diags)
            if diags:
                stderr.append(
                    _count(len(errors), "error") + ", " + _count(len(warnings), "warning")
                )
    if output == "json":
        data: Any = documents[0] if len(paths) == 1 and documents else documents
        return Reply(code, json.dumps(data, indent=2) + "\n", stderr)
    return Reply(code, "".join(line + "\n" for line in stdout), stderr)


def _escaped(text: str, *, prop: bool = False) -> str:
    """``text`` as GitHub's workflow commands take it (a property also escapes ``:``, ``,``)."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def github_annotation(d: Diagnostic, strict: bool = False) -> str:
    """One problem as a GitHub Actions annotation (a warning is an error with ``strict``).

    >>> from lythonic.declarative import Diagnostic
    >>> print(github_annotation(Diagnostic("a,b.yaml", 3, 7, "unknown step 'lod', 50%", "x")))
    ::error file=a%2Cb.yaml,line=3,col=7,title=lyth validate::unknown step 'lod', 50%25
    """
    level = "error" if d.severity == "error" or strict else "warning"
    where = f"file={_escaped(str(d.file), prop=True)}"
    if d.line:
        where += f",line={d.line},col={d.column}"
    message = d.message + (f" ({d.hint})" if d.hint else "")
    return f"::{level} {where},title=lyth validate::{_escaped(message)}"


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def schema(config: Path | None = None, settings: LythSettings | None = None) -> Reply:
    """The JSON Schema of lyth.yaml; with ``config``, the inputs of its steps typed too
    (the config is loaded: its modules are imported through the allow-list)."""
    if config is None or settings is None:
        return Reply(EXIT_OK, declarative.schema_text())
    loaded = _load(config, settings)
    if isinstance(loaded, Reply):
        return loaded
    from lythonic.declarative._schema import steps_schema

    return Reply(EXIT_OK, declarative.schema_text(steps_schema(loaded)))


# -- inputs ---------------------------------------------------------------------


def _not_finite(token: str) -> Any:
    raise ValueError(f"{token} is not a finite number")


def _finite_float(token: str) -> float:
    number = float(token)
    if not math.isfinite(number):  # 1e999
        raise ValueError(f"{token} is not a finite number")
    return number


class InputText(str):
    """The text of one ``--input`` value; ``value`` is its JSON reading, else the text.

    Which of the two a step gets is decided against the parameter's annotation
    (``_check_inputs``): ``--input s.name=42`` gives ``name: str`` the text "42".
    """

    @property
    def value(self) -> Any:
        """JSON when the text is JSON (``42``, ``true``, ``[1, 2]``, ``"x"``), else the text;
        ``NaN``, ``Infinity`` and numbers too big for a float stay text."""
        text = str(self)
        try:
            return json.loads(text, parse_constant=_not_finite, parse_float=_finite_float)
        except ValueError:
            return text


def parse_input_args(args: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``["step.param=value", ...]`` as ``{step: {param: InputText}}``."""
    inputs: dict[str, dict[str, Any]] = {}
    for arg in args:
        target, sep, text = arg.partition("=")
        step, dot, param = target.partition(".")
        if not sep or not dot or not step or not param:
            raise UsageError(
                f"--input {arg!r}: write STEP.PARAM=VALUE, e.g. --input extract.url=https://..."
            )
        inputs.setdefault(step.strip(), {})[param.strip()] = InputText(text)
    return inputs


def parse_inputs_json(text: str, source: str) -> dict[str, dict[str, Any]]:
    """A JSON object ``{step: {param: value}}`` (the ``--inputs-json`` file)."""
    try:
        data = json.loads(text)
    except ValueError as e:
        raise UsageError(f"--inputs-json {source}: not valid JSON: {e}") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise UsageError(
            f'--inputs-json {source}: expected an object {{"step": {{"param": value}}}}'
        )
    return {str(k): dict(v) for k, v in data.items()}


def _conform(step: str, param: str, annotation: Any, value: Any) -> Any:
    """``value`` for the parameter: an ``--input`` text as JSON or as text, whichever
    fits the annotation; anything else checked as it is. Raises ``UsageError``."""
    from lythonic.compose.nodes import format_type
    from lythonic.declarative._inputs import conform_input

    if isinstance(value, InputText):
        candidates = [value.value, str(value)]
        shown = f"--input {step}.{param}={value}"
    else:
        candidates = [value]
        shown = f"input {step}.{param}={json.dumps(value, default=repr)}"
    if annotation is None:
        return candidates[0]
    problem = ""
    for candidate in candidates:
        try:
            return conform_input(annotation, candidate)
        except ValueError as e:
            problem = problem or str(e)
    raise UsageError(
        f"{shown}: does not fit parameter '{param}: {format_type(annotation)}' of step "
        f"'{step}': {problem}"
    )


def _check_inputs(
    cfg: LoadedConfig, name: str, inputs: Mapping[str, Mapping[str, Any]]
) -> dict[str, dict[str, Any]]:
    """``inputs`` checked against DAG ``name``: the values to run it with.

    Raises ``UsageError`` for an unknown step or parameter, a value that does
    not fit its parameter, or a required source input nobody gives.
    """
    from lythonic.compose.nodes import accepts_any_kwarg, node_params

    dag = cfg.get_dag(name)
    conformed: dict[str, dict[str, Any]] = {}
    for step, params in inputs.items():
        node = dag.nodes.get(step)
        if node is None:
            hint = did_you_mean(step, dag.nodes)
            raise UsageError(
                f"DAG '{name}' has no step '{step}'"
                + (f"; {hint}" if hint else f" (steps: {', '.join(dag.nodes)})")
            )
        if node.kind != "node":
            raise UsageError(f"step '{step}' is a {node.kind} step; it takes no inputs")
        declared = {p.name: p.annotation for p in node_params(node.ns_node)}
        any_kwarg = accepts_any_kwarg(node.ns_node)
        out = conformed.setdefault(step, {})
        for param, value in params.items():
            if param not in declared and not any_kwarg:
                names = list(declared)
                hint = did_you_mean(param, names)
                raise UsageError(
                    f"step '{step}' has no parameter '{param}'"
                    + (f"; {hint}" if hint else f" (it takes: {', '.join(names) or 'none'})")
                )
            out[param] = _conform(step, param, declared.get(param), value)
    merged = cfg.inputs(name)
    for step, params in conformed.items():
        merged.setdefault(step, {}).update(params)
    from lythonic.declarative._check import missing_source_inputs

    missing = missing_source_inputs(dag, merged)
    if missing:
        flags = " ".join(f"--input {s}.{p}=..." for s, p in missing)
        raise UsageError(
            f"DAG '{name}' needs input "
            + ", ".join(f"'{s}.{p}'" for s, p in missing)
            + f": pass {flags}"
        )
    return conformed


# -- run --------------------------------------------------------------------------


def _missing(config: Path) -> Reply | None:
    """A usage error (exit 2) when the config file does not exist."""
    if config.exists():
        return None
    return Reply(
        EXIT_USAGE,
        "",
        [f"lyth: error: no config file {config} (give one with --config/-c or LYTH_CONFIG)"],
    )


def _load(
    config: Path, settings: LythSettings, *, outcome: str = "nothing was run"
) -> LoadedConfig | Reply:
    missing = _missing(config)
    if missing is not None:
        return missing
    try:
        return declarative.load_config(config, settings=settings)
    except declarative.ConfigError as e:
        lines = [str(d) for d in e.diagnostics]
        return Reply(EXIT_FAILED, "", [*lines, f"{config}: invalid config, {outcome}"])


def _jsonable(value: Any) -> Any:
    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return repr(value)


def _show_output(label: str, value: Any) -> str:
    if isinstance(value, str) and "\n" in value:
        body = "\n".join("  " + line for line in value.rstrip("\n").splitlines())
        return f"{label}:\n{body}"
    compact = json.dumps(_jsonable(value), ensure_ascii=False)
    if len(compact) <= 100:
        return f"{label}: {compact}"
    pretty = json.dumps(_jsonable(value), indent=2, ensure_ascii=False)
    return f"{label}:\n" + "\n".join("  " + line for line in pretty.splitlines())


def run(
    dag: str,
    config: Path,
    settings: LythSettings,
    *,
    inputs: Mapping[str, Mapping[str, Any]] | None = None,
    as_json: bool = False,
    progress: Callable[[str], None] | None = None,
    provenance_factory: Callable[[Any], Any] | None = None,
) -> Reply:
    """Run DAG ``dag`` of ``config`` once, recording it in the data directory's store."""
    loaded = _load(config, settings)
    if isinstance(loaded, Reply):
        return loaded
    cfg = loaded
    try:
        given = _check_inputs(cfg, dag, inputs or {})
    except declarative.UnknownDagError as e:
        return Reply(EXIT_USAGE, "", [f"lyth: error: {e}"])
    except UsageError as e:
        return Reply(EXIT_USAGE, "", [f"lyth: error: {e}"])

    if provenance_factory is None:
        from lythonic.compose.stores import StoreUnavailable, open_provenance

        try:
            store = open_provenance(cfg.storage.runs_store)
        except StoreUnavailable as e:  # unwritable directory, a newer schema, no server
            return Reply(
                EXIT_FAILED, "", [f"lyth: cannot open the provenance store {e.path}: {e.error}"]
            )
    else:
        try:
            store = provenance_factory(cfg.storage.runs_store)
        except Exception as e:  # unwritable directory, a store from a newer lythonic ...
            return Reply(
                EXIT_FAILED,
                "",
                [f"lyth: cannot open the provenance store {cfg.storage.runs_store}: {e}"],
            )
    run_id = str(uuid.uuid4())  # known before the run starts: progress and Ctrl-C name it
    recorder: Any = store
    if progress is not None:
        from lythonic.cli._progress import ProgressStore

        recorder = ProgressStore(store, run_id, progress)
        progress(f"lyth: running {dag} (run {run_id})")
    started = time.perf_counter()
    try:
        cfg.mount_caches()
    except Exception as e:  # e.g. a cached function whose parameters cannot be a cache key
        _close(store)
        return Reply(EXIT_FAILED, "", [f"lyth: cannot set up the cache: {e}"])
    from lythonic.engine._executor import ExecutorUnavailable, open_executor

    # Sync steps run in a pool of our own (or a cluster), not the loop's default
    # one: closing asyncio.run waits for the default pool's threads, so a Ctrl-C
    # would wait for a running step to finish. Ours is shut down without waiting.
    try:
        executor = open_executor(settings)
    except ExecutorUnavailable as e:
        _close(store)
        return Reply(EXIT_FAILED, "", [f"lyth: {e}"])
    try:
        import asyncio  # loaded with the commands (lythonic.cli), Ctrl-C held

        result = asyncio.run(
            cfg.run(
                dag,
                given,
                provenance=recorder,
                executor=executor,
                run_id=run_id,
                initiator="manual",
            )
        )
    except KeyboardInterrupt:
        return Reply(
            EXIT_INTERRUPTED,
            "",
            [
                f"lyth: interrupted; run {run_id} is recorded as cancelled in {cfg.storage.runs_store}"
            ],
        )
    finally:
        executor.close()
        _close(store)
    took = time.perf_counter() - started
    return _run_reply(dag, result, took, cfg.storage.runs_store, as_json)


def _close(store: Any) -> None:
    close = getattr(store, "close", None)
    if close is not None:
        close()


def _run_reply(dag: str, result: Any, took: float, db: Any, as_json: bool) -> Reply:
    ok = result.status == "completed"
    code = EXIT_OK if ok else EXIT_FAILED
    if as_json:
        data = {
            "dag": dag,
            "run_id": result.run_id,
            "status": result.status,
            "seconds": round(took, 6),
            "outputs": _jsonable(result.outputs),
            "failed_node": result.failed_node,
            "error": result.error,
            "provenance": str(db),
        }
        return Reply(code, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    lines = [f"run {result.run_id} of {dag}: {result.status} in {took:.3f}s"]
    lines += [_show_output(label, value) for label, value in result.outputs.items()]
    errors = []
    if not ok:
        where = f"step '{result.failed_node}' failed: " if result.failed_node else ""
        errors.append(f"lyth: {where}{result.error}")
        errors.append(f"lyth: the run and its traceback are recorded in {db}")
    return Reply(code, "\n".join(lines) + "\n", errors)


# -- graph ------------------------------------------------------------------------


def graph(dag: str, config: Path, settings: LythSettings, *, fmt: str = "mermaid") -> Reply:
    """Draw DAG ``dag`` of ``config``."""
    from lythonic.declarative._graph import config_notes, render_graph

    loaded = _load(config, settings, outcome="nothing to draw")
    if isinstance(loaded, Reply):
        return loaded
    try:
        built = loaded.get_dag(dag)
    except declarative.UnknownDagError as e:
        return Reply(EXIT_USAGE, "", [f"lyth: error: {e}"])
    return Reply(EXIT_OK, render_graph(built, dag, fmt, notes=config_notes(loaded)))
