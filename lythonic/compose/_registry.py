"""The namespace: a flat registry of callables (and DAGs) under ``"scope:leaf"`` keys."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from lythonic._refs import GlobalRef, NsRef
from lythonic.compose._configs import (
    _CONFIG_TYPES,
    NsCacheConfig,
    NsNodeConfig,
    TriggerConfig,
    auto_fill_trigger_names,
)
from lythonic.compose._context import DagContext
from lythonic.compose._introspect import Method, resolve_hints
from lythonic.compose._markers import is_dag_factory
from lythonic.compose._tags import match_tag_query, parse_tag_query, validate_tags

if TYPE_CHECKING:
    from lythonic.compose._dag import Dag
    from lythonic.compose.dag_runner import DagRunResult

__all__ = ["Namespace", "NamespaceFragment", "NamespaceNode"]

log = logging.getLogger("lythonic.compose.namespace")

Decorate = Callable[[Callable[..., Any]], Callable[..., Any]]

_UNSET: Any = object()


class NamespaceNode:
    """A callable with a namespace identity (its nsref), config and tags.

    Calling the node calls its decorated form (e.g. a cache wrapper) when one
    is set, else the raw function: a plain sync-or-async passthrough.
    """

    method: Method
    namespace: Namespace | None
    config: NsNodeConfig
    _decorated: Callable[..., Any] | None

    def __init__(
        self,
        method: Method,
        nsref: str | NsRef | None = None,
        namespace: Namespace | None = None,
        decorated: Callable[..., Any] | None = None,
        tags: Iterable[str] | None = None,
        config: NsNodeConfig | None = None,
        dag: Dag | None = None,
    ) -> None:
        self.method = method
        self.namespace = namespace
        self._decorated = decorated
        self.dag = dag
        self.metadata: dict[str, Any] = {}
        valid_tags = validate_tags(tags)
        if config is None:
            config = NsNodeConfig(
                nsref=NsRef(nsref) if isinstance(nsref, str) else nsref,
                gref=method.gref,
                tags=sorted(valid_tags) if valid_tags else None,
            )
        elif valid_tags:
            merged = sorted(valid_tags.union(config.tags or ()))
            config = config.model_copy(update={"tags": merged})
        self.config = config
        self._ctx_type: Any = _UNSET
        self._params: Any = None  # wiring's view of the signature, computed once

    @property
    def nsref(self) -> NsRef:
        return self.config.ref

    @property
    def tags(self) -> frozenset[str]:
        return frozenset(self.config.tags or ())

    @property
    def callable(self) -> Callable[..., Any]:
        """What runs when the node is invoked: the decorated form, else the function."""
        return self._decorated if self._decorated is not None else self.method.o

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.callable(*args, **kwargs)

    def expects_dag_context(self) -> bool:
        """True when the first parameter is annotated with ``DagContext`` or a subclass."""
        return self.dag_context_type() is not None

    def dag_context_type(self) -> type[DagContext] | None:
        """The ``DagContext`` subclass the first parameter asks for, or None."""
        if self._ctx_type is _UNSET:
            self._ctx_type = _first_param_context_type(self.method.o)
        ctx_type: type[DagContext] | None = self._ctx_type
        return ctx_type

    def __repr__(self) -> str:
        return f"NamespaceNode(nsref={self.nsref!r})"


def _first_param_context_type(fn: Callable[..., Any]) -> type[DagContext] | None:
    try:
        params = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return None
    if not params:
        return None
    annotation = resolve_hints(fn, localns={"DagContext": DagContext}).get(params[0])
    if isinstance(annotation, type) and issubclass(annotation, DagContext):
        return annotation
    return None


class NamespaceFragment:
    """Base class for a group of ``@nsnode`` methods registered under one prefix."""


class Namespace:
    """A flat registry of ``NamespaceNode``s keyed by ``"scope.sub:leaf"``.

    >>> ns = Namespace()
    >>> node = ns.register(len, nsref="util:length")
    >>> ns.get("util:length")(["a", "b"])
    2
    """

    _nodes: dict[str, NamespaceNode]

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
        from lythonic.compose._mount import mount_namespace

        mount_namespace(self, storage)

    # -- registration ------------------------------------------------------

    def register(
        self,
        c: Callable[..., Any] | str | Dag,
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
        from lythonic.compose._dag import Dag

        if isinstance(c, str):
            gref = GlobalRef(c)
            nsref = nsref if nsref is not None else _config_nsref(config) or str(gref)
            c = gref.get_instance()
        if isinstance(c, Dag):
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
            if not isinstance(dag, Dag):
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
        dag: Dag,
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
            from lythonic.compose.dag_runner import DagRunner

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

    def get_as_dag(self, nsref: str | NsRef) -> Dag:
        """The registered DAG at ``nsref``, or a new one-node DAG around a plain callable."""
        from lythonic.compose._dag import Dag

        node = self.get(nsref)
        if node.dag is not None:
            return node.dag
        dag = Dag()
        dag.node(node)
        dag.parent_namespace = self
        return dag

    def _all_leaves(self) -> list[NamespaceNode]:
        return list(self._nodes.values())

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

    # -- serialization -----------------------------------------------------

    def to_dict(self) -> list[dict[str, Any]]:
        """Every node's config as plain data (YAML/JSON ready)."""
        return [n.config.model_dump(mode="json", exclude_none=True) for n in self._nodes.values()]

    @classmethod
    def from_dict(cls, entries: Iterable[dict[str, Any]]) -> Namespace:
        """Build a namespace from ``namespace:`` entries (auto, cache or fragment)."""
        from lythonic.compose._fragments import register_fragment

        ns = cls()
        for entry in entries:
            kind = entry.get("type", "auto")
            if kind == "fragment":
                register_fragment(ns, entry)
                continue
            config = _CONFIG_TYPES.get(kind, NsNodeConfig).model_validate(entry)
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
