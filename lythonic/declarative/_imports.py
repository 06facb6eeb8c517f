"""The import guard: which ``module:attribute`` references lyth.yaml may resolve.

Importing a module runs its code, so a reference is checked twice:

1. before importing, its module path must start with an allowed prefix (from
   trusted settings, see ``LythSettings``) and with no denied one;
2. after resolving, the object's *real* module (``__module__`` of a function
   or class, of its class for other objects) must pass the same test, so that
   ``pkg.mod:system`` cannot reach ``os.system`` through ``pkg.mod``'s own
   ``from os import system``. The result of a ``name__`` factory is checked
   the same way (a ``Dag`` is data and passes).

The built-in deny list cannot be switched off: wrap what you need in a
function of your own package instead.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from lythonic.declarative._diagnostics import did_you_mean

__all__ = [
    "BUILTIN_DENY",
    "ImportPolicy",
    "RefError",
    "Resolver",
    "code_dirs",
    "project_packages",
    "project_root",
]

BUILTIN_DENY: tuple[str, ...] = (
    "__main__",
    "_ctypes",
    "_frozen_importlib",
    "_frozen_importlib_external",
    "_imp",
    "_io",
    "_multiprocessing",
    "_pickle",
    "_posixshmem",
    "_posixsubprocess",
    "_pyio",
    "_socket",
    "_thread",
    "_winapi",
    "asyncio.base_subprocess",
    "asyncio.subprocess",
    "bdb",
    "builtins",
    "cloudpickle",
    "code",
    "codeop",
    "cProfile",
    "ctypes",
    "dill",
    "distutils",
    "doctest",
    "ensurepip",
    "fcntl",
    "ftplib",
    "gc",
    "idlelib",
    "imaplib",
    "imp",
    "importlib",
    "io",
    "logging.config",
    "marshal",
    "msvcrt",
    "multiprocessing",
    "nt",
    "os",
    "pathlib",
    "pdb",
    "pickle",
    "pkgutil",
    "posix",
    "profile",
    "pty",
    "pydoc",
    "resource",
    "runpy",
    "shelve",
    "shutil",
    "signal",
    "site",
    "socket",
    "subprocess",
    "sys",
    "telnetlib",
    "tempfile",
    "threading",
    "timeit",
    "trace",
    "unittest",
    "venv",
    "webbrowser",
    "winreg",
    "zipimport",
)
"""Modules lyth.yaml never imports, whatever the allow-list says.

They run commands or code given as text (``timeit.timeit(stmt=...)``,
``cProfile.run``, ``logging.config.dictConfig`` with its ``()`` factories),
load code by name, reach the interpreter's internals, or touch files and
sockets directly. This is a guard against the obvious, not a sandbox: with
``*`` allowed, the YAML author can still run arbitrary code.
"""

_NOT_PROJECT = frozenset({"lythonic", "test", "tests", "build", "dist", "site", "docs"})
_PROJECT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py")


def _matches(module: str, prefixes: Iterable[str]) -> str | None:
    for prefix in prefixes:
        if prefix == "*" or module == prefix or module.startswith(prefix + "."):
            return prefix
    return None


def project_root(config_dir: Path) -> Path | None:
    """The nearest directory at or above ``config_dir`` holding a ``pyproject.toml``
    (or ``setup.cfg``/``setup.py``), or None."""
    for directory in (config_dir, *config_dir.parents):
        if any((directory / marker).is_file() for marker in _PROJECT_MARKERS):
            return directory
    return None


def code_dirs(config_dir: Path) -> list[Path]:
    """Where the config's own code lives: its directory and its project's root."""
    root = project_root(config_dir)
    return [config_dir] if root is None or root == config_dir else [config_dir, root]


def project_packages(directory: Path) -> list[str]:
    """Top-level packages (directories with ``__init__.py``) in ``directory``."""
    found = []
    try:
        entries = sorted(directory.iterdir())
    except OSError:
        return []
    for entry in entries:
        name = entry.name
        if (
            name.isidentifier()
            and not name.startswith("_")
            and name not in _NOT_PROJECT
            and (entry / "__init__.py").is_file()
        ):
            found.append(name)
    return found


@dataclass(frozen=True, slots=True)
class ImportPolicy:
    """Module prefixes that may (``allow``) and may never (``deny``) be imported."""

    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = BUILTIN_DENY

    @classmethod
    def from_settings(cls, settings: Any, config_dir: Path | None) -> ImportPolicy:
        """The policy of ``LythSettings``: its allow-list, plus the project's packages."""
        allow = list(settings.allow_imports)
        if settings.allow_project_packages and config_dir is not None:
            for directory in code_dirs(config_dir):
                allow += [p for p in project_packages(directory) if p not in allow]
        deny = BUILTIN_DENY + tuple(p for p in settings.deny_imports if p not in BUILTIN_DENY)
        return cls(tuple(allow), deny)

    def refusal(self, module: str) -> tuple[str, str, str] | None:
        """``(code, reason, hint)`` when ``module`` may not be imported, else None.

        The reason completes "module 'x' ...".
        """
        denied = _matches(module, self.deny)
        if denied is not None:
            return (
                "import_denied",
                f"may never be imported from lyth.yaml (deny list: '{denied}')",
                "call it from a function in your own package instead",
            )
        if _matches(module, self.allow) is None:
            allowed = ", ".join(self.allow) or "nothing"
            return (
                "import_not_allowed",
                f"is not in the import allow-list (allowed: {allowed})",
                f"allow it in trusted settings, e.g. LYTH_ALLOW_IMPORTS={module.rpartition('.')[0] or module}",
            )
        return None


