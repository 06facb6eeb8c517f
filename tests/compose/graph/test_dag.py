"""The Dag model: nodes, edges, composites, ordering and structure."""

from __future__ import annotations

from typing import Any

import pytest

from lythonic.compose.namespace import (
    CallNode,
    Dag,
    DagEdge,
    DagValidationError,
    MapNode,
    MapSwitchNode,
    Namespace,
    SwitchNode,
    dag_factory,
)
from tests.compose import nodes_sample as s


def a(x: int) -> int:
    return x


def b(x: int) -> int:
    return x


def c(x: int) -> int:
    return x


def single() -> Dag:
    dag = Dag()
    dag.node(a)
    return dag


@dag_factory
def sub_pipeline() -> Dag:
    dag = Dag()
    dag.node(a) >> dag.node(b)
    return dag


def test_node_labels_default_to_function_names() -> None:
    """A callable's label is its name; the same callable twice needs an explicit label."""
    dag = Dag()
    assert dag.node(a).label == "a"
    with pytest.raises(ValueError, match="Label 'a' already exists"):
        dag.node(a)
    assert dag.node(a, label="a2").ns_node is dag.nodes["a"].ns_node


def test_distinct_lambdas_and_closures_stay_distinct() -> None:
    """Two callables with one name never collapse into one node (upstream kept the first)."""

    def make(n: int) -> Any:
        def add(x: int) -> int:
            return x + n

        return add

    dag = Dag()
    p1 = dag.node(make(1), label="p1")
    p100 = dag.node(make(100), label="p100")
    first = dag.node(lambda: 1, label="one")
    second = dag.node(lambda: 2, label="two")
    assert p1.ns_node.method.o(1) == 2 and p100.ns_node.method.o(1) == 101
    assert first.ns_node.method.o() == 1 and second.ns_node.method.o() == 2


def test_namespace_node_is_used_as_is() -> None:
    """A NamespaceNode keeps its identity and its label defaults to the nsref leaf."""
    ns = Namespace()
    node = ns.register(s.fetch, nsref="market:get")
    dag = Dag()
    assert dag.node(node).label == "get" and dag.nodes["get"].ns_node is node
    assert "market:get" not in dag.namespace


def test_labels_reject_reserved_characters() -> None:
    """'/', '[' and ']' are reserved for child-run paths."""
    for bad in ["a/b", "x[0]", ""]:
        with pytest.raises(ValueError, match="label"):
            Dag().node(a, label=bad)


def test_rshift_chains_fans_out_and_fans_in() -> None:
    """a >> b >> c chains; a >> [b, c] fans out; [a, b] >> c fans in."""
    dag = Dag()
    na, nb, nc = dag.node(a), dag.node(b), dag.node(c)
    assert (na >> nb >> nc) is nc
    other = Dag()
    oa, ob, oc = other.node(a), other.node(b), other.node(c)
    assert oa >> [ob, oc] == [ob, oc]
    fan_in = Dag()
    fa, fb, fc = fan_in.node(a), fan_in.node(b), fan_in.node(c)
    assert ([fa, fb] >> fc) is fc
    assert [(e.upstream, e.downstream) for e in dag.edges] == [("a", "b"), ("b", "c")]
    assert [(e.upstream, e.downstream) for e in other.edges] == [("a", "b"), ("a", "c")]
    assert [(e.upstream, e.downstream) for e in fan_in.edges] == [("a", "c"), ("b", "c")]


def test_edges_to_named_parameters() -> None:
    """node.param('x') targets one parameter; unknown names get a suggestion."""
    dag = Dag()
    src, dst = dag.node(s.fetch), dag.node(s.summarize)
    assert (src >> dst.param("data")) is dst
    assert dag.edges == [DagEdge(upstream="fetch", downstream="summarize", param="data")]
    assert str(dag.edges[0]) == "fetch >> summarize.data"
    with pytest.raises(ValueError, match="did you mean 'data'"):
        src >> dag.node(s.summarize, label="s2").param("dta")


def test_duplicate_and_foreign_edges_are_refused() -> None:
    """The same edge twice, a self-loop, or nodes of another DAG are errors."""
    dag, other = Dag(), Dag()
    na, nb = dag.node(a), dag.node(b)
    na >> nb
    with pytest.raises(ValueError, match="already exists"):
        na >> nb
    with pytest.raises(ValueError, match="cycle"):
        na >> na
    with pytest.raises(ValueError, match="does not belong to this DAG"):
        na >> other.node(c)
    with pytest.raises(TypeError, match="connects DAG nodes"):
        na >> 5


def test_sources_sinks_and_topological_order() -> None:
    """Sources and sinks in insertion order; topological order breaks ties by label."""
    dag = Dag()
    nc, nb, na = dag.node(c), dag.node(b), dag.node(a)
    na >> nc
    nb >> nc
    assert [n.label for n in dag.sources()] == ["b", "a"]
    assert [n.label for n in dag.sinks()] == ["c"]
    assert [n.label for n in dag.topological_order()] == ["a", "b", "c"]


def test_topological_order_never_drops_nodes() -> None:
    """On a cycle it raises naming the cycle instead of silently dropping nodes."""
    dag = Dag()
    na, nb, nc = dag.node(a), dag.node(b), dag.node(c)
    na >> nb >> nc
    nc >> nb
    with pytest.raises(DagValidationError, match=r"DAG contains a cycle: b >> c >> b"):
        dag.topological_order()


