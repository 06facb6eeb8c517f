"""What a running node can know about its run: ``DagPath`` and ``DagContext``."""

from __future__ import annotations

import asyncio
import functools
import inspect
from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler
from pydantic_core import CoreSchema, core_schema

from lythonic._public import publish
from lythonic._refs import NsRef
from lythonic.compose.nodes._markers import is_inline

__all__ = ["DagContext", "DagPath"]


class DagPath:
    """A DAG's nsref plus the path of a sub-DAG iteration inside it.

    >>> p = DagPath("m:dag__/chunks[0]")
    >>> str(p.nsref), p.path
    ('m:dag__', '/chunks[0]')
    """

    __slots__ = ("nsref", "path")

    nsref: NsRef
    path: str

    def __init__(self, s: str | NsRef | DagPath) -> None:
        if isinstance(s, DagPath):
            self.nsref, self.path = s.nsref, s.path
        elif isinstance(s, NsRef):
            self.nsref, self.path = s, ""
        elif "/" in s:
            head, rest = s.split("/", 1)
            self.nsref, self.path = NsRef(head), "/" + rest
        else:
            self.nsref, self.path = NsRef(s), ""

    def __str__(self) -> str:
        return str(self.nsref) + self.path

    def __repr__(self) -> str:
        return f"DagPath({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DagPath):
            return self.nsref == other.nsref and self.path == other.path
        if isinstance(other, str):
            return str(self) == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(str(self))

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_plain_validator_function(
            lambda v: v if isinstance(v, DagPath) else DagPath(v),
            serialization=core_schema.to_string_ser_schema(),
        )


class DagContext(BaseModel):
    """Injected as the first argument of a node that annotates it.

    Subclasses may add fields; fields without defaults are filled from the
    ``context`` mapping given to ``DagRunner.run``. ``attempt`` counts from 1
    (retries raise it); ``scheduled_at`` is the trigger's scheduled time, when
    a trigger started the run. Use them to make node functions idempotent.
    ``replaying`` is True when the step runs alone from a recorded run's inputs
    (``lyth replay RUN --node STEP --isolated``): skip side effects then.
    """

    model_config: ClassVar[ConfigDict] = ConfigDict(arbitrary_types_allowed=True, defer_build=True)

    dag_nsref: DagPath
    node_label: str
    run_id: str
    namespace: Any = Field(default=None, exclude=True)
    attempt: int = 1
    scheduled_at: datetime | None = None
    replaying: bool = False

    def _resolve_node(self, nsref: str) -> Any:
        if self.namespace is None:
            raise RuntimeError("DagContext has no namespace (not mounted)")
        return self.namespace.get(nsref)

    def ns_call(self, nsref: str, *args: Any, **kwargs: Any) -> Any:
        """Call a sync namespace node (through its cache wrapper, if any)."""
        node = self._resolve_node(nsref)
        if inspect.iscoroutinefunction(node.method.o):
            raise TypeError(f"'{nsref}' is async: use `await ctx.ns_acall({nsref!r}, ...)`")
        return node(*args, **kwargs)

    async def ns_acall(self, nsref: str, *args: Any, **kwargs: Any) -> Any:
        """Call any namespace node from async code; sync ones run in a thread unless @inline."""
        node = self._resolve_node(nsref)
        fn = node.callable
        if inspect.iscoroutinefunction(fn):
            return await fn(*args, **kwargs)
        if is_inline(fn) or is_inline(node.method.o):
            return fn(*args, **kwargs)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, functools.partial(fn, *args, **kwargs))


publish("lythonic.compose.namespace", DagPath, DagContext)
