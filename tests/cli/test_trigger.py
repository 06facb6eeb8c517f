"""lyth fire and lyth trigger enable|disable (in process, on a temporary store)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.cli.conftest import Invoke

CONFIG = """\
dags:
  ping:
    nodes:
      work: tests.engine.steps:stamp
    inputs:
      work: {label: from_dag}
triggers:
  hourly:
    dag: ping
    cron: "0 * * * *"
    inputs:
      work: {label: from_trigger}
  paused:
    dag: ping
    cron: "0 0 * * *"
    enabled: false
"""


def _config(tmp_path: Path) -> Path:
    config = tmp_path / "lyth.yaml"
    config.write_text(CONFIG)
    return config


def _events(tmp_path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(tmp_path / "data" / "triggers.db") as conn:
        return conn.execute(
            "SELECT trigger_name, status FROM trigger_events ORDER BY fired_at"
        ).fetchall()


def _state(tmp_path: Path, name: str) -> tuple[str, str | None]:
    with sqlite3.connect(tmp_path / "data" / "triggers.db") as conn:
        return conn.execute(
            "SELECT status, changed_by FROM trigger_activations WHERE name = ?", (name,)
        ).fetchone()


def test_fire_runs_the_trigger_with_its_inputs_or_a_payload(lyth: Invoke, tmp_path: Path) -> None:
    """fire runs the DAG now with the trigger's inputs; --payload replaces them; both recorded."""
    config = _config(tmp_path)
    plain = lyth("fire", "hourly", "-c", str(config), "--json", allow_imports="tests.engine")
    assert plain.exit_code == 0, plain.stderr
    assert json.loads(plain.stdout)["outputs"] == {"work": "v1:from_trigger:0"}
    given = lyth(
        "fire",
        "hourly",
        "-c",
        str(config),
        "--payload",
        '{"work": {"label": "given", "extra": 2}}',
        "--json",
        allow_imports="tests.engine",
    )
    assert json.loads(given.stdout)["outputs"] == {"work": "v1:given:2"}
    assert _events(tmp_path) == [("hourly", "completed"), ("hourly", "completed")]


def test_fire_refuses_bad_payloads_and_unknown_triggers(lyth: Invoke, tmp_path: Path) -> None:
    """Not JSON, not an object, an unknown step, an unknown trigger: exit 2, nothing runs."""
    config = _config(tmp_path)
    for payload, message in [
        ("{nope", "--payload is not valid JSON"),
        ("[1]", "--payload must be a JSON object"),
        ('{"wrk": {"label": "x"}}', "has no step 'wrk'; did you mean 'work'?"),
    ]:
        result = lyth(
            "fire", "hourly", "-c", str(config), "-p", payload, allow_imports="tests.engine"
        )
        assert result.exit_code == 2, (payload, result.stderr)
        assert message in result.stderr
    unknown = lyth("fire", "hourli", "-c", str(config), allow_imports="tests.engine")
    assert unknown.exit_code == 2 and "unknown trigger 'hourli'; did you mean 'hourly'?" in (
        unknown.stderr
    )
    assert not (tmp_path / "data" / "dags.db").exists() or _events(tmp_path) == []


def test_disable_and_enable_persist_and_fire_respects_them(lyth: Invoke, tmp_path: Path) -> None:
    """disable records who did it and stops fires; enable undoes it; no daemon is told."""
    config = _config(tmp_path)
    off = lyth("trigger", "disable", "hourly", "-c", str(config), allow_imports="tests.engine")
    assert off.exit_code == 0, off.stderr
    assert off.stdout == "trigger 'hourly' disabled\n"
    assert "no daemon is running" in off.stderr
    assert _state(tmp_path, "hourly") == ("disabled", "cli")
    refused = lyth("fire", "hourly", "-c", str(config), allow_imports="tests.engine")
    assert refused.exit_code == 1 and "is disabled with `lyth trigger`" in refused.stderr
    on = lyth("trigger", "enable", "hourly", "-c", str(config), allow_imports="tests.engine")
    assert on.exit_code == 0 and _state(tmp_path, "hourly") == ("active", "cli")


def test_a_trigger_disabled_in_the_config_is_enabled_there(lyth: Invoke, tmp_path: Path) -> None:
    """`enabled: false` in the file wins: enable says to edit the file; fire refuses."""
    config = _config(tmp_path)
    result = lyth("trigger", "enable", "paused", "-c", str(config), allow_imports="tests.engine")
    assert result.exit_code == 1 and "`enabled: false`" in result.stderr
    fired = lyth("fire", "paused", "-c", str(config), allow_imports="tests.engine")
    assert fired.exit_code == 1 and "disabled in the config" in fired.stderr


def test_enable_of_an_unknown_trigger_is_a_usage_error(lyth: Invoke, tmp_path: Path) -> None:
    """A name that no trigger has: exit 2 with the known names or a suggestion."""
    config = _config(tmp_path)
    result = lyth("trigger", "disable", "nightly", "-c", str(config), allow_imports="tests.engine")
    assert result.exit_code == 2 and "unknown trigger 'nightly'" in result.stderr


def test_disable_and_enable_work_while_the_config_is_broken(lyth: Invoke, tmp_path: Path) -> None:
    """With lyth.yaml broken, disable/enable change the trigger on record (it only needs
    the trigger store) and say the file is broken; an unknown name is still exit 2."""
    config = _config(tmp_path)
    assert (
        lyth(
            "trigger", "disable", "hourly", "-c", str(config), allow_imports="tests.engine"
        ).exit_code
        == 0
    )
    config.write_text(CONFIG.replace('cron: "0 * * * *"', 'cron: "99 * * * *"'))
    enabled = lyth("trigger", "enable", "hourly", "-c", str(config))
    assert enabled.exit_code == 0, enabled.stderr
    assert enabled.stdout == "trigger 'hourly' enabled\n"
    assert "is invalid" in enabled.stderr and "changed on record only" in enabled.stderr
    assert _state(tmp_path, "hourly") == ("active", "cli")
    disabled = lyth("trigger", "disable", "hourly", "-c", str(config))
    assert disabled.exit_code == 0 and _state(tmp_path, "hourly") == ("disabled", "cli")
    unknown = lyth("trigger", "disable", "hourli", "-c", str(config))
    assert unknown.exit_code == 2 and "did you mean 'hourly'" in unknown.stderr


def test_firing_an_event_trigger_by_hand_needs_the_inputs_its_event_would_give(
    lyth: Invoke, tmp_path: Path
) -> None:
    """`lyth fire` of a file trigger whose input is `{file.path}` is a usage error naming
    that input; with --payload giving it, the run goes as for any trigger."""
    config = tmp_path / "lyth.yaml"
    config.write_text(
        CONFIG
        + "  arrivals:\n    dag: ping\n    type: file\n    path: incoming\n"
        + '    inputs: {work: {label: "{file.name}"}}\n'
    )
    refused = lyth("fire", "arrivals", "-c", str(config), allow_imports="tests.engine")
    assert refused.exit_code == 2
    assert "fills work.label from the file that fires it" in refused.stderr
    done = lyth(
        "fire",
        "arrivals",
        "-c",
        str(config),
        "--payload",
        '{"work": {"label": "by-hand.csv"}}',
        "--json",
        allow_imports="tests.engine",
    )
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout)["outputs"] == {"work": "v1:by-hand.csv:0"}
