"""Namespace: registration, lookup, tags, serialization and fragments."""

from __future__ import annotations

import logging

import pytest

from lythonic.compose.namespace import (
    _CONFIG_TYPES,
    Dag,
    DagContext,
    Namespace,
    NamespaceNode,
    NsCacheConfig,
    NsFragmentConfig,
    NsNodeConfig,
    TriggerConfig,
    dag_factory,
)
from tests.compose import nodes_sample as s

MOD = "tests.compose.nodes_sample"


def test_register_derives_nsref_and_calls_through() -> None:
    """A callable registers under module:name and calling the node calls it."""
    ns = Namespace()
    node = ns.register(s.fetch)
    assert node.nsref == f"{MOD}:fetch" and ns.get(f"{MOD}:fetch") is node
    assert node(ticker="X") == {"ticker": "X", "limit": 10}
    assert node.method.doc == "Fetch some data."
    assert f"{MOD}:fetch" in ns and len(ns) == 1


def test_register_string_reference_honours_markers() -> None:
    """A 'module:name' string resolves first, so @dag_factory and @require_cache apply."""
    ns = Namespace()
    node = ns.register(f"{MOD}:pipeline")
    assert node.dag is not None and node.nsref == f"{MOD}:pipeline"
    with pytest.raises(ValueError, match="@require_cache"):
        ns.register(f"{MOD}:expensive")


def test_duplicate_and_missing_keys() -> None:
    """Registering a key twice fails; a missing key raises KeyError naming it."""
    ns = Namespace()
    ns.register(s.fetch, nsref="t:fetch")
    with pytest.raises(ValueError, match="'t:fetch' already exists in namespace"):
        ns.register(s.summarize, nsref="t:fetch")
    with pytest.raises(KeyError, match="'t:nope' not found in namespace"):
        ns.get("t:nope")


def test_decorate_wraps_invocation_only() -> None:
    """`decorate` changes what runs; metadata still comes from the original."""
    ns = Namespace()
    node = ns.register(s.fetch, decorate=lambda f: lambda **kw: ("wrapped", f(**kw)))
    assert node(ticker="A") == ("wrapped", {"ticker": "A", "limit": 10})
    assert [a.name for a in node.method.args] == ["ticker", "limit"]


def test_explicit_config_keeps_tags_argument() -> None:
    """Tags passed next to an explicit config are merged, not dropped (upstream dropped them)."""
    ns = Namespace()
    node = ns.register(s.fetch, tags=["b"], config=NsNodeConfig(gref=f"{MOD}:fetch", tags=["a"]))
    assert node.tags == frozenset({"a", "b"})


def test_nsref_argument_and_config_must_agree() -> None:
    """A config nsref set explicitly and a different nsref argument are a contradiction."""
    ns = Namespace()
    node = ns.register(s.fetch, nsref="x:f", config=NsNodeConfig(gref=f"{MOD}:fetch"))
    assert node.nsref == "x:f" and node.config.nsref == "x:f"
    with pytest.raises(ValueError, match="contradicts"):
        ns.register(s.fetch, nsref="y:f", config=NsNodeConfig(nsref="z:f"))


def test_dag_factory_registration() -> None:
    """A factory registers its DAG under module:name__ and the node runs it."""
    ns = Namespace()
    node = ns.register(s.pipeline)
    assert node.nsref == f"{MOD}:pipeline__" and isinstance(node.dag, Dag)
    assert node.dag.parent_namespace is ns
    with pytest.raises(TypeError, match="must return a Dag, got str"):
        ns.register(dag_factory(lambda: "oops"), nsref="t:bad")


async def test_registered_dag_is_an_async_callable() -> None:
    """Calling a registered DAG maps kwargs to its sources and returns a DagRunResult."""
    ns = Namespace()
    node = ns.register(s.pipeline)
    result = await node(ticker="AAPL")
    assert result.status == "completed" and result.outputs == {"summarize": "AAPL:10"}
    result = await node(fetch={"ticker": "MSFT", "limit": 3})
    assert result.outputs == {"summarize": "MSFT:3"}


