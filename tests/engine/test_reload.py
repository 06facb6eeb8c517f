"""Hot reload decisions: what is applied, what is ignored, what keeps the old config."""

from __future__ import annotations

from pathlib import Path

from lythonic.compose.trigger import TriggerConfigError
from lythonic.declarative import LoadedConfig
from lythonic.engine import ConfigSource, Reloader, TriggerDiff
from tests.engine.conftest import SETTINGS

GOOD = """\
dags:
  job:
    nodes:
      work: tests.engine.steps:stamp
triggers:
  hourly:
    dag: job
    cron: "0 * * * *"
"""
BAD = GOOD.replace("dag: job", "dag: jobb")


class Applied:
    def __init__(self, fail: bool = False) -> None:
        self.configs: list[LoadedConfig] = []
        self.fail = fail

    def __call__(self, new: LoadedConfig) -> TriggerDiff:
        if self.fail:
            raise TriggerConfigError("trigger name 'hourly' is used twice")
        self.configs.append(new)
        return TriggerDiff({}, {})


def _reloader(tmp_path: Path, applied: Applied) -> tuple[Path, Reloader]:
    config = tmp_path / "lyth.yaml"
    config.write_text(GOOD)
    source = ConfigSource(config, SETTINGS)
    current, diags = source.load()
    assert current is not None, diags
    return config, Reloader(source, current, applied)


def _save(path: Path, text: str) -> None:
    """An atomic-rename save, as vim and most IDEs do."""
    tmp = path.with_name(".lyth.yaml.tmp")
    tmp.write_text(text)
    tmp.replace(path)


async def test_identical_content_is_not_reloaded(tmp_path: Path) -> None:
    """A save that changes nothing (or a touch) does not reload."""
    applied = Applied()
    config, reloader = _reloader(tmp_path, applied)
    _save(config, GOOD)
    assert await reloader.reload("watch") is None
    assert applied.configs == []


async def test_a_valid_edit_is_applied_and_names_the_new_revision(tmp_path: Path) -> None:
    """The new config is applied; the result carries its revision."""
    applied = Applied()
    config, reloader = _reloader(tmp_path, applied)
    old = reloader.current.revision
    _save(config, GOOD.replace("0 * * * *", "30 * * * *"))
    result = await reloader.reload("watch")
    assert result is not None and result.ok
    assert result.revision == reloader.current.revision != old
    assert [c.revision for c in applied.configs] == [result.revision]
    assert applied.configs[0].triggers["hourly"].cron == "30 * * * *"


async def test_an_invalid_edit_keeps_the_old_config_and_says_where(tmp_path: Path) -> None:
    """A semantic error: nothing applied, the error names file:line:col; retrying is quiet."""
    applied = Applied()
    config, reloader = _reloader(tmp_path, applied)
    old = reloader.current
    _save(config, BAD)
    result = await reloader.reload("watch")
    assert result is not None and not result.ok
    assert result.error is not None
    assert result.error.startswith(f"{config}:7:10: trigger 'hourly' runs unknown DAG 'jobb'")
    assert reloader.current is old and applied.configs == []
    assert await reloader.reload("watch") is None  # the same broken text again: no new report


async def test_a_yaml_syntax_error_keeps_the_old_config(tmp_path: Path) -> None:
    """Broken YAML is a failed reload with a position, not a crash."""
    applied = Applied()
    config, reloader = _reloader(tmp_path, applied)
    _save(config, GOOD + "  - [unclosed\n")
    result = await reloader.reload("watch")
    assert result is not None and not result.ok
    assert result.error is not None and result.error.startswith(f"{config}:")
    assert result.errors and result.errors[0]["line"] > 0


async def test_undoing_a_broken_edit_reports_success_once(tmp_path: Path) -> None:
    """Going back to the running content after a failure is reported as a good reload."""
    applied = Applied()
    config, reloader = _reloader(tmp_path, applied)
    _save(config, BAD)
    await reloader.reload("watch")
    _save(config, GOOD)
    result = await reloader.reload("watch")
    assert result is not None and result.ok and result.revision == reloader.current.revision
    assert await reloader.reload("watch") is None
    assert applied.configs == []


async def test_a_missing_file_mid_rename_is_waited_for(tmp_path: Path) -> None:
    """Between an editor's rename and its write the file is gone: nothing happens."""
    applied = Applied()
    config, reloader = _reloader(tmp_path, applied)
    config.rename(tmp_path / "lyth.yaml~")
    assert await reloader.reload("watch") is None


async def test_a_swap_that_fails_counts_as_a_failed_reload(tmp_path: Path) -> None:
    """When the triggers of the new config cannot be scheduled, the old config stays."""
    applied = Applied(fail=True)
    config, reloader = _reloader(tmp_path, applied)
    old = reloader.current
    _save(config, GOOD.replace("0 * * * *", "15 * * * *"))
    result = await reloader.reload("signal")
    assert result is not None and not result.ok and result.cause == "signal"
    assert result.error == f"{config}: trigger name 'hourly' is used twice"
    assert reloader.current is old


async def test_storage_edits_are_noted_as_needing_a_restart(tmp_path: Path) -> None:
    """A new storage section is applied for the DAGs but noted: stores move at the next start."""
    applied = Applied()
    config, reloader = _reloader(tmp_path, applied)
    _save(config, "storage:\n  dags_db: other.db\n" + GOOD)
    result = await reloader.reload("watch")
    assert result is not None and result.ok
    assert reloader.notes == ["storage paths changed; they take effect at the next start"]


async def test_an_impossible_date_saved_is_a_failed_reload_with_its_place(tmp_path: Path) -> None:
    """A value YAML reads as a date that does not exist: the old config keeps running
    and the reload result (what `lyth status` shows) names the line."""
    applied = Applied()
    config, reloader = _reloader(tmp_path, applied)
    old = reloader.current
    _save(config, GOOD.replace("cron: ", "description: 2024-13-45\n    cron: "))
    result = await reloader.reload("watch")
    assert result is not None and not result.ok and result.error is not None
    assert result.error.startswith(f"{config}:8:18: '2024-13-45' is not a valid timestamp")
    assert reloader.current is old and applied.configs == []


async def test_an_oversized_file_is_refused_before_parsing(tmp_path: Path) -> None:
    """A file over the size limit is a failed reload at once (nothing parsed, nothing
    applied); the limit is a setting."""
    from lythonic.declarative import LythSettings

    applied = Applied()
    config, reloader = _reloader(tmp_path, applied)
    reloader.source.settings = LythSettings(allow_imports=["tests.engine"], max_config_bytes=4096)
    _save(config, GOOD + "#" * 5000 + "\n")
    result = await reloader.reload("watch")
    assert result is not None and not result.ok and result.error is not None
    assert "larger than 4,096 bytes" in result.error and "LYTH_MAX_CONFIG_BYTES" in result.error
    assert applied.configs == []
