"""Fragments: a class or module whose marked methods register under one nsref prefix."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from lythonic._events import event
from lythonic._refs import GlobalRef
from lythonic.compose.nodes import NamespaceFragment
from lythonic.compose.nodes._configs import (
    NsCacheConfig,
    NsFragmentConfig,
    NsNodeConfig,
    TriggerConfig,
    auto_fill_trigger_names,
)

__all__ = ["FragmentMember", "discover_fragment_methods", "fragment_members"]

log = logging.getLogger("lythonic.compose.namespace")


def discover_fragment_methods(target: Any) -> list[tuple[str, Any]]:
    """Public callables of ``target`` marked ``@nsnode`` or ``@dag_factory``, by name."""
    found = []
    for name in dir(target):
        if name.startswith("_"):
            continue
        try:
            attr = getattr(target, name)
        except Exception:  # a property that raises is not a node
            continue
        if callable(attr) and (
            getattr(attr, "_is_nsnode", False) or getattr(attr, "_is_dag_factory", False)
        ):
            found.append((name, attr))
    return found


def _resolve_target(config: NsFragmentConfig) -> Any:
    if config.gref is None:
        raise ValueError("Fragment config must have a gref")
    gref = GlobalRef(config.gref)
    if gref.is_module():
        if config.init:
            raise ValueError(
                f"Module fragment '{gref}' cannot have 'init' (modules are not instantiated)"
            )
        return gref.get_module()
    resolved = gref.get_instance()
    if isinstance(resolved, type):
        if not issubclass(resolved, NamespaceFragment):
            raise TypeError(f"Class '{gref}' must be a NamespaceFragment subclass")
        return resolved(**config.init)
    raise TypeError(
        "Fragment gref must resolve to a module or a NamespaceFragment subclass, "
        f"got {type(resolved).__name__}"
    )


def _describe(config: NsFragmentConfig) -> str:
    gref = config.gref
    if gref is None:
        return "<no gref>"
    return gref.module if gref.is_module() else str(gref)


@dataclass(frozen=True)
class FragmentMember:
    """One method a fragment contributes: under ``nsref``, with its config;
    a ``@dag_factory`` (``is_factory``) registers the DAG it returns."""

    name: str
    fn: Any
    nsref: str
    config: NsNodeConfig
    is_factory: bool


def fragment_members(entry: dict[str, Any]) -> list[FragmentMember]:
    """What the fragment ``entry`` (a ``type: fragment`` namespace entry) registers."""
    config = NsFragmentConfig.model_validate(entry)
    prefix = str(config.nsref) if config.nsref is not None else ""
    if not prefix.endswith(":"):
        raise ValueError(f"Fragment nsref must end with ':', got {prefix!r}")
    target = _resolve_target(config)
    methods = discover_fragment_methods(target)

    names = {name for name, _ in methods}
    members: list[FragmentMember] = []
    for unknown in sorted(set(config.configs) - names):
        log.warning(
            "Fragment '%s' configs entry '%s' does not match any discovered method",
            _describe(config),
            unknown,
            extra=event("fragment_config_unused", fragment=_describe(config), entry=unknown),
        )

    for name, fn in methods:
        settings = dict(config.configs.get(name, {}))
        needs_cache = getattr(fn, "_require_cache", False)
        if needs_cache and "min_ttl" not in settings:
            settings = {**config.defaults.get("cache", {}), **settings}
        is_factory = getattr(fn, "_is_dag_factory", False)
        nsref = f"{prefix}{name}__" if is_factory else f"{prefix}{name}"
        node_config: NsNodeConfig
        if "min_ttl" in settings and "max_ttl" in settings:
            node_config = NsCacheConfig(
                nsref=nsref, min_ttl=settings["min_ttl"], max_ttl=settings["max_ttl"]
            )
        elif needs_cache:
            raise ValueError(
                f"Fragment method '{name}' is decorated with @require_cache but no "
                f"min_ttl/max_ttl found in configs['{name}'] or defaults['cache']"
            )
        else:
            node_config = NsNodeConfig(nsref=nsref)
        tags = getattr(fn, "_nsnode_tags", None)
        if tags:
            node_config.tags = list(tags)
        if "triggers" in settings:
            node_config.triggers = [TriggerConfig.model_validate(t) for t in settings["triggers"]]
            auto_fill_trigger_names(node_config)

        members.append(FragmentMember(name, fn, nsref, node_config, is_factory))
    return members