def test_register_dag_rules() -> None:
    """A DAG needs an nsref, registers once per namespace, and a second namespace gets a copy."""
    dag = s.pipeline()
    ns1, ns2 = Namespace(), Namespace()
    with pytest.raises(ValueError, match="nsref is required"):
        ns1.register(dag)
    ns1.register(dag, nsref="p:one")
    with pytest.raises(ValueError, match="already registered with this namespace"):
        ns1.register(dag, nsref="p:two")
    other = ns2.register(dag, nsref="p:one")
    assert dag.parent_namespace is ns1 and other.dag is not dag
    assert other.dag is not None and other.dag.parent_namespace is ns2
    assert list(other.dag.nodes) == list(dag.nodes)


def test_get_as_dag_wraps_plain_callables() -> None:
    """A plain node becomes a one-node DAG bound to the namespace; a DAG node returns its DAG."""
    ns = Namespace()
    ns.register(s.fetch, nsref="t:fetch")
    dag = ns.get_as_dag("t:fetch")
    assert list(dag.nodes) == ["fetch"] and dag.parent_namespace is ns
    node = ns.register(s.pipeline)
    assert ns.get_as_dag(node.nsref) is node.dag


def test_dag_context_detection() -> None:
    """A first parameter annotated DagContext (or a subclass) is detected, once."""

    ns = Namespace()
    assert ns.register(s.scaled).dag_context_type() is DagContext
    assert ns.register(s.tenant_scaled).dag_context_type() is s.TenantContext
    assert not ns.register(s.fetch).expects_dag_context()


def test_tag_validation() -> None:
    """Tags must be a collection of plain words."""
    m = Namespace().register(s.fetch).method
    with pytest.raises(TypeError, match="not a str"):
        NamespaceNode(m, nsref="t:a", tags="single")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="invalid characters"):
        NamespaceNode(m, nsref="t:a", tags=["a&b"])
    with pytest.raises(ValueError, match="whitespace"):
        NamespaceNode(m, nsref="t:a", tags=["a b"])


def test_tag_queries() -> None:
    """~ binds tightest, | loosest; untagged nodes match negations."""
    ns = Namespace()
    ns.register(s.fetch, nsref="t:a", tags=["x", "y"])
    ns.register(s.fetch, nsref="t:b", tags=["x"])
    ns.register(s.fetch, nsref="t:c", tags=["z"])
    ns.register(s.fetch, nsref="t:d")

    def q(expr: str) -> list[str]:
        return sorted(str(n.nsref) for n in ns.query(expr))

    assert q("x") == ["t:a", "t:b"]
    assert q("x&~y") == ["t:b"]
    assert q("~x") == ["t:c", "t:d"]
    assert q("y | z") == ["t:a", "t:c"]
    assert q("x & y | z") == ["t:a", "t:c"]
    assert q("~~x") == ["t:a", "t:b"]
    for bad in ["", "   ", "x &", "& x", "x y", "x | | y"]:
        with pytest.raises(ValueError, match="tag query"):
            ns.query(bad)


def test_mount_state_properties() -> None:
    """requires_mount / has_mountable reflect caches, triggers and markers."""
    ns = Namespace()
    ns.register(s.fetch)
    assert not ns.requires_mount and not ns.has_mountable and not ns.is_mounted
    ns.register(s.likes_mount)
    assert ns.has_mountable and not ns.requires_mount
    ns.register(s.needs_mount)
    assert ns.requires_mount
    ns2 = Namespace()
    ns2.register(s.fetch, config=NsNodeConfig(gref=f"{MOD}:fetch", triggers=["0 * * * *"]))
    assert ns2.requires_mount


def test_trigger_config_shorthand_and_lookup() -> None:
    """A bare cron string is a poll trigger; names are auto-filled by from_dict."""
    assert TriggerConfig.model_validate("*/30 * * * * *").model_dump(exclude_none=True) == {
        "type": "poll",
        "schedule": "*/30 * * * * *",
    }
    ns = Namespace.from_dict(
        [
            {"gref": f"{MOD}:fetch", "triggers": ["0 * * * *"]},
            {
                "gref": f"{MOD}:summarize",
                "nsref": "t:d1",
                "triggers": [{"name": "named", "schedule": "0 0 * * *"}, "5 * * * *"],
            },
        ]
    )
    names = [t.name for _, t in ns.triggers()]
    assert names == ["fetch_poll", "named", "d1_poll_1"]
    node, trigger = ns.get_trigger("named")
    assert node.nsref == "t:d1" and trigger.schedule == "0 0 * * *"
    with pytest.raises(KeyError, match="Trigger 'nope' not found"):
        ns.get_trigger("nope")


