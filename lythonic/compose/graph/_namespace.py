"""The namespace: a flat registry of callables (and DAGs) under ``"scope:leaf"`` keys."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from lythonic._public import publish
from lythonic._refs import GlobalRef, NsRef
from lythonic.compose.nodes import (
    CONFIG_TYPES,
    DagShape,
    Method,
    NamespaceNode,
    NsCacheConfig,
    NsNodeConfig,
    TriggerConfig,
    auto_fill_trigger_names,
    is_dag_factory,
    match_tag_query,
    parse_tag_query,
)

if TYPE_CHECKING:
    from lythonic.compose.run import DagRunResult

__all__ = ["Namespace"]

log = logging.getLogger("lythonic.compose.namespace")

Decorate = Callable[[Callable[..., Any]], Callable[..., Any]]


class Namespace:
    """A flat registry of ``NamespaceNode``s keyed by ``"scope.sub:leaf"``.

    >>> ns = Namespace()
    >>> node = ns.register(len, nsref="util:length")
    >>> ns.get("util:length")(["a", "b"])
    2
    """

    _nodes: dict[str, NamespaceNode]
    dag_type: ClassVar[type[DagShape]]
    """The DAG class ``get_as_dag`` builds: ``lythonic.compose.graph.Dag``, which
    sets it when it is defined (the layer above hands itself down)."""

    def __init__(self) -> None:
        self._nodes = {}
        self._storage: Any = None
        self._provenance: Any = None

    # -- mount state -------------------------------------------------------

    @property
    def is_mounted(self) -> bool:
        return self._storage is not None

    @property
    def requires_mount(self) -> bool:
        """True when a node has a cache config, triggers, or is ``@mount_required``."""
        return any(
            isinstance(n.config, NsCacheConfig)
            or n.config.triggers
            or getattr(n.method.o, "_is_mount_required", False)
            for n in self._nodes.values()
        )

    @property
    def has_mountable(self) -> bool:
        """True when mounting would change how some node behaves."""
        return self.requires_mount or any(
            n.dag is not None or getattr(n.method.o, "_is_mountable", False)
            for n in self._nodes.values()
        )

    def mount(self, storage: Any) -> None:
        """Wire provenance (``storage.dags_db``), caches (``storage.cache_db``) and logging."""
        self._storage = storage
        from lythonic.compose.graph._mount import mount_stores  # stores load on first mount

        self._provenance = mount_stores(self._nodes.values(), storage, self._provenance)

    # -- registration ------------------------------------------------------

    def register(
        self,
        c: Callable[..., Any] | str | DagShape,
        nsref: str | NsRef | None = None,
        decorate: Decorate | None = None,
        tags: Iterable[str] | None = None,
        config: NsNodeConfig | None = None,
    ) -> NamespaceNode:
        """Register a callable, a ``"module:name"`` string, a ``Dag`` or a ``@dag_factory``.

        The nsref defaults to ``"module:name"`` (``"module:name__"`` for factories).
        ``decorate`` wraps the function for invocation; metadata still comes
        from the original.
        """
        if isinstance(c, str):
            gref = GlobalRef(c)
            nsref = nsref if nsref is not None else _config_nsref(config) or str(gref)
            c = gref.get_instance()
        if isinstance(c, DagShape):
            return self._register_dag(
                c, nsref if nsref is not None else _config_nsref(config), tags=tags, config=config
            )
        if not callable(c):
            raise TypeError(f"cannot register {type(c).__name__} {c!r}: it is not callable")
        if getattr(c, "_require_cache", False) and not isinstance(config, NsCacheConfig):
            raise ValueError(
                f"'{getattr(c, '__name__', c)}' is decorated with @require_cache but no "
                "NsCacheConfig was provided"
            )
        if is_dag_factory(c):
            gref = GlobalRef(c)
            dag = c()
            if not isinstance(dag, DagShape):
                raise TypeError(f"@dag_factory {gref} must return a Dag, got {type(dag).__name__}")
            key = nsref if nsref is not None else _config_nsref(config)
            return self._register_dag(
                dag,
                key if key is not None else f"{gref.module}:{gref.name}__",
                tags=tags,
                config=config,
            )
        if nsref is None:
            nsref = _config_nsref(config)
        method = Method(c)
        if nsref is None:
            if method.gref is None and not hasattr(c, "__module__"):
                raise ValueError(f"cannot derive an nsref for {c!r}; pass nsref=...")
            nsref = str(method.gref) if method.gref else f"{c.__module__}:{method.name}"
        decorated = decorate(method.o) if decorate else None
        return self._add(
            NamespaceNode(
                method=method,
                nsref=nsref,
                namespace=self,
                decorated=decorated,
                tags=tags,
                config=_align_config(config, nsref),
            )
        )

    def _add(self, node: NamespaceNode) -> NamespaceNode:
        key = str(node.nsref)
        if key in self._nodes:
            raise ValueError(f"'{key}' already exists in namespace")
        self._nodes[key] = node
        return node

    def _register_dag(
        self,
        dag: DagShape,
        nsref: str | NsRef | None,
        tags: Iterable[str] | None = None,
        config: NsNodeConfig | None = None,
    ) -> NamespaceNode:
        """Register ``dag`` as an async callable; it resolves nodes here first."""
        if nsref is None:
            raise ValueError("nsref is required when registering a Dag")
        key = str(nsref)
        if dag.parent_namespace is self:
            raise ValueError(f"Dag '{key}' is already registered with this namespace")
        if dag.parent_namespace is not None:
            # A Dag belongs to one namespace; a second registration (e.g. a
            # reloaded config reusing a module-level Dag) gets its own copy
            # instead of silently re-pointing the first one.
            dag = dag.copy()
        if key in self._nodes:
            raise ValueError(f"'{key}' already exists in namespace")
        dag.parent_namespace = self

        async def dag_wrapper(**kwargs: Any) -> DagRunResult:
            from lythonic.compose.run import DagRunner  # the runner loads on a DAG's first run

            runner = DagRunner(dag, provenance=self._provenance)
            return await runner.run(source_inputs=dag.kwargs_to_inputs(kwargs), dag_nsref=key)

        dag_wrapper.__name__ = NsRef(key).name or "dag"
        dag_wrapper.__qualname__ = f"<locals>.{dag_wrapper.__name__}"
        return self._add(
            NamespaceNode(
                method=Method(dag_wrapper),
                nsref=key,
                namespace=self,
                tags=tags,
                config=_align_config(config, key),
                dag=dag,
            )
        )

    def register_all(
        self,
        *callables: Callable[..., Any],
        decorate: Decorate | None = None,
        tags: Iterable[str] | None = None,
    ) -> list[NamespaceNode]:
        """Register each callable under its derived nsref."""
        return [self.register(c, decorate=decorate, tags=tags) for c in callables]

    # -- lookup ------------------------------------------------------------

    def get(self, nsref: str | NsRef) -> NamespaceNode:
        key = str(nsref)
        try:
            return self._nodes[key]
        except KeyError:
            raise KeyError(f"'{key}' not found in namespace") from None

    def __contains__(self, nsref: object) -> bool:
        return str(nsref) in self._nodes

    def __len__(self) -> int:
        return len(self._nodes)

    def get_as_dag(self, nsref: str | NsRef) -> DagShape:
        """The registered DAG at ``nsref``, or a new one-node DAG around a plain callable."""
        node = self.get(nsref)
        if node.dag is not None:
            dag_of_node: DagShape = node.dag
            return dag_of_node
        dag: Any = self.dag_type()
        dag.node(node)
        dag.parent_namespace = self
        return dag

    def nodes(self) -> list[NamespaceNode]:
        """Every registered node, in registration order."""
        return list(self._nodes.values())

    def find(self, nsref: str | NsRef) -> NamespaceNode | None:
        """The node at ``nsref``, or None (``get`` raises ``KeyError`` instead)."""
        return self._nodes.get(str(nsref))

    def _all_leaves(self) -> list[NamespaceNode]:  # upstream's name, kept for its users
        return self.nodes()

    def query(self, expr: str) -> list[NamespaceNode]:
        """Nodes whose tags match ``expr`` (``~`` not, ``&`` and, ``|`` or; no parentheses)."""
        tokens = parse_tag_query(expr)
        return [n for n in self._nodes.values() if match_tag_query(tokens, n.tags)]

    def triggers(self) -> list[tuple[NamespaceNode, TriggerConfig]]:
        """Every configured trigger with the node it fires."""
        return [(n, t) for n in self._nodes.values() for t in n.config.triggers]

    def get_trigger(self, name: str) -> tuple[NamespaceNode, TriggerConfig]:
        for node, trigger in self.triggers():
            if trigger.name == name:
                return node, trigger
        raise KeyError(f"Trigger '{name}' not found")

    def register_fragment(self, entry: dict[str, Any]) -> None:
        """Register every method a ``type: fragment`` entry's class or module contributes."""
        from lythonic.compose.graph._fragments import fragment_members

        for member in fragment_members(entry):
            if member.is_factory:
                dag = member.fn()
                if not isinstance(dag, DagShape):
                    raise TypeError(
                        f"@dag_factory '{member.name}' must return a Dag, got {type(dag).__name__}"
                    )
                self._register_dag(dag, member.nsref, config=member.config)
            else:
                method = Method(member.fn, name=member.name)
                self._add(
                    NamespaceNode(
                        method=method, nsref=member.nsref, namespace=self, config=member.config
                    )
                )

    # -- serialization -----------------------------------------------------

    def to_dict(self) -> list[dict[str, Any]]:
        """Every node's config as plain data (YAML/JSON ready)."""
        return [n.config.model_dump(mode="json", exclude_none=True) for n in self._nodes.values()]

    @classmethod
    def from_dict(cls, entries: Iterable[dict[str, Any]]) -> Namespace:
        """Build a namespace from ``namespace:`` entries (auto, cache or fragment)."""
        ns = cls()
        for entry in entries:
            kind = entry.get("type", "auto")
            if kind == "fragment":
                ns.register_fragment(entry)
                continue
            config = CONFIG_TYPES.get(kind, NsNodeConfig).model_validate(entry)
            auto_fill_trigger_names(config)
            if config.gref is not None:
                ns.register(config.gref.get_instance(), nsref=config.nsref, config=config)
            else:
                ns.register(_placeholder, nsref=config.nsref, config=config)
        return ns


def _placeholder() -> None:
    """Stands in for a namespace entry declared without a gref."""


def _config_nsref(config: NsNodeConfig | None) -> str | None:
    return str(config.nsref) if config is not None and config.nsref is not None else None


def _align_config(config: NsNodeConfig | None, key: str | NsRef) -> NsNodeConfig | None:
    """Make ``config.nsref`` agree with the key the node is stored under.

    An nsref the config derived from its gref is replaced; one set explicitly
    and different from ``key`` is a contradiction the caller must resolve.
    """
    if config is None or config.nsref == str(key):
        return config
    derived = config.gref is not None and config.nsref == str(config.gref)
    if "nsref" in config.model_fields_set and not derived:
        raise ValueError(
            f"nsref {str(key)!r} contradicts config.nsref {str(config.nsref)!r}; pass only one"
        )
    return config.model_copy(update={"nsref": NsRef(str(key))})


publish("lythonic.compose.namespace", Namespace)
