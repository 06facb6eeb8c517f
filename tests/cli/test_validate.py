"""`lyth validate`: silent on success, every problem with its place on failure, --json for CI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import ROOT, STEPS, Invoke

BROKEN = ROOT / "tests" / "declarative" / "fixtures" / "broken"


def test_valid_file_is_silent(lyth: Invoke) -> None:
    """A valid file: exit 0, nothing on stdout or stderr."""
    result = lyth("validate", str(ROOT / "lyth.yaml"))
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


def test_default_file_comes_from_settings(lyth: Invoke, tmp_path: Path) -> None:
    """Without FILE, LYTH_CONFIG names the file (else ./lyth.yaml); a file that does not
    exist is a usage error (exit 2), for validate and every command that reads it."""
    result = lyth("validate", config=str(tmp_path / "nowhere.yaml"))
    assert result.exit_code == 2 and "no config file" in result.stderr
    assert "nowhere.yaml" in result.stderr
    for args in (["run", "d"], ["graph", "d"], ["fire", "t"], ["restart", "r"]):
        other = lyth(*args, config=str(tmp_path / "nowhere.yaml"))
        assert other.exit_code == 2 and "no config file" in other.stderr, args


def test_every_problem_on_stderr(lyth: Invoke, tmp_path: Path) -> None:
    """An invalid file: exit 1, one FILE:LINE:COL line per problem and a count."""
    path = tmp_path / "lyth.yaml"
    path.write_text(
        f"dags:\n  d:\n    nodes:\n      a: {STEPS}:text\n      b: {STEPS}:uper\n"
        "    edges: [a >> c]\n"
    )
    result = lyth("validate", str(path))
    assert result.exit_code == 1 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"{path}:5:10: module '{STEPS}' has no attribute 'uper'")
    assert lines[1].startswith(f"{path}:6:18: unknown step 'c'")
    assert lines[-1] == "2 errors, 0 warnings"
    assert "Traceback" not in result.stderr


def test_json_output(lyth: Invoke) -> None:
    """--json prints a machine-readable report on stdout (and keeps the exit code)."""
    result = lyth("validate", "--json", str(BROKEN / "cycle.yaml"))
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["valid"] is False and data["errors"] == 1
    (diag,) = data["diagnostics"]
    assert (diag["line"], diag["column"], diag["code"]) == (11, 9, "cycle")
    ok = json.loads(lyth("validate", "--json", str(ROOT / "lyth.yaml")).stdout)
    assert ok == {
        "file": str(ROOT / "lyth.yaml"),
        "valid": True,
        "static": False,
        "errors": 0,
        "warnings": 0,
        "diagnostics": [],
    }


def test_static_and_strict(lyth: Invoke, tmp_path: Path) -> None:
    """--static skips imports (a missing function goes unnoticed); --strict fails on warnings."""
    path = tmp_path / "lyth.yaml"
    path.write_text(
        f"dags:\n  d:\n    nodes:\n      a: {STEPS}:text\n      l: {STEPS}:untyped\n"
        f"      u: {STEPS}:upper\n      x: {STEPS}:missing_function\n"
        "    edges: [a >> u, l >> u]\n"
    )
    assert lyth("validate", "--static", str(path)).exit_code == 0
    assert lyth("validate", "--no-imports", str(path)).exit_code == 0
    assert lyth("validate", str(path)).exit_code == 1
    path.write_text(path.read_text().replace(f"      x: {STEPS}:missing_function\n", ""))
    warned = lyth("validate", str(path))
    assert warned.exit_code == 0 and ": warning: " in warned.stderr
    assert lyth("validate", "--strict", str(path)).exit_code == 1


def test_allow_list_comes_from_the_environment(lyth: Invoke) -> None:
    """The same file fails when LYTH_ALLOW_IMPORTS does not allow its modules."""
    path = str(BROKEN.parent.parent / "fixtures" / "broken" / "unknown_input_step.yaml")
    result = lyth("validate", path, allow_imports="examples")
    assert result.exit_code == 1 and "is not in the import allow-list" in result.stderr


def test_bad_settings_are_usage_errors(lyth: Invoke) -> None:
    """An invalid LYTH_* variable is exit 2 naming it."""
    result = lyth("validate", log_level="LOUD")
    assert result.exit_code == 2 and "LYTH_LOG_LEVEL" in result.stderr


def test_schema_command(lyth: Invoke) -> None:
    """`lyth schema` prints exactly the checked-in schema."""
    result = lyth("schema")
    assert result.exit_code == 0
    assert result.stdout == (ROOT / "schemas" / "lyth.schema.json").read_text(encoding="utf-8")


def test_an_oversized_file_is_refused_before_parsing(lyth: Invoke, tmp_path: Path) -> None:
    """A config over LYTH_MAX_CONFIG_BYTES is one line, exit 1, without being parsed."""
    path = tmp_path / "lyth.yaml"
    path.write_text("version: 1\n" + "# padding\n" * 2000)
    result = lyth("validate", str(path), max_config_bytes="4096")
    assert result.exit_code == 1
    assert "larger than 4,096 bytes" in result.stderr and "Traceback" not in result.stderr


def test_a_module_with_a_syntax_error_is_reported_once_at_its_line(
    lyth: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three steps use a module that does not compile: one diagnostic, at the
    module's own file:line:col, naming the first use."""
    pkg = tmp_path / "brokenpkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "steps.py").write_text("def a(x: int) -> int:\n    return x +\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    config = tmp_path / "lyth.yaml"
    config.write_text(
        "dags:\n  d:\n    nodes:\n      one: brokenpkg.steps:a\n      two: brokenpkg.steps:a\n"
        "      three: brokenpkg.steps:b\n    edges: [one >> two >> three]\n"
    )
    result = lyth("validate", str(config), allow_imports="brokenpkg")
    lines = result.stderr.splitlines()
    assert result.exit_code == 1 and lines[-1] == "1 error, 0 warnings", result.stderr
    assert lines[0].startswith(f"{pkg / 'steps.py'}:2:")
    assert "has a syntax error" in lines[0] and "first used at" in lines[0]


