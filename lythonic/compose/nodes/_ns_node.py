"""A namespace node: a callable with a namespace identity, its config and tags."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from lythonic._public import publish
from lythonic._refs import NsRef
from lythonic.compose.nodes._configs import NsNodeConfig
from lythonic.compose.nodes._context import DagContext
from lythonic.compose.nodes._introspect import Method, resolve_hints
from lythonic.compose.nodes._tags import validate_tags

__all__ = ["NamespaceFragment", "NamespaceNode", "Registry"]

_UNSET: Any = object()


class Registry(Protocol):
    """Where a node looks up its peers by nsref (a ``Namespace``)."""

    def get(self, nsref: str | NsRef) -> NamespaceNode: ...

    def __contains__(self, nsref: object) -> bool: ...

    def find(self, nsref: str | NsRef) -> NamespaceNode | None: ...


class NamespaceNode:
    """A callable with a namespace identity (its nsref), config and tags.

    Calling the node calls its decorated form (e.g. a cache wrapper) when one
    is set, else the raw function: a plain sync-or-async passthrough.
    """

    method: Method
    namespace: Registry | None
    config: NsNodeConfig
    _decorated: Callable[..., Any] | None

    def __init__(
        self,
        method: Method,
        nsref: str | NsRef | None = None,
        namespace: Registry | None = None,
        decorated: Callable[..., Any] | None = None,
        tags: Iterable[str] | None = None,
        config: NsNodeConfig | None = None,
        dag: Any = None,
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


publish("lythonic.compose.namespace", NamespaceNode, NamespaceFragment)