class RefError(Exception):
    """A reference cannot be resolved or is not allowed."""

    def __init__(
        self,
        code: str,
        message: str,
        hint: str | None = None,
        *,
        source: tuple[str, int, int] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint
        self.source = source
        """Where the problem really is, when it is in a Python file (a syntax error):
        ``(file, line, column)``; reported there, once however many steps refer to it."""


def _owner(obj: Any) -> str | None:
    """The module that really defines ``obj``."""
    if isinstance(obj, ModuleType):
        return obj.__name__
    if inspect.isroutine(obj) or inspect.isclass(obj):
        owner = getattr(obj, "__module__", None)
    else:
        owner = type(obj).__module__
    return owner if isinstance(owner, str) else None


class Resolver:
    """Resolves references through an ``ImportPolicy``; results are cached."""

    def __init__(self, policy: ImportPolicy) -> None:
        self.policy = policy
        self._objects: dict[str, Any] = {}

    def module(self, name: str) -> ModuleType:
        """Import ``name`` if the policy allows it."""
        refusal = self.policy.refusal(name)
        if refusal is not None:
            code, reason, hint = refusal
            raise RefError(code, f"module '{name}' {reason}", hint)
        loaded = sys.modules.get(name)
        if loaded is not None:
            return loaded
        try:
            return importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name == name:
                raise RefError(
                    "import_failed", f"no module named '{name}'", self._sibling_hint(name)
                ) from None
            raise RefError(
                "import_failed", f"cannot import '{name}': {type(e).__name__}: {e}"
            ) from None
        except SyntaxError as e:
            raise RefError(
                "import_failed",
                f"module '{name}' has a syntax error: {e.msg}",
                "fix the module; every step that uses it is waiting for it",
                source=(str(e.filename), e.lineno or 0, e.offset or 0),
            ) from None
        except (Exception, SystemExit) as e:
            raise RefError(
                "import_failed", f"cannot import '{name}': {type(e).__name__}: {e}"
            ) from None

    def _sibling_hint(self, name: str) -> str | None:
        parent, _, leaf = name.rpartition(".")
        if not parent or self.policy.refusal(parent) is not None:
            return None
        try:
            package = self.module(parent)
        except RefError:
            return None
        paths = getattr(package, "__path__", None)
        if paths is None:
            return None
        return did_you_mean(leaf, [m.name for m in pkgutil.iter_modules(paths)])

    def resolve(self, ref: str) -> Any:
        """The object ``package.module:attribute`` names (``name__`` calls ``name()``)."""
        cached = self._objects.get(ref)
        if cached is not None:
            return cached
        module_name, _, attr = ref.partition(":")
        module = self.module(module_name)
        try:
            obj = getattr(module, attr)
        except AttributeError:
            obj = self._from_factory(module, module_name, attr)
        else:
            self._check_owner(ref, obj)
        self._objects[ref] = obj
        return obj

    def _from_factory(self, module: ModuleType, module_name: str, attr: str) -> Any:
        factory = getattr(module, attr[:-2], None) if attr.endswith("__") else None
        if factory is None:
            public = [n for n in dir(module) if not n.startswith("_")]
            raise RefError(
                "ref_missing",
                f"module '{module_name}' has no attribute '{attr}'",
                did_you_mean(attr, public),
            )
        self._check_owner(f"{module_name}:{attr[:-2]}", factory)
        if not callable(factory):
            raise RefError("ref_missing", f"'{module_name}:{attr[:-2]}' is not callable")
        try:
            made = factory()
        except Exception as e:
            raise RefError(
                "ref_failed",
                f"'{module_name}:{attr[:-2]}()' raised {type(e).__name__}: {e}",
            ) from None
        # What the factory returns is checked like a plain attribute, or an allowed
        # module's `def f(): return os.system` would hand out what `from os import
        # system` may not.
        self._check_owner(f"{module_name}:{attr}", made)
        return made

    def _check_owner(self, ref: str, obj: Any) -> None:
        from lythonic.compose.graph import Dag

        if isinstance(obj, Dag):
            return  # a DAG is data built by the (allowed) module that holds it
        if not callable(obj) and not isinstance(obj, ModuleType):
            return  # a plain value runs nothing; the caller says it is not a step
        owner = _owner(obj)
        if owner is None:
            raise RefError(
                "import_not_allowed",
                f"'{ref}' is a {type(obj).__name__} whose defining module is unknown; it "
                "cannot be checked against the allow-list",
            )
        refusal = self.policy.refusal(owner)
        if refusal is not None:
            code, reason, hint = refusal
            raise RefError(code, f"'{ref}' is defined in module '{owner}', which {reason}", hint)
