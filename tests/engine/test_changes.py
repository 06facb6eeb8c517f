"""What --watch watches and which file events count."""

from __future__ import annotations

import os
import sys
import types
from dataclasses import replace
from pathlib import Path

from watchfiles import Change

from lythonic.engine import plan_watch, project_modules
from lythonic.engine._changes import file_digest


def _project(tmp_path: Path) -> Path:
    (tmp_path / "pipes").mkdir()
    (tmp_path / "pipes" / "__init__.py").write_text("")
    (tmp_path / "pipes" / "steps.py").write_text("def f() -> int:\n    return 1\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "gen.py").write_text("")
    config = tmp_path / "lyth.yaml"
    config.write_text("version: 1\n")
    return config


def _module(name: str, file: Path) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__file__ = str(file)
    return module


def test_project_modules_are_those_under_the_roots_outside_data_and_lythonic(
    tmp_path: Path,
) -> None:
    """Only the project's own modules count: not the data directory, lythonic or the stdlib."""
    _project(tmp_path)
    modules = {
        "pipes.steps": _module("pipes.steps", tmp_path / "pipes" / "steps.py"),
        "gen": _module("gen", tmp_path / "data" / "gen.py"),
        "lythonic.fake": _module("lythonic.fake", tmp_path / "pipes" / "steps.py"),
        "os": os,
        "no_file": types.ModuleType("no_file"),
    }
    found = project_modules([tmp_path.resolve()], [(tmp_path / "data").resolve()], modules)
    assert found == {(tmp_path / "pipes" / "steps.py").resolve(): "pipes.steps"}


def test_the_filter_sees_the_config_and_modules_but_not_editor_files(tmp_path: Path) -> None:
    """Swap, backup and lock files of editors, and the data directory, never count."""
    config = _project(tmp_path)
    sys.path.insert(0, str(tmp_path))
    try:
        import pipes.steps  # noqa: F401 -- loaded, so it is watched

        plan = plan_watch(config, [tmp_path], [tmp_path / "data"])
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n == "pipes" or n.startswith("pipes.")]:
            del sys.modules[name]
    root = tmp_path.resolve()
    assert plan.dirs == (root, root / "pipes")
    assert plan.wants(Change.modified, str(root / "lyth.yaml"))
    assert plan.wants(Change.modified, str(root / "pipes" / "steps.py"))
    for name in (".lyth.yaml.swp", "lyth.yaml~", ".#lyth.yaml", "4913", "lyth.yaml.tmp"):
        assert not plan.wants(Change.added, str(root / name)), name
    assert not plan.wants(Change.modified, str(root / "data" / "lyth.log"))
    assert not plan.wants(Change.modified, str(root / "pipes" / "other.py"))


def test_classify_ignores_a_module_saved_with_the_same_content(tmp_path: Path) -> None:
    """A touch or an identical save of a module is no change; new bytes are."""
    config = _project(tmp_path)
    steps = (tmp_path / "pipes" / "steps.py").resolve()
    base = plan_watch(config, [tmp_path], [tmp_path / "data"])
    plan = replace(base, modules={steps: "pipes.steps"}, digests={steps: file_digest(steps)})
    steps.write_text(steps.read_text())
    unchanged = plan.classify({(Change.modified, str(steps))})
    assert not unchanged
    steps.write_text("def f() -> int:\n    return 22\n")
    changed = plan.classify({(Change.modified, str(steps))})
    assert changed.modules == (steps,) and changed.config is False
    config_only = plan.classify({(Change.deleted, str(plan.config_dir / "lyth.yaml"))})
    assert config_only.config is True and config_only.modules == ()


def test_a_symlinked_config_is_watched_through_its_link_entry(tmp_path: Path) -> None:
    """A Kubernetes ConfigMap swaps `..data`; that event counts as a config change."""
    version = tmp_path / "..2024_01"
    version.mkdir()
    (version / "lyth.yaml").write_text("version: 1\n")
    (tmp_path / "..data").symlink_to("..2024_01")
    config = tmp_path / "lyth.yaml"
    config.symlink_to("..data/lyth.yaml")
    plan = plan_watch(config, [], [])
    assert plan.config_names == frozenset({"lyth.yaml", "..data"})
    assert plan.wants(Change.added, str(tmp_path.resolve() / "..data"))
    assert not plan.wants(Change.added, str(tmp_path.resolve() / "..data_tmp"))
