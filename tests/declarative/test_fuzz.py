"""No input makes the loader fail with anything but diagnostics.

A seeded mutation loop over the bundled configs: YAML-level damage (characters,
indentation, duplicated or lost lines, deep nesting, tags, anchors) and values
aimed at every stage (typed scalars PyYAML constructs, durations, crons, time
zones, versions). Every case must end in ``file:line:col: message`` lines,
never in another exception; where plain YAML reads the document, the JSON
Schema and the config model must agree on it. ``LYTH_FUZZ_CASES`` (default
3,000) and ``LYTH_FUZZ_SEED`` run more, or other, cases.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from pydantic import ValidationError

from lythonic.declarative import LythSettings, json_schema
from lythonic.declarative._diagnostics import Diagnostic
from lythonic.declarative._load import compile_config
from lythonic.declarative._model import LythConfig
from lythonic.declarative._yaml import load_yaml

ROOT = Path(__file__).resolve().parents[2]
CORPUS = [
    ROOT / "lyth.yaml",
    *sorted((ROOT / "examples" / "pipelines").glob("*.yaml")),
    *sorted((ROOT / "tests" / "declarative" / "fixtures").glob("*.yaml")),
]
CASES = int(os.environ.get("LYTH_FUZZ_CASES", "3000"))
SEED = int(os.environ.get("LYTH_FUZZ_SEED", "20261202"))

# Values that reach PyYAML's typed constructors and the checks behind the schema.
SCALARS = [
    "2024-13-45",
    "2024-02-30",
    "0x",
    "0b2",
    "0o9",
    "1_000_",
    "1__0",
    "+12_345",
    "0x_FF",
    "1e999",
    "-.inf",
    ".nan",
    "190:20:30",
    "2001-12-14t21:59:43.10-05:00",
    "!!timestamp 2024-99-99",
    "!!int x",
    "!!float nan",
    "!!bool maybe",
    "!!binary AAA",
    "!!set {a}",
    "!!omap [a: 1]",
    "!!python/object:os.system x",
    "&a [*a]",
    "*nope",
    "yes",
    "on",
    "~",
    "[]",
    "{}",
    "'unterminated",
    '"\\x"',
    "1e308",
]
TARGETED = {
    "timezone": [
        "CEST",
        "UTC+2",
        "Etc/GMT-2",
        "Europe/Berlinn",
        "",
        "A" * 400,
        "Europe/" * 300,
        "+02:00",
    ],
    "cron": [
        "61 * * * *",
        "@every 5s",
        "* * * * * * *",
        "*/0 * * * *",
        "0 0 31 2 *",
        "@reboot",
        "1-100 * * * *",
    ],
    "catchup_window": ["800000d", "1e308s", "99999999999d", "-1d", "0s", "nan", "3650d"],
    "timeout": ["800000d", "1e308", "99999999999s", "0s", "-1s", "nan", "1e-320s", "2024-13-45"],
    "retry_backoff": ["1e308", "-1", "1e400", "800000d"],
    "retries": ["-1", "1e9", "99999999999999999999999", "true", "1.5"],
    "concurrency": ["0", "-1", "99999999999999999999999", "true"],
    "version": ["2", "1.0", "true", "'1'", "0x1"],
    "min_ttl": ["1e308", "-1", "nan", ".inf"],
    "max_ttl": ["0.1", ".inf", "1e400"],
}
_KEY = re.compile(r"^(\s*-?\s*)([A-Za-z_]+):")


def _mutate(rng: random.Random, text: str) -> str:
    lines = text.splitlines() or [""]
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(lines))
        line = lines[i]
        key = _KEY.match(line)
        op = rng.randrange(9)
        if op <= 2 and key and key.group(2) in TARGETED:
            lines[i] = f"{key.group(1)}{key.group(2)}: {rng.choice(TARGETED[key.group(2)])}"
        elif op <= 2:
            indent = " " * (len(line) - len(line.lstrip()))
            name = rng.choice(list(TARGETED))
            lines.insert(i, f"{indent}{name}: {rng.choice(TARGETED[name])}")
        elif op == 3 and key:
            lines[i] = f"{key.group(1)}{key.group(2)}: {rng.choice(SCALARS)}"
        elif op == 4:
            lines.insert(i, line)
        elif op == 5 and len(lines) > 1:
            del lines[i]
        elif op == 6 and line:
            j = rng.randrange(len(line))
            lines[i] = line[:j] + rng.choice(" :-[]{}&*!|>'\"#\t,?%@`") + line[j + 1 :]
        elif op == 7:
            lines[i] = ("  " + line) if rng.random() < 0.5 else line.lstrip()
        else:
            depth = rng.randint(30, 3000)
            lines.insert(i, "x: " + "[" * depth + "]" * depth)
    return "\n".join(lines) + "\n"


def _schema_agrees(text: str, validator: jsonschema.Draft7Validator) -> str | None:
    """Where the loader reads the document as data: the model and the schema agree."""
    data, _, problems = load_yaml(text, "lyth.yaml")
    if problems or not isinstance(data, dict):
        return None
    try:
        plain = json.loads(json.dumps(data, default=str))
    except (TypeError, ValueError):
        return None
    try:
        LythConfig.model_validate(data)
        model_ok = True
    except ValidationError:
        model_ok = False
    schema_ok = not any(True for _ in validator.iter_errors(plain))
    if model_ok == schema_ok:
        return None
    return (
        "the model accepts what the schema refuses"
        if model_ok
        else "the schema accepts what the model refuses"
    )


def test_no_mutated_config_escapes_the_diagnostics() -> None:
    """Thousands of damaged configs (seeded, reproducible): each ends in one-line
    `file:line:col:` diagnostics or a clean load, never in another exception; the
    JSON Schema and the model agree on every document the loader reads."""
    rng = random.Random(SEED)
    corpus = [p.read_text(encoding="utf-8") for p in CORPUS]
    settings = LythSettings(allow_imports=["examples", "tests.declarative.fixtures"])
    validator = jsonschema.Draft7Validator(json_schema())
    failures: list[str] = []
    for case in range(CASES):
        text = _mutate(rng, rng.choice(corpus))
        try:
            _, diags = compile_config(
                text, file="lyth.yaml", base_dir=ROOT, settings=settings, static=case % 2 == 0
            )
        except BaseException as e:  # anything but a diagnostic is the failure under test
            failures.append(f"case {case}: {type(e).__name__}: {e}"[:300])
            continue
        for d in diags:
            shown = str(d)
            if not isinstance(d, Diagnostic) or "\n" in shown or not shown.startswith("lyth.yaml"):
                failures.append(f"case {case}: not a one-line diagnostic: {shown[:200]}")
        disagreement = _schema_agrees(text, validator)
        if disagreement:
            failures.append(f"case {case}: {disagreement}")
    assert failures == [], f"seed {SEED}: {len(failures)} failures, e.g. {failures[:5]}"


@pytest.mark.slow
def test_lyth_validate_on_damaged_files_prints_positions_not_tracebacks(tmp_path: Path) -> None:
    """`lyth validate` on damaged files (as a user runs it) exits 1 with positioned
    lines and no traceback."""
    rng = random.Random(SEED + 1)
    corpus = [p.read_text(encoding="utf-8") for p in CORPUS[:3]]
    lyth = str(Path(sys.executable).parent / "lyth")
    checked = 0
    for i in range(40):
        text = _mutate(rng, rng.choice(corpus))
        if compile_config(text, base_dir=ROOT, static=True)[0] is None and not any(
            d.severity == "error" for d in compile_config(text, base_dir=ROOT, static=True)[1]
        ):
            continue
        path = tmp_path / f"case{i}.yaml"
        path.write_text(text)
        result = subprocess.run(
            [lyth, "validate", "--static", str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
        )
        if result.returncode == 0:
            continue
        checked += 1
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr + result.stdout
        first = result.stderr.splitlines()[0]
        assert re.match(rf"^{re.escape(str(path))}:\d+:\d+: ", first), first
        if checked == 8:
            break
    assert checked >= 4
