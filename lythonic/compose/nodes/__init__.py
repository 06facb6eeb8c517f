"""What a step is: a namespace node (a callable with an nsref, config and tags),
the DAG nodes and edges that place it, composites (map, call, switch), how
inputs are wired to parameters, and what validation finds.

The lowest compose layer: it imports nothing else from ``lythonic.compose``.
"""

from lythonic.compose.nodes._composites import (
    CallNode,
    CompositeDagNode,
    LabelSwitch,
    MapNode,
    MapSwitchNode,
    SwitchNode,
    describe_node,
)
from lythonic.compose.nodes._configs import (
    CONFIG_TYPES,
    NsCacheConfig,
    NsFragmentConfig,
    NsNodeConfig,
    TriggerConfig,
    auto_fill_trigger_names,
)
from lythonic.compose.nodes._context import DagContext, DagPath
from lythonic.compose.nodes._dag_node import DagEdge, DagNode, DagPort, DagShape, check_label
from lythonic.compose.nodes._introspect import (
    Method,
    MethodDict,
    MethodInterface,
    ParamInfo,
    resolve_hints,
)
from lythonic.compose.nodes._issues import (
    ISSUE_CODES,
    DagIssue,
    DagValidationError,
    IssueCode,
    Severity,
    raise_for_issues,
)
from lythonic.compose.nodes._markers import (
    ISOLATIONS,
    Isolation,
    call_mode,
    dag_factory,
    inline,
    is_dag_factory,
    is_inline,
    mount_required,
    mountable,
    nsnode,
    require_cache,
)
from lythonic.compose.nodes._ns_node import NamespaceFragment, NamespaceNode, Registry
from lythonic.compose.nodes._tags import match_tag_query, parse_tag_query, validate_tags
from lythonic.compose.nodes._typecompat import format_type, is_any, is_compatible
from lythonic.compose.nodes._validation import (
    call_option_issues,
    check_dag,
    cycle_error,
    kahn_order,
)
from lythonic.compose.nodes._wiring import Param, accepts_any_kwarg, node_params, output_type

__all__ = [
    "CONFIG_TYPES",
    "ISOLATIONS",
    "ISSUE_CODES",
    "CallNode",
    "CompositeDagNode",
    "DagContext",
    "DagEdge",
    "DagIssue",
    "DagNode",
    "DagPath",
    "DagPort",
    "DagShape",
    "DagValidationError",
    "Isolation",
    "IssueCode",
    "LabelSwitch",
    "MapNode",
    "MapSwitchNode",
    "Method",
    "MethodDict",
    "MethodInterface",
    "NamespaceFragment",
    "NamespaceNode",
    "NsCacheConfig",
    "NsFragmentConfig",
    "NsNodeConfig",
    "Param",
    "ParamInfo",
    "Registry",
    "Severity",
    "SwitchNode",
    "TriggerConfig",
    "accepts_any_kwarg",
    "auto_fill_trigger_names",
    "call_mode",
    "call_option_issues",
    "check_dag",
    "check_label",
    "cycle_error",
    "dag_factory",
    "describe_node",
    "format_type",
    "inline",
    "is_any",
    "is_compatible",
    "is_dag_factory",
    "is_inline",
    "kahn_order",
    "match_tag_query",
    "mount_required",
    "mountable",
    "node_params",
    "nsnode",
    "output_type",
    "parse_tag_query",
    "raise_for_issues",
    "require_cache",
    "resolve_hints",
    "validate_tags",
]
