"""Packages whose names load on first use (PEP 562).

A layer package (``lythonic.compose.run``) re-exports what its modules define,
but importing it, or one of its modules, should not load all of them: the
runner must not pay for the process executor, a reader of run history not for
the writer thread. ``lazy_exports`` gives such a package its ``__getattr__``
and ``__dir__``; the package lists its names once per module, and repeats them
under ``TYPE_CHECKING`` for type checkers and the import-layer test.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable, Mapping, Sequence
from types import ModuleType
from typing import Any

__all__ = ["lazy_exports", "lazy_module"]


def lazy_exports(
    package: str, modules: Mapping[str, Sequence[str]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: ``modules`` maps each
    submodule (``"_runner"``) to the names it provides."""
    where = {name: f"{package}.{module}" for module, names in modules.items() for name in names}

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        # __import__, as an import statement does: the interpreter's "import" audit
        # event fires for a lazily loaded module too (importlib.import_module skips it).
        __import__(module)
        value = getattr(sys.modules[module], name)
        vars(sys.modules[package])[name] = value  # later lookups skip this
        return value

    def __dir__() -> list[str]:
        return sorted(where)

    return __getattr__, __dir__


def lazy_module(name: str) -> ModuleType:
    """Module ``name``, executed on first attribute access (``importlib.util.LazyLoader``):
    ``lyth --help`` registers every command without loading what the commands use."""
    module = sys.modules.get(name)
    if module is not None:
        return module
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(f"no module named {name!r}")
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module
