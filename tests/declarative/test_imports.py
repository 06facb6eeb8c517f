"""The import guard: allow-list before importing, real module checked after."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from lythonic.declarative import BUILTIN_DENY, ImportPolicy, LythSettings, RefError, Resolver
from lythonic.declarative._imports import project_packages, project_root

STEPS = "tests.declarative.fixtures.steps"


def _resolver(*allow: str) -> Resolver:
    return Resolver(ImportPolicy(allow=allow))


def test_allowed_reference_resolves() -> None:
    """A reference under an allowed prefix resolves to the object."""
    from tests.declarative.fixtures import steps

    assert _resolver("tests.declarative.fixtures").resolve(f"{STEPS}:upper") is steps.upper


@pytest.mark.parametrize(
    ("allow", "module", "refused"),
    [
        (("examples",), "examples.pipelines.words", False),
        (("examples",), "examples", False),
        (("examples",), "examples_evil", True),
        (("examples.pipelines",), "examples.other", True),
        (("*",), "json", False),
        (("*",), "os", True),
        (("*",), "os.path", True),
        (("os",), "os", True),
        (("asyncio",), "asyncio.subprocess", True),
        ((), "json", True),
    ],
)
def test_prefix_matching(allow: tuple[str, ...], module: str, refused: bool) -> None:
    """Prefixes match on dotted boundaries; the deny list wins over any allow entry, even '*'."""
    assert (ImportPolicy(allow=allow).refusal(module) is not None) is refused


@pytest.mark.parametrize(
    "module",
    [
        "os",
        "subprocess",
        "builtins",
        "importlib",
        "sys",
        "shutil",
        "pickle",
        "ctypes",
        "socket",
        "marshal",
        "pty",
        "timeit",
        "cProfile",
        "profile",
        "trace",
        "doctest",
        "pydoc",
        "logging.config",
        "unittest",
    ],
)
def test_dangerous_modules_are_denied(module: str) -> None:
    """The built-in deny list covers the modules that run commands, load code or touch files."""
    assert module in BUILTIN_DENY
    code, _, _ = ImportPolicy(allow=("*",)).refusal(module)  # type: ignore[misc]
    assert code == "import_denied"


@pytest.mark.parametrize("ref", ["timeit:timeit", "cProfile:run", "profile:run", "trace:Trace"])
def test_stdlib_code_runners_are_refused_even_with_star(
    ref: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With LYTH_ALLOW_IMPORTS=*, a step cannot run a `stmt` string through timeit or a profiler."""
    from lythonic.declarative import validate_config

    monkeypatch.setenv("LYTH_ALLOW_IMPORTS", "*")
    marker = tmp_path / "ran"
    (tmp_path / "lyth.yaml").write_text(
        "version: 1\n"
        "dags:\n"
        "  pwn:\n"
        "    nodes:\n"
        f"      go: {ref}\n"
        "    inputs:\n"
        f"      go: {{stmt: \"open('{marker}', 'w')\", number: 1}}\n"
    )
    diags = validate_config(tmp_path / "lyth.yaml")
    assert [d.line for d in diags if "deny list" in d.message] == [5]
    assert not marker.exists()


def test_refusal_happens_before_import() -> None:
    """A module outside the allow-list is never imported, so its code never runs."""
    os.environ.pop("LYTH_TEST_EVIL_IMPORTED", None)
    with pytest.raises(RefError) as info:
        _resolver("tests.declarative.fixtures").resolve("tests.declarative.evil:run")
    assert info.value.code == "import_not_allowed"
    assert "tests.declarative.evil" not in sys.modules
    assert "LYTH_TEST_EVIL_IMPORTED" not in os.environ


def test_reexported_function_is_checked_by_its_real_module() -> None:
    """An allowed module's `from os import system` does not make os.system reachable."""
    with pytest.raises(RefError) as info:
        _resolver("tests.declarative.fixtures").resolve(f"{STEPS}:system")
    assert info.value.code == "import_denied" and "'posix'" in info.value.message


def test_logging_os_system_cannot_reach_os_system(monkeypatch: pytest.MonkeyPatch) -> None:
    """With logging allowed, neither logging.os:system nor logging:os resolves to os code."""
    calls: list[str] = []
    monkeypatch.setattr(os, "system", lambda cmd: calls.append(cmd))
    resolver = _resolver("logging")
    with pytest.raises(RefError) as first:
        resolver.resolve("logging.os:system")
    assert first.value.code == "import_failed"
    with pytest.raises(RefError) as second:
        resolver.resolve("logging:os")
    assert second.value.code == "import_denied"
    assert calls == []


