"""Trusted settings: LYTH_* environment variables and the settings file."""

from __future__ import annotations

from pathlib import Path

import pytest

from lythonic.declarative import SettingsError, load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "CONFIG",
        "DATA_DIR",
        "LOG_LEVEL",
        "LOG_FORMAT",
        "ALLOW_IMPORTS",
        "DENY_IMPORTS",
        "ALLOW_PROJECT_PACKAGES",
        "SETTINGS_FILE",
    ):
        monkeypatch.delenv(f"LYTH_{name}", raising=False)


def test_defaults() -> None:
    """Without environment: lyth.yaml, no data dir override, nothing extra allowed."""
    s = load_settings()
    assert s.config == Path("lyth.yaml") and s.data_dir is None and s.log_level is None
    assert s.allow_imports == [] and s.allow_project_packages is True and s.log_format == "auto"


def test_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """LYTH_* variables set the settings; lists are comma-separated or JSON."""
    monkeypatch.setenv("LYTH_CONFIG", "deploy/lyth.yaml")
    monkeypatch.setenv("LYTH_DATA_DIR", "/var/lib/lyth")
    monkeypatch.setenv("LYTH_LOG_LEVEL", "debug")
    monkeypatch.setenv("LYTH_ALLOW_IMPORTS", "mypkg, shared.pipelines")
    monkeypatch.setenv("LYTH_DENY_IMPORTS", '["mypkg.admin"]')
    monkeypatch.setenv("LYTH_ALLOW_PROJECT_PACKAGES", "false")
    s = load_settings()
    assert s.config == Path("deploy/lyth.yaml") and s.data_dir == Path("/var/lib/lyth")
    assert s.log_level == "DEBUG"
    assert s.allow_imports == ["mypkg", "shared.pipelines"] and s.deny_imports == ["mypkg.admin"]
    assert s.allow_project_packages is False


def test_overrides_win(monkeypatch: pytest.MonkeyPatch) -> None:
    """Explicit values (CLI options) override the environment; None means 'not given'."""
    monkeypatch.setenv("LYTH_CONFIG", "env.yaml")
    assert load_settings(config=Path("cli.yaml")).config == Path("cli.yaml")
    assert load_settings(config=None).config == Path("env.yaml")


def test_settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """LYTH_SETTINGS_FILE names a TOML file; the environment wins over it."""
    path = tmp_path / "lyth-settings.toml"
    path.write_text('allow_imports = ["from_file"]\nlog_format = "json"\n')
    monkeypatch.setenv("LYTH_SETTINGS_FILE", str(path))
    s = load_settings()
    assert s.allow_imports == ["from_file"] and s.log_format == "json"
    monkeypatch.setenv("LYTH_LOG_FORMAT", "console")
    assert load_settings().log_format == "console"


@pytest.mark.parametrize(
    ("var", "value", "words"),
    [
        ("LYTH_LOG_LEVEL", "LOUD", "LYTH_LOG_LEVEL"),
        ("LYTH_LOG_FORMAT", "xml", "LYTH_LOG_FORMAT"),
        ("LYTH_ALLOW_IMPORTS", "good, bad-name", "is not a module prefix"),
        ("LYTH_ALLOW_PROJECT_PACKAGES", "maybe", "LYTH_ALLOW_PROJECT_PACKAGES"),
    ],
)
def test_invalid_settings(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str, words: str
) -> None:
    """An invalid variable is a SettingsError naming it."""
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert words in str(info.value)


def test_settings_file_problems(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A missing settings file, unknown keys and bad TOML are errors, not ignored."""
    monkeypatch.setenv("LYTH_SETTINGS_FILE", str(tmp_path / "missing.toml"))
    with pytest.raises(SettingsError, match="no such file"):
        load_settings()
    path = tmp_path / "s.toml"
    path.write_text('allow_import = ["typo"]\n')
    monkeypatch.setenv("LYTH_SETTINGS_FILE", str(path))
    with pytest.raises(SettingsError, match="allow_import"):
        load_settings()
    path.write_text("allow_imports = [\n")
    with pytest.raises(SettingsError):
        load_settings()