def test_the_root_cause_comes_first(lyth: Invoke, tmp_path: Path) -> None:
    """A renamed switch step leaves its edge naming an unknown step and the switch
    without its upstream: the unknown step is reported first (and is what a failed
    reload's summary shows), the switch's problem after it, though it is written above."""
    text = (ROOT / "lyth.yaml").read_text()
    broken = tmp_path / "lyth.yaml"
    broken.write_text(text.replace("      parse:", "      parsed:", 1))
    result = lyth("validate", str(broken), allow_imports="examples")
    lines = result.stderr.splitlines()
    assert "unknown step 'parse'" in lines[0], result.stderr
    assert "'parsed' must have exactly one upstream edge" in lines[1], result.stderr


def test_several_files_report_each_and_exit_with_the_worst(lyth: Invoke, tmp_path: Path) -> None:
    """`lyth validate A B C`: each file's problems are reported with its name; the exit
    code is the worst (1 for a problem, 2 for a file that does not exist); --json gives
    one object per file."""
    good = tmp_path / "good.yaml"
    good.write_text("dags: {}\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"dags:\n  d:\n    nodes:\n      a: {STEPS}:text\n    edges: [a >> b]\n")
    both = lyth("validate", "--static", str(good), str(bad))
    assert both.exit_code == 1
    assert f"{bad}:5:" in both.stderr and str(good) not in both.stderr
    assert lyth("validate", "--static", str(good), str(good)).exit_code == 0
    missing = lyth("validate", "--static", str(bad), str(tmp_path / "none.yaml"))
    assert missing.exit_code == 2 and "no config file" in missing.stderr
    data = json.loads(lyth("validate", "--static", "--json", str(good), str(bad)).stdout)
    assert [(d["file"], d["valid"]) for d in data] == [(str(good), True), (str(bad), False)]


def test_github_format_prints_one_annotation_per_problem(lyth: Invoke, tmp_path: Path) -> None:
    """`--format github` prints `::error file=…,line=…,col=…::message` on stdout, one line
    per problem (warnings as `::warning`), with `%`, newlines and property commas escaped."""
    bad = tmp_path / "a,b.yaml"
    bad.write_text(f"dags:\n  d:\n    nodes:\n      a: {STEPS}:text\n    edges: [a >> b, a >> c]\n")
    shown = lyth("validate", "--static", "--format", "github", str(bad))
    assert shown.exit_code == 1
    lines = shown.stdout.splitlines()
    assert len(lines) == 2, lines
    where = str(bad).replace(",", "%2C")
    assert lines[0].startswith(f"::error file={where},line=5,col=")
    assert "title=lyth validate::unknown step 'b'" in lines[0]
    assert "unknown step 'c'" in lines[1]
    assert shown.stderr == ""


def test_schema_with_steps_prints_the_typed_schema_of_the_config(
    lyth: Invoke, tmp_path: Path
) -> None:
    """`lyth schema --with-steps -c FILE` loads the config and prints its typed schema;
    a broken config is exit 1 with its problems; plain `lyth schema` is the generic one."""
    config = tmp_path / "lyth.yaml"
    config.write_text(f"dags:\n  d:\n    nodes:\n      j: {STEPS}:join\n")
    typed = json.loads(lyth("schema", "--with-steps", "-c", str(config)).stdout)
    step = typed["properties"]["dags"]["properties"]["d"]["properties"]["inputs"]
    assert step["properties"]["j"]["properties"]["n"] == {"type": "integer"}
    assert "properties" not in json.loads(lyth("schema").stdout)["properties"]["dags"]
    config.write_text("dags:\n  d:\n    nodes:\n      j: nope:fn\n")
    broken = lyth("schema", "--with-steps", "-c", str(config))
    assert broken.exit_code == 1 and "nope" in broken.stderr
