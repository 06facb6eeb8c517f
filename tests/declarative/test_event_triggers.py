"""`type: file` and `type: webhook` triggers in lyth.yaml: what validation accepts and refuses."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lythonic.declarative import LythSettings, load_config, validate_config
from lythonic.engine._triggers import config_trigger_specs

HEAD = """
version: 1
dags:
  count:
    nodes:
      load: tests.declarative.fixtures.steps:upper
      size: tests.declarative.fixtures.steps:length
    edges: [load >> size]
triggers:
"""


def _problems(path: Path, settings: LythSettings) -> list[str]:
    return [
        f"{d.line}:{d.column} {d.severity} {d.message}"
        for d in validate_config(path, settings=settings)
    ]


def test_file_and_webhook_triggers_load_with_their_options(write_config, settings) -> None:
    """Both kinds load next to a cron trigger; the file trigger's directory is made absolute."""
    path = write_config(
        HEAD
        + """
  nightly: {dag: count, cron: "@daily", inputs: {load: {s: x}}}
  arrivals:
    dag: count
    type: file
    path: incoming
    pattern: "*.csv"
    stable_for: 500ms
    inputs: {load: {s: "{file.path}"}}
  pushes:
    dag: count
    type: webhook
    auth: github
    secret_env: HOOK_SECRET
    dedupe_header: X-GitHub-Delivery
    inputs: {load: {s: "{body.ref}"}}
"""
    )
    assert _problems(path, settings) == []
    cfg = load_config(path, settings=settings)
    specs = config_trigger_specs(cfg)
    assert (specs["nightly"].type, specs["arrivals"].type, specs["pushes"].type) == (
        "poll",
        "file",
        "webhook",
    )
    assert specs["arrivals"].source is not None
    assert specs["arrivals"].source["path"] == str((path.parent / "incoming").resolve())
    assert specs["arrivals"].source["stable_for"] == 0.5
    assert specs["arrivals"].overlap == "allow"
    assert specs["pushes"].source == {
        "auth": "github",
        "secret_env": "HOOK_SECRET",
        "dedupe_header": "X-GitHub-Delivery",
    }


def test_an_inline_secret_is_refused_at_its_line(write_config, settings) -> None:
    """A `secret:` written in the YAML is an error at its position naming secret_env."""
    path = write_config(
        HEAD
        + """
  pushes:
    dag: count
    type: webhook
    auth: bearer
    secret_env: HOOK_SECRET
    secret: hunter2hunter2
"""
    )
    problems = _problems(path, settings)
    assert len(problems) == 1, problems
    assert problems[0].startswith("15:13 error") and "secret_env" in problems[0]
    assert "hunter2" not in problems[0]


def test_a_directory_outside_the_allowed_roots_is_refused(write_config, tmp_path: Path) -> None:
    """`path` and `move_to` must lie under LYTH_FILE_TRIGGER_ROOTS (default: the config's
    directory); the error names the key's line and the roots."""
    path = write_config(
        HEAD
        + """
  arrivals:
    dag: count
    type: file
    path: /etc
    after: move
    move_to: done
    inputs: {load: {s: "{file.path}"}}
"""
    )
    settings = LythSettings(allow_imports=["tests.declarative.fixtures"])
    problems = _problems(path, settings)
    assert len(problems) == 1 and problems[0].startswith("13:11 error"), problems
    assert "outside the directories file triggers may use" in problems[0]
    assert str(tmp_path.resolve()) in problems[0]
    allowed = LythSettings(
        allow_imports=["tests.declarative.fixtures"], file_trigger_roots=[Path("/etc"), tmp_path]
    )
    assert _problems(path, allowed) == []


def test_move_without_move_to_and_bad_templates_are_reported(write_config, settings) -> None:
    """`after: move` needs `move_to`; a placeholder a trigger does not provide, an unknown file
    field and a lone brace are each one error at the input's line."""
    path = write_config(
        HEAD
        + """
  arrivals:
    dag: count
    type: file
    path: incoming
    after: move
    inputs:
      load: {s: "{body.ref}"}
  arrivals2:
    dag: count
    type: file
    path: incoming
    inputs:
      load: {s: "{file.owner}"}
  pushes:
    dag: count
    type: webhook
    auth: github
    secret_env: S
    inputs:
      load: {s: "ref {body.ref"}
"""
    )
    problems = _problems(path, settings)
    assert len(problems) == 4, problems
    text = "\n".join(problems)
    assert "moves files after their runs but says not where" in text
    assert "'{body.ref}' is not something a file trigger provides" in text
    assert "'{file.owner}' is not a file field" in text
    assert "a lone brace" in text


def test_a_whole_file_placeholder_is_type_checked_like_an_input(write_config, settings) -> None:
    """`{file.size}` (an int) given to a `str` parameter is a type error; `{file.name}` is not."""
    path = write_config(
        HEAD
        + """
  arrivals:
    dag: count
    type: file
    path: incoming
    inputs: {load: {s: "{file.size}"}}
"""
    )
    problems = _problems(path, settings)
    assert len(problems) == 1 and "load" in problems[0], problems
    path.write_text(path.read_text().replace("{file.size}", "{file.name}"))
    assert _problems(path, settings) == []


def test_an_unknown_trigger_type_is_one_error(write_config, settings) -> None:
    """`type: email` is refused naming the kinds there are."""
    path = write_config(HEAD + "\n  mails: {dag: count, type: email}\n")
    problems = _problems(path, settings)
    assert len(problems) == 1 and "cron (the default), file, webhook" in problems[0], problems


def test_an_event_run_gets_its_inputs_from_what_fired_it(write_config, settings, tmp_path) -> None:
    """A file trigger's run reads `{file.path}` rendered into its step input."""
    from lythonic.compose.provenance import DagProvenance
    from lythonic.compose.schedule import TriggerStore
    from lythonic.compose.schedule._trigger_event import TriggerEvent
    from lythonic.engine._triggers import ConfigTriggers

    path = write_config(
        HEAD
        + """
  arrivals:
    dag: count
    type: file
    path: incoming
    inputs: {load: {s: "got {file.name}"}}
"""
    )
    cfg = load_config(path, settings=settings)

    async def main() -> tuple[list[str], dict]:
        store = TriggerStore(tmp_path / "t.db")
        prov = DagProvenance(tmp_path / "runs.db")
        manager = ConfigTriggers(cfg, store, prov)
        manager.activate_configured()
        manager.start()
        await asyncio.sleep(0.05)
        offers = await manager.offer(
            "arrivals", [TriggerEvent("k", {"file": {"name": "a.csv", "path": "/x/a.csv"}})]
        )
        await manager.drain()
        manager.stop()
        store.close()
        prov.flush()
        run = prov.get_run(offers[0].run_id or "")
        return [o.status for o in offers], dict(run or {})

    statuses, run = asyncio.run(main())
    assert statuses == ["claimed"] and run["status"] == "completed"
