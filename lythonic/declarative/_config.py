"""``LoadedConfig``: a checked lyth.yaml, built into runnable objects.

It is immutable once built (the engine swaps whole snapshots on reload) and
knows where its stores live.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from lythonic.declarative._diagnostics import Diagnostic, UnknownDagError
from lythonic.declarative._model import LythConfig, TriggerModel
from lythonic.declarative._settings import LythSettings
from lythonic.declarative._storage import StoragePaths, resolve_storage

if TYPE_CHECKING:
    from lythonic.compose.dag_runner import DagRunner, DagRunResult
    from lythonic.compose.executor import Executor
    from lythonic.compose.namespace import Dag, Namespace
    from lythonic.compose.nodes import DagShape

__all__ = ["LoadedConfig", "StoragePaths", "UnknownDagError", "resolve_storage"]


@functools.cache
def _dag_runner() -> type[DagRunner]:
    """``DagRunner``, loaded with the first run (loading a config does not need it)."""
    from lythonic.compose.dag_runner import DagRunner

    return DagRunner


@dataclass(frozen=True, slots=True, eq=False)
class LoadedConfig:
    """A checked config: its DAGs (``dags["word_count"]`` is a ``Dag``), namespace,
    triggers and stores.

    ``revision`` is a digest of the file's text: runs record it, so every run
    names the config that built it.
    """

    spec: LythConfig
    namespace: Namespace
    dags: Mapping[str, Dag]
    settings: LythSettings
    storage: StoragePaths
    path: Path | None
    base_dir: Path
    revision: str
    warnings: tuple[Diagnostic, ...] = ()
    hooks: Mapping[tuple[str, str], Mapping[str, Callable[..., Any]]] = field(default_factory=dict)
    """``("dag"|"trigger", name)`` -> ``{"on_failure": fn, ...}``, imported when loaded."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "dags", MappingProxyType(dict(self.dags)))

    def with_path(self, path: Path) -> LoadedConfig:
        return dataclasses.replace(self, path=path)

    @property
    def data_dir(self) -> Path:
        return self.storage.data_dir

    @property
    def triggers(self) -> Mapping[str, TriggerModel]:
        """The ``triggers:`` section (run by ``lyth start``)."""
        return MappingProxyType(dict(self.spec.triggers))

    def dag_names(self) -> list[str]:
        """Names ``get_dag`` accepts: the file's DAGs, then namespace entries."""
        extra = [str(n.nsref) for n in self.namespace.nodes() if str(n.nsref) not in self.dags]
        return [*self.dags, *extra]

    def get_dag(self, name: str) -> DagShape:
        """A DAG of the file, or a namespace entry as a DAG (a plain callable becomes a
        one-step DAG). Raises ``UnknownDagError``."""
        dag = self.dags.get(name)
        if dag is not None:
            return dag
        if name in self.namespace:
            return self.namespace.get_as_dag(name)
        raise UnknownDagError(name, self.dag_names())

    def inputs(self, name: str) -> dict[str, dict[str, Any]]:
        """The ``inputs`` the file declares for DAG ``name`` (a copy)."""
        spec = self.spec.dags.get(name)
        if spec is None or not spec.inputs:
            return {}
        return copy.deepcopy({k: dict(v) for k, v in spec.inputs.items()})

    def mount_caches(self) -> None:
        """Give the ``type: cache`` namespace entries their cache store (``storage.cache_db``)."""
        from types import SimpleNamespace

        from lythonic.compose.namespace import NsCacheConfig

        if any(isinstance(n.config, NsCacheConfig) for n in self.namespace.nodes()):
            self.namespace.mount(SimpleNamespace(cache_db=self.storage.cache_db, dags_db=None))

    def runner(self, name: str, provenance: Any = None, **options: Any) -> DagRunner:
        """A ``DagRunner`` for DAG ``name`` with the file's ``max_concurrency``."""
        spec = self.spec.dags.get(name)
        if spec is not None and spec.max_concurrency is not None:
            options.setdefault("max_concurrency", spec.max_concurrency)
        if spec is not None and spec.timeout is not None:
            options.setdefault("timeout", spec.timeout)
        return _dag_runner()(self.get_dag(name), provenance=provenance, **options)

    async def run(
        self,
        name: str,
        inputs: Mapping[str, Mapping[str, Any]] | None = None,
        *,
        provenance: Any = None,
        executor: Executor | None = None,
        trigger: str | None = None,
        on_late: Callable[[Any], Any] | None = None,
        **run_options: Any,
    ) -> DagRunResult:
        """Run DAG ``name`` once: the file's inputs, overlaid with ``inputs`` per step.

        ``executor`` runs the sync steps (default: the runner's thread pool);
        ``run_options`` go to ``DagRunner.run`` (``initiator``, ``run_id`` ...);
        the run records this config's ``revision``. The DAG's ``on_failure``/
        ``on_success``/``on_late`` hooks (and those of ``trigger``, which win) are called
        once the run is on record; ``sla`` marks it late once (``on_late``: the
        caller's own hook for that, e.g. the daemon's status).
        """
        merged = self.inputs(name)
        for label, params in (inputs or {}).items():
            merged.setdefault(label, {}).update(params)
        run_options.setdefault("config_revision", self.revision)
        runner = self.runner(name, provenance, executor=executor)
        hooks = {
            **self.hooks.get(("dag", name), {}),
            **(self.hooks.get(("trigger", trigger), {}) if trigger else {}),
        }
        spec = self.spec.dags.get(name)
        sla = spec.sla if spec is not None else None
        if on_late is not None and sla is not None:  # the caller hears of lateness too
            hooks["on_late"] = _both(on_late, hooks.get("on_late"))
        if not hooks and sla is None:
            return await runner.run(source_inputs=merged, dag_nsref=name, **run_options)
        from lythonic.compose.run import watched_run

        return await watched_run(
            runner, merged, name, run_options, hooks=hooks, sla=sla, trigger=trigger
        )


def _both(first: Callable[[Any], Any], second: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    """A hook calling ``first``, then ``second`` (the config's own) when there is one."""
    if second is None:
        return first

    async def both(summary: Any) -> None:
        import inspect

        for hook in (first, second):
            result = hook(summary)
            if inspect.isawaitable(result):
                await result

    return both
