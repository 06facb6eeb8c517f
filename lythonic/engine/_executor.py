"""The executor a command or the daemon runs sync steps with, from trusted settings.

``LYTH_EXECUTOR`` (or ``--executor``) picks it: ``local`` threads, or a Dask
cluster at ``LYTH_DASK_ADDRESS`` (unset: a local cluster of
``LYTH_DASK_WORKERS`` processes). Never from lyth.yaml: the driver unpickles
what the cluster sends back, so the YAML's author must not choose it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from lythonic.compose.executor import Executor, LocalExecutor

if TYPE_CHECKING:
    from lythonic.declarative import LoadedConfig, LythSettings

__all__ = ["ExecutorUnavailable", "open_executor", "referenced_modules"]


class ExecutorUnavailable(RuntimeError):
    """The executor the settings ask for cannot be had (extra not installed, no scheduler)."""


def open_executor(settings: LythSettings) -> Executor:
    """A new executor as the settings say; the caller closes it."""
    if settings.executor == "local":
        return LocalExecutor(max_workers=min(32, (os.cpu_count() or 1) + 4))
    try:
        import distributed  # noqa: F401  (only to say clearly when it is missing)

        from lythonic.compose.executor import DaskExecutor
    except ImportError:
        raise ExecutorUnavailable(
            "LYTH_EXECUTOR=dask needs Dask: pip install 'lythonic[dask]'"
        ) from None
    where = settings.dask_address or "a local cluster"
    try:
        return DaskExecutor(settings.dask_address, workers=settings.dask_workers)
    except Exception as e:
        raise ExecutorUnavailable(f"cannot reach the Dask scheduler ({where}): {e}") from None


def referenced_modules(loaded: LoadedConfig) -> list[str]:
    """The modules of the step functions a config runs (its DAGs and namespace)."""
    found: set[str] = set()

    def visit(dag: Any) -> None:
        for node in dag.nodes.values():
            subs = node.sub_dags() if hasattr(node, "sub_dags") else {}
            for sub in subs.values():
                visit(sub)
            ns_node = getattr(node, "ns_node", None)
            fn = getattr(getattr(ns_node, "method", None), "o", None)
            module = getattr(fn, "__module__", None)
            if module and module != "__main__" and not module.startswith("lythonic."):
                found.add(module)

    for name in loaded.dag_names():
        visit(loaded.get_dag(name))
    return sorted(found)
