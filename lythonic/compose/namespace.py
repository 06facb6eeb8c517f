"""The DAG-building API: namespaces of callables, DAGs, composite nodes and configs.

>>> from lythonic.compose.namespace import Dag
>>> def fetch(url: str) -> dict: return {"source": url}
>>> def double(data: dict) -> dict: return {**data, "twice": True}
>>> dag = Dag()
>>> dag.node(fetch) >> dag.node(double)
DagNode('double')
"""

from lythonic.compose._composite import (
    CallNode,
    CompositeDagNode,
    LabelSwitch,
    MapNode,
    MapSwitchNode,
    SwitchNode,
)
from lythonic.compose._configs import (
    _CONFIG_TYPES,
    NsCacheConfig,
    NsFragmentConfig,
    NsNodeConfig,
    TriggerConfig,
)
from lythonic.compose._context import DagContext, DagPath
from lythonic.compose._dag import Dag, DagEdge, DagNode, DagPort
from lythonic.compose._markers import (
    dag_factory,
    inline,
    mount_required,
    mountable,
    nsnode,
    require_cache,
)
from lythonic.compose._registry import Namespace, NamespaceFragment, NamespaceNode
from lythonic.compose._validation import DagIssue, DagValidationError

__all__ = [
    "_CONFIG_TYPES",
    "CallNode",
    "CompositeDagNode",
    "Dag",
    "DagContext",
    "DagEdge",
    "DagIssue",
    "DagNode",
    "DagPath",
    "DagPort",
    "DagValidationError",
    "LabelSwitch",
    "MapNode",
    "MapSwitchNode",
    "Namespace",
    "NamespaceFragment",
    "NamespaceNode",
    "NsCacheConfig",
    "NsFragmentConfig",
    "NsNodeConfig",
    "SwitchNode",
    "TriggerConfig",
    "dag_factory",
    "inline",
    "mount_required",
    "mountable",
    "nsnode",
    "require_cache",
]