def test_node_config_rules() -> None:
    """nsref defaults to the gref; one of them is required; cache TTLs must be ordered."""
    assert NsNodeConfig(gref=f"{MOD}:fetch").nsref == f"{MOD}:fetch"
    with pytest.raises(ValueError, match="Either nsref or gref must be provided"):
        NsNodeConfig()
    with pytest.raises(ValueError, match="min_ttl <= max_ttl"):
        NsCacheConfig(nsref="t:x", min_ttl=2, max_ttl=1)
    assert {
        "auto": NsNodeConfig,
        "cache": NsCacheConfig,
        "fragment": NsFragmentConfig,
    } == _CONFIG_TYPES


def test_to_dict_from_dict_round_trip() -> None:
    """Namespace entries survive to_dict -> from_dict, cache configs included."""
    ns = Namespace.from_dict(
        [
            {"gref": f"{MOD}:fetch", "tags": ["b", "a"]},
            {
                "type": "cache",
                "nsref": "m:cached",
                "gref": f"{MOD}:expensive",
                "min_ttl": 0.5,
                "max_ttl": 2,
            },
            {"nsref": "m:placeholder"},
        ]
    )
    dumped = ns.to_dict()
    assert dumped[0] == {
        "type": "auto",
        "nsref": f"{MOD}:fetch",
        "gref": f"{MOD}:fetch",
        "tags": ["b", "a"],
        "triggers": [],
    }
    assert dumped[1]["type"] == "cache" and dumped[1]["min_ttl"] == 0.5
    again = Namespace.from_dict(dumped)
    assert again.to_dict() == dumped
    assert isinstance(again.get("m:cached").config, NsCacheConfig)
    assert again.get("m:placeholder")() is None


def test_class_fragment_registration() -> None:
    """Marked methods register under the prefix with tags, cache configs, triggers and factories."""
    ns = Namespace.from_dict(
        [
            {
                "type": "fragment",
                "gref": f"{MOD}:Market",
                "nsref": "mkt:",
                "init": {"currency": "EUR"},
                "configs": {"price": {"triggers": ["0 * * * *"]}},
                "defaults": {"cache": {"min_ttl": 1, "max_ttl": 5}},
            }
        ]
    )
    assert sorted(str(n.nsref) for n in ns._all_leaves()) == [
        "mkt:history",
        "mkt:price",
        "mkt:report__",
    ]
    assert ns.get("mkt:price")(ticker="X") == "X in EUR"
    assert ns.get("mkt:price").tags == frozenset({"prices"})
    history = ns.get("mkt:history").config
    assert isinstance(history, NsCacheConfig) and (history.min_ttl, history.max_ttl) == (1, 5)
    assert ns.get("mkt:report__").dag is not None
    assert [t.name for _, t in ns.triggers()] == ["price_poll"]


def test_fragment_errors() -> None:
    """Bad fragment entries fail with messages that say what is wrong."""
    with pytest.raises(ValueError, match="must end with ':'"):
        Namespace.from_dict([{"type": "fragment", "gref": f"{MOD}:Market", "nsref": "mkt"}])
    with pytest.raises(TypeError, match="NamespaceFragment subclass"):
        Namespace.from_dict([{"type": "fragment", "gref": f"{MOD}:NotAFragment", "nsref": "x:"}])
    with pytest.raises(ValueError, match=r"Module.*init"):
        Namespace.from_dict([{"type": "fragment", "gref": MOD, "nsref": "x:", "init": {"a": 1}}])
    with pytest.raises(ValueError, match="history"):
        Namespace.from_dict([{"type": "fragment", "gref": f"{MOD}:Market", "nsref": "x:"}])


def test_module_fragment_and_unknown_config_warning(caplog: pytest.LogCaptureFixture) -> None:
    """A module fragment registers its marked functions; a configs key matching nothing warns."""
    with caplog.at_level(logging.WARNING):
        ns = Namespace.from_dict(
            [
                {
                    "type": "fragment",
                    "gref": MOD,
                    "nsref": "mod:",
                    "configs": {"nonexistent_method": {}},
                }
            ]
        )
    assert ns.get("mod:module_level_node")(x=1) == 2
    assert "mod:pipeline__" in ns
    assert any("nonexistent_method" in r.getMessage() for r in caplog.records)
