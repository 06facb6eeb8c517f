"""The public import paths users have (upstream lythonic's and ours) keep working.

Internals move freely behind these paths; this guard fails when a move drops a
name, when ``__all__`` misses one, or when it is not in ruff's (RUF022) order.
"""

from __future__ import annotations

import importlib
import inspect
import pickle

import pytest

from lythonic import GlobalRef
from lythonic.compose.namespace import Dag, DagContext, DagEdge

# Per path: the names of API.md §1 plus the ones we added since. A path's
# ``__all__`` must hold all of them (it may hold more: new public names).
PUBLIC = {
    "lythonic": [
        "NsRef",
        "GlobalRef",
        "ModuleRef",
        "Result",
        "get_module",
        "utc_now",
        "str_or_none",
    ],
    "lythonic.config": ["Configurable"],
    "lythonic.misc": ["ensure_dir", "tabula_rasa_path"],
    "lythonic.types": [
        "KnownType",
        "KnownTypeArgs",
        "KnownTypesMap",
        "KNOWN_TYPES",
        "JsonBase",
        "DbTypeInfo",
        "MapPair",
    ],
    "lythonic.compose": ["ParamInfo", "MethodInterface", "Method", "MethodDict"],
    "lythonic.compose.namespace": [
        "inline",
        "dag_factory",
        "mountable",
        "mount_required",
        "nsnode",
        "require_cache",
        "DagPath",
        "DagContext",
        "TriggerConfig",
        "NsNodeConfig",
        "NsCacheConfig",
        "NsFragmentConfig",
        "NamespaceNode",
        "NamespaceFragment",
        "Namespace",
        "DagEdge",
        "DagNode",
        "LabelSwitch",
        "CompositeDagNode",
        "MapNode",
        "CallNode",
        "SwitchNode",
        "MapSwitchNode",
        "Dag",
        "_CONFIG_TYPES",
        "DagIssue",
        "DagPort",
        "DagValidationError",
    ],
    "lythonic.compose.dag_runner": [
        "DagPause",
        "DagRunResult",
        "DagRunner",
        "NodeInputError",
        "NodeTimeout",
        "SubDagFailed",
    ],
    "lythonic.compose.dag_provenance": [
        "json_default",
        "safe_json_dumps",
        "EdgeTraversal",
        "IoPayload",
        "NodeExecution",
        "DagRun",
        "DagProvenance",
        "NullProvenance",
        "SCHEDULER",
        "run_initiator",
        "initiated_by",
        "ProvenanceStore",
        "ProvenanceSchemaError",
        "RunNotFound",
        "RunNotRestartable",
        "DagDefinitionChanged",
        "Unrecorded",
        "decode_value",
    ],
    "lythonic.compose.cached": [
        "DAYS_TO_SECONDS",
        "CacheProhibitDirectCall",
        "CacheRefreshPushback",
        "CacheRefreshSuppressed",
        "table_name_from_path",
        "generate_cache_table_ddl",
        "mount_cached_node",
        "invalidate",
        "CacheTableConflict",
    ],
    "lythonic.compose.log_context": [
        "NodeRunContext",
        "get_node_run_context",
        "set_node_run_context",
        "reset_node_run_context",
        "node_run_context",
        "NodeRunLogFilter",
        "install_node_run_log_filter",
    ],
    "lythonic.compose.trigger": [
        "TriggerStore",
        "TriggerManager",
        "TriggerActivationResult",
        "CronSchedule",
        "TriggerSpec",
        "tick_run_id",
    ],
    "lythonic.compose.engine": ["LogConfig", "StorageConfig", "EngineConfig", "resolve_file"],
    "lythonic.compose.lyth": ["main", "cli_main"],
    "lythonic.compose.executor": ["Executor", "LocalExecutor"],
    "lythonic.state": [
        "DbModel",
        "Schema",
        "DbFile",
        "DbConfig",
        "FieldInfo",
        "FilterOp",
        "FilterOperator",
        "FILTER_OPERATOR_SQL",
        "open_sqlite_db",
        "execute_sql",
        "from_multi_model_row",
        "to_sql_datetime",
        "add_missing_column",
    ],
    "lythonic.state.alt_key": ["AltKeyField", "JoinStep", "AltKey"],
    "lythonic.state.user": ["UserInfo", "User", "UserContext", "UserOwned"],
    "lythonic.testing": ["FakeClock"],
    "lythonic.logs": ["configure_logging", "get_logger", "log_to_file"],
}

# Private names upstream's own tests import or patch; they must stay reachable.
PRIVATE = {
    "lythonic.compose.cached": ["_pushback_set", "_pushback_check", "random"],
}


def _ruff_order(name: str) -> tuple[int, str]:
    """RUF022's isort-style order: SCREAMING_CASE, then CamelCase, then the rest."""
    bare = name.lstrip("_")
    if bare.isupper() and len(bare) > 1:
        group = 0
    elif bare[:1].isupper():
        group = 1
    else:
        group = 2
    return group, name


@pytest.mark.parametrize("path", sorted(PUBLIC))
def test_public_names_import_and_are_exported(path: str) -> None:
    """Every public name of a path imports from it and is listed in its ``__all__``."""
    module = importlib.import_module(path)
    exported = set(module.__all__)
    missing = [n for n in PUBLIC[path] if n not in exported or not hasattr(module, n)]
    assert not missing, f"{path} lost {missing}"
    for name in PRIVATE.get(path, []):
        assert hasattr(module, name), f"{path}.{name}"


@pytest.mark.parametrize("path", sorted(PUBLIC))
def test_all_is_sorted_and_every_entry_resolves(path: str) -> None:
    """``__all__`` holds no name the module lacks, no duplicate, in ruff's order."""
    module = importlib.import_module(path)
    names = list(module.__all__)
    assert len(names) == len(set(names)), f"{path}: duplicates in __all__"
    assert [n for n in names if not hasattr(module, n)] == []
    assert names == sorted(names, key=_ruff_order), f"{path}: __all__ is not sorted"


def test_public_classes_and_functions_report_their_public_path() -> None:
    """A name defined in a private module reports the path users import it from
    (as upstream, which defined it there): GlobalRef, reprs and pickles name it."""
    seen: set[int] = set()
    wrong = []
    for path, names in PUBLIC.items():
        module = importlib.import_module(path)
        for name in names:
            obj = getattr(module, name)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)) or id(obj) in seen:
                continue
            seen.add(id(obj))
            home = importlib.import_module(obj.__module__)
            if any(p.startswith("_") for p in obj.__module__.split(".")) or (
                getattr(home, obj.__qualname__, None) is not obj
            ):
                wrong.append(f"{path}.{name}: {obj.__module__}")
    assert wrong == []
    assert GlobalRef(GlobalRef).scope == ["lythonic"]
    assert str(GlobalRef(Dag)) == "lythonic.compose.namespace:Dag"


def test_a_published_model_still_resolves_its_annotations_late() -> None:
    """Deferred pydantic models build on first use in the module that defines them."""
    ctx = DagContext(dag_nsref="pipeline:daily", node_label="fetch", run_id="r1")
    assert ctx.attempt == 1 and DagEdge(upstream="a", downstream="b").param is None
    assert pickle.loads(pickle.dumps(DagEdge(upstream="a", downstream="b"))).upstream == "a"
