"""What a step is: a namespace node (a callable with an nsref, config and tags),
the DAG nodes and edges that place it, composites (map, call, switch), how
inputs are wired to parameters, and what validation finds.

The lowest compose layer: it imports nothing else from ``lythonic.compose``.

Names load on first use (``lythonic._lazy``): importing the package, or one
of its modules, loads only what is asked for.
"""

from typing import TYPE_CHECKING

from lythonic._lazy import lazy_exports

if TYPE_CHECKING:
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
    from lythonic.compose.nodes._context import (
        DagContext,
        DagPath,
    )
    from lythonic.compose.nodes._dag_node import (
        DagEdge,
        DagNode,
        DagPort,
        DagShape,
        check_label,
    )
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
        ASYNC,
        INLINE,
        ISOLATIONS,
        THREAD,
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
    from lythonic.compose.nodes._ns_node import (
        NamespaceFragment,
        NamespaceNode,
        Registry,
    )
    from lythonic.compose.nodes._tags import (
        match_tag_query,
        parse_tag_query,
        validate_tags,
    )
    from lythonic.compose.nodes._typecompat import (
        fan_in_element,
        format_type,
        is_any,
        is_compatible,
        normalize,
    )
    from lythonic.compose.nodes._validation import (
        call_option_issues,
        check_dag,
        cycle_error,
        find_cycles,
        kahn_order,
    )
    from lythonic.compose.nodes._wiring import (
        Binding,
        NodeWiring,
        Param,
        accepts_any_kwarg,
        element_type,
        node_params,
        output_type,
        signature_text,
        sub_dag_input,
        wire_node,
    )

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "_introspect": ["Method", "MethodDict", "MethodInterface", "ParamInfo", "resolve_hints"],
        "_typecompat": ["fan_in_element", "format_type", "is_any", "is_compatible", "normalize"],
        "_markers": [
            "ASYNC",
            "INLINE",
            "ISOLATIONS",
            "THREAD",
            "Isolation",
            "call_mode",
            "dag_factory",
            "inline",
            "is_dag_factory",
            "is_inline",
            "mount_required",
            "mountable",
            "nsnode",
            "require_cache",
        ],
        "_tags": ["match_tag_query", "parse_tag_query", "validate_tags"],
        "_configs": [
            "CONFIG_TYPES",
            "NsCacheConfig",
            "NsFragmentConfig",
            "NsNodeConfig",
            "TriggerConfig",
            "auto_fill_trigger_names",
        ],
        "_context": ["DagContext", "DagPath"],
        "_ns_node": ["NamespaceFragment", "NamespaceNode", "Registry"],
        "_dag_node": ["DagEdge", "DagNode", "DagPort", "DagShape", "check_label"],
        "_composites": [
            "CallNode",
            "CompositeDagNode",
            "LabelSwitch",
            "MapNode",
            "MapSwitchNode",
            "SwitchNode",
            "describe_node",
        ],
        "_issues": [
            "ISSUE_CODES",
            "DagIssue",
            "DagValidationError",
            "IssueCode",
            "Severity",
            "raise_for_issues",
        ],
        "_wiring": [
            "Binding",
            "NodeWiring",
            "Param",
            "accepts_any_kwarg",
            "element_type",
            "node_params",
            "output_type",
            "signature_text",
            "sub_dag_input",
            "wire_node",
        ],
        "_validation": [
            "call_option_issues",
            "check_dag",
            "cycle_error",
            "find_cycles",
            "kahn_order",
        ],
    },
)

__all__ = [
    "ASYNC",
    "CONFIG_TYPES",
    "INLINE",
    "ISOLATIONS",
    "ISSUE_CODES",
    "THREAD",
    "Binding",
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
    "NodeWiring",
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
    "element_type",
    "fan_in_element",
    "find_cycles",
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
    "normalize",
    "nsnode",
    "output_type",
    "parse_tag_query",
    "raise_for_issues",
    "require_cache",
    "resolve_hints",
    "signature_text",
    "sub_dag_input",
    "validate_tags",
    "wire_node",
]