def test_builtins_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Builtins re-exported by an allowed module are refused by the module that defines them."""
    pkg = tmp_path / "lyth_reexports"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("run_code = eval\nopener = open\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    resolver = _resolver("lyth_reexports", "operator")
    for ref, owner in (
        ("lyth_reexports:run_code", "builtins"),
        ("lyth_reexports:opener", "io"),
    ):
        with pytest.raises(RefError) as info:
            resolver.resolve(ref)
        assert info.value.code == "import_denied" and f"'{owner}'" in info.value.message
    with pytest.raises(RefError) as c_impl:
        resolver.resolve("operator:getitem")  # defined in _operator, which is not allowed
    assert c_impl.value.code == "import_not_allowed"


def test_missing_attribute_and_module_hints() -> None:
    """Typos in modules and attributes get 'did you mean' hints."""
    resolver = _resolver("tests.declarative.fixtures")
    with pytest.raises(RefError) as attr:
        resolver.resolve(f"{STEPS}:uper")
    assert attr.value.code == "ref_missing" and attr.value.hint == "did you mean 'upper'?"
    with pytest.raises(RefError) as mod:
        resolver.resolve("tests.declarative.fixtures.stpes:upper")
    assert mod.value.code == "import_failed" and mod.value.hint == "did you mean 'steps'?"


def test_factory_convention() -> None:
    """`name__` calls the factory `name()` (after checking its module) and returns its result."""
    from lythonic.compose.namespace import Dag

    dag = _resolver("tests.declarative.fixtures").resolve(f"{STEPS}:shout_dag__")
    assert isinstance(dag, Dag) and list(dag.nodes) == ["upper", "shout"]


def test_factory_result_is_checked_by_its_real_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A factory of an allowed module cannot hand out a denied callable (`return os.system`)."""
    pkg = tmp_path / "lyth_factory_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("import os\n\ndef shell():\n    return os.system\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    resolver = _resolver("lyth_factory_pkg")
    with pytest.raises(RefError) as info:
        resolver.resolve("lyth_factory_pkg:shell__")
    assert info.value.code == "import_denied"
    assert "'lyth_factory_pkg:shell__'" in info.value.message and "'posix'" in info.value.message


def test_broken_modules_are_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A module with a syntax error, or raising on import, is a clear error naming the place."""
    pkg = tmp_path / "lyth_broken_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "syntax.py").write_text("def f(:\n    pass\n")
    (pkg / "raises.py").write_text("raise RuntimeError('no database configured')\n")
    (pkg / "exits.py").write_text("raise SystemExit(3)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    resolver = _resolver("lyth_broken_pkg")
    with pytest.raises(RefError) as syntax:
        resolver.resolve("lyth_broken_pkg.syntax:f")
    assert "has a syntax error" in syntax.value.message
    assert syntax.value.source is not None and syntax.value.source[0].endswith("syntax.py")
    assert syntax.value.source[1] == 1
    with pytest.raises(RefError) as raises:
        resolver.resolve("lyth_broken_pkg.raises:f")
    assert "RuntimeError: no database configured" in raises.value.message
    with pytest.raises(RefError) as exits:
        resolver.resolve("lyth_broken_pkg.exits:f")
    assert "SystemExit" in exits.value.message


def test_project_packages(tmp_path: Path) -> None:
    """Packages next to the config are found; tests, lythonic, hidden and plain dirs are not."""
    for name in ("pipelines", "shared", "tests", "lythonic", "_private", ".hidden", "not_pkg"):
        (tmp_path / name).mkdir()
    for name in ("pipelines", "shared", "tests", "lythonic", "_private", ".hidden"):
        (tmp_path / name / "__init__.py").write_text("")
    (tmp_path / "single.py").write_text("")
    assert project_packages(tmp_path) == ["pipelines", "shared"]


def test_project_root_and_policy(tmp_path: Path) -> None:
    """A config below a pyproject.toml also gets the project's packages; the setting turns it off."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname='x'\n")
    (tmp_path / "mypkg").mkdir()
    (tmp_path / "mypkg" / "__init__.py").write_text("")
    config_dir = tmp_path / "deploy" / "prod"
    config_dir.mkdir(parents=True)
    assert project_root(config_dir) == tmp_path
    policy = ImportPolicy.from_settings(LythSettings(allow_imports=["extra"]), config_dir)
    assert policy.allow == ("extra", "mypkg")
    closed = ImportPolicy.from_settings(
        LythSettings(allow_project_packages=False, deny_imports=["mypkg.secret"]), config_dir
    )
    assert closed.allow == () and "mypkg.secret" in closed.deny
