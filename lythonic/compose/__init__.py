"""Compose: describe callables as data and wire them into DAGs.

The DAG API lives in ``lythonic.compose.namespace``; execution in
``lythonic.compose.dag_runner``.
"""

from lythonic.compose._introspect import Method, MethodDict, MethodInterface, ParamInfo

__all__ = ["Method", "MethodDict", "MethodInterface", "ParamInfo"]
