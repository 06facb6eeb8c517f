"""Every broken config under fixtures/broken has exactly one defect, found at its place.

Each file says what it expects in its header:

    # expect: LINE:COL: text the message contains
    # allow: extra,module,prefixes        (optional)
    # schema: reject                      (the JSON Schema refuses it too)
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from lythonic.declarative import LythSettings, json_schema, validate_config

BROKEN = Path(__file__).parent / "fixtures" / "broken"
FILES = sorted(BROKEN.glob("*.yaml"))
# Files plain PyYAML cannot even read (or reads wrongly), so the schema check does not apply.
_YAML_LEVEL = {
    "yaml_syntax",
    "yaml_tab",
    "python_tag",
    "duplicate_key",
    "bool_key",
    "impossible_date",
}


def _header(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        m = re.match(r"#\s*(expect|allow|schema):\s*(.*)$", line)
        if m:
            found[m.group(1)] = m.group(2).strip()
    return found


def _settings(header: dict[str, str]) -> LythSettings:
    extra = [p.strip() for p in header.get("allow", "").split(",") if p.strip()]
    return LythSettings(allow_imports=["tests.declarative.fixtures", *extra])


def test_fixtures_exist() -> None:
    """The suite holds broken files for every kind of defect it promises."""
    assert len(FILES) >= 40


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_one_defect_reported_at_its_place(path: Path) -> None:
    """validate_config reports exactly one error, at the expected line:column, saying what is wrong."""
    header = _header(path)
    line, col, text = re.match(r"(\d+):(\d+): (.*)$", header["expect"]).groups()  # type: ignore[union-attr]
    diags = validate_config(path, settings=_settings(header))
    errors = [d for d in diags if d.severity == "error"]
    assert len(errors) == 1, "\n".join(str(d) for d in diags)
    error = errors[0]
    assert (error.line, error.column) == (int(line), int(col)), str(error)
    assert text in str(error), str(error)
    assert str(error).startswith(f"{path}:{line}:{col}: ")


@pytest.mark.parametrize(
    "path", [p for p in FILES if p.stem not in _YAML_LEVEL], ids=lambda p: p.stem
)
def test_schema_and_loader_agree(path: Path) -> None:
    """The JSON Schema rejects exactly the files whose defect the loader finds at the schema stage."""
    header = _header(path)
    data = yaml.safe_load(path.read_text())
    schema_rejects = bool(list(jsonschema.Draft7Validator(json_schema()).iter_errors(data)))
    loader_schema = [
        d for d in validate_config(path, settings=_settings(header)) if d.code == "schema"
    ]
    assert schema_rejects == bool(loader_schema) == (header.get("schema") == "reject"), path.stem


def test_refused_modules_are_never_imported() -> None:
    """A module outside the allow-list is refused before import: its code never runs."""
    import sys

    os.environ.pop("LYTH_TEST_EVIL_IMPORTED", None)
    validate_config(BROKEN / "disallowed_module.yaml", settings=_settings({}))
    assert "tests.declarative.evil" not in sys.modules
    assert "LYTH_TEST_EVIL_IMPORTED" not in os.environ


def test_python_tags_run_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A !!python/object/apply tag is refused without calling os.system."""
    monkeypatch.chdir(tmp_path)
    validate_config(BROKEN / "python_tag.yaml", settings=_settings({}))
    assert not (tmp_path / "LYTH_TAG_MARKER").exists()
