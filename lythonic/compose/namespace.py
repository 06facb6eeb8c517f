"""The DAG API: ``Namespace``, ``Dag``, node kinds, configs, markers and validation.

The code lives in ``lythonic.compose.nodes`` (what a step is) and
``lythonic.compose.graph`` (namespaces and DAGs); this path is the public one.
"""

from lythonic.compose.graph import (
    Dag,
    Namespace,
)
from lythonic.compose.nodes import (
    CallNode,
    CompositeDagNode,
    DagContext,
    DagEdge,
    DagIssue,
    DagNode,
    DagPath,
    DagPort,
    DagValidationError,
    LabelSwitch,
    MapNode,
    MapSwitchNode,
    NamespaceFragment,
    NamespaceNode,
    NsCacheConfig,
    NsFragmentConfig,
    NsNodeConfig,
    SwitchNode,
    TriggerConfig,
    dag_factory,
    inline,
    mount_required,
    mountable,
    nsnode,
    require_cache,
)
from lythonic.compose.nodes._configs import (
    _CONFIG_TYPES,
)

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