def test_call_and_map_nodes() -> None:
    """A Dag or factory becomes a CallNode; map takes a Dag, a factory or a switch."""
    dag = Dag()
    call = dag.node(sub_pipeline)
    assert isinstance(call, CallNode) and call.label == "sub_pipeline"
    with pytest.raises(ValueError, match="label is required when passing a Dag"):
        dag.node(single())
    mapped = dag.map(single(), label="each", concurrency=4)
    assert isinstance(mapped, MapNode) and mapped.concurrency == 4
    with pytest.raises(ValueError, match="label is required for map"):
        dag.map(single())
    with pytest.raises(ValueError, match="at least 1"):
        dag.map(single(), label="zero", concurrency=0)


def test_sub_dags_need_one_source_and_one_sink() -> None:
    """Composite targets take one value in and give one value out."""
    two_sources = Dag()
    two_sources.node(a)
    two_sources.node(b)
    with pytest.raises(ValueError, match="exactly one source, found 2"):
        Dag().node(two_sources, label="x")
    with pytest.raises(ValueError, match="Branch 'bad': Sub-DAG must have exactly one source"):
        Dag().switch({"bad": two_sources}, label="sw")


def test_switch_branches() -> None:
    """Branches come from dicts, factories or callables; nameless Dags in lists are refused."""
    dag = Dag()
    sw = dag.switch([a, sub_pipeline], label="route")
    assert isinstance(sw, SwitchNode) and sorted(sw.branches) == ["a", "sub_pipeline"]
    with pytest.raises(ValueError, match="has no name"):
        dag.switch([single(), single()], label="nameless")
    with pytest.raises(ValueError, match="two branches named 'a'"):
        dag.switch([a, a], label="twice")
    with pytest.raises(ValueError, match="label is required for switch"):
        dag.switch({"x": a}, label="")


def test_map_over_switch_replaces_the_switch() -> None:
    """map(switch) removes the switch node and wraps it in a MapSwitchNode."""
    dag = Dag()
    sw = dag.switch({"x": a, "y": b}, label="route")
    ms = dag.map(sw)
    assert isinstance(ms, MapSwitchNode) and ms.label == "route"
    assert list(dag.nodes) == ["route"] and sorted(ms.branches) == ["x", "y"]


def test_copy_describe_and_hash() -> None:
    """A copy has equal structure and hash; any structural change changes the hash."""
    dag = Dag()
    dag.node(a, retries=2) >> dag.node(b, timeout=5)
    twin = dag.copy()
    assert twin is not dag and list(twin.nodes) == ["a", "b"]
    assert twin.nodes["a"].dag is twin and twin.nodes["a"].retries == 2
    assert twin.definition_hash() == dag.definition_hash()
    assert dag.describe()["nodes"]["a"] == {
        "kind": "node",
        "ref": "tests.compose.graph.test_dag:a",
        "retries": 2,
    }
    twin.node(c)
    assert twin.definition_hash() != dag.definition_hash()
    rebuilt = Dag()
    rebuilt.node(a, retries=2) >> rebuilt.node(b, timeout=5)
    assert rebuilt.definition_hash() == dag.definition_hash()


def test_node_options_are_checked() -> None:
    """Retries, backoff and timeouts must make sense."""
    with pytest.raises(ValueError, match="retries"):
        Dag().node(a, retries=-1)
    with pytest.raises(ValueError, match="timeout"):
        Dag().node(a, timeout=0)
    with pytest.raises(ValueError, match="retry_backoff"):
        Dag().node(a, retry_backoff=-1)


def test_kwargs_to_inputs() -> None:
    """Flat kwargs reach sources by parameter name, or wholesale under a source's label."""
    dag = Dag()
    dag.node(s.fetch)
    dag.node(a)
    assert dag.kwargs_to_inputs({"ticker": "T", "x": 1, "unused": 0}) == {
        "fetch": {"ticker": "T"},
        "a": {"x": 1},
    }
    assert dag.kwargs_to_inputs({"fetch": {"ticker": "Q", "limit": 1}}) == {
        "fetch": {"ticker": "Q", "limit": 1},
    }


def test_large_dag_builds_and_validates() -> None:
    """A 10,000-node chain builds, validates and orders every node."""
    dag = Dag()
    prev = dag.node(a, label="n0")
    for i in range(1, 10_000):
        cur = dag.node(a, label=f"n{i}")
        prev >> cur
        prev = cur
    dag.validate()
    order = dag.topological_order()
    assert len(order) == 10_000 and order[0].label == "n0" and order[-1].label == "n9999"


def test_definition_hash_ignores_unrelated_edge_order() -> None:
    """Reordering edges into different nodes keeps the hash; reordering a fan-in does not."""
    first, second = Dag(), Dag()
    a1, b1, c1 = first.node(a), first.node(b), first.node(c)
    a1 >> b1
    a1 >> c1
    a2, b2, c2 = second.node(a), second.node(b), second.node(c)
    a2 >> c2
    a2 >> b2
    assert first.definition_hash() == second.definition_hash()
    fan1, fan2 = Dag(), Dag()
    x1, y1, z1 = fan1.node(a), fan1.node(b), fan1.node(c)
    [x1, y1] >> z1
    x2, y2, z2 = fan2.node(a), fan2.node(b), fan2.node(c)
    [y2, x2] >> z2
    assert fan1.definition_hash() != fan2.definition_hash()


def test_composites_take_retry_and_timeout_options() -> None:
    """map() and switch() accept the same options as node(); setting them later checks them."""
    dag = Dag()
    mapped = dag.map(single(), label="m", retries=1, retry_backoff=0.1, timeout=3)
    sw = dag.switch({"x": a}, label="sw", timeout=2)
    assert (mapped.retries, mapped.retry_backoff, mapped.timeout, sw.timeout) == (1, 0.1, 3, 2)
    with pytest.raises(ValueError, match="timeout"):
        sw.timeout = -1
    with pytest.raises(ValueError, match="concurrency"):
        mapped.concurrency = 0
