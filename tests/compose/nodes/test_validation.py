"""Dag.validate / Dag.check: every problem, named, in one pass."""

from __future__ import annotations

from typing import Any

import pytest

from lythonic.compose.namespace import Dag, DagIssue, DagValidationError


def numbers() -> list[int]:
    return [1, 2]


def total(values: list[int]) -> int:
    return sum(values)


def one() -> int:
    return 1


def two() -> int:
    return 2


def add(v: int) -> int:
    return v


def text() -> str:
    return "t"


def needs_dict(data: dict[str, int], limit: int = 10) -> str:
    return str(data)


def needs_two(x: int, name: str) -> str:
    return f"{name}{x}"


def untyped():  # type: ignore[no-untyped-def]
    return 1


def side_effect() -> None:
    """Returns nothing: an edge from it only orders nodes."""


def takes_any(value: Any) -> Any:
    return value


def codes(issues: list[DagIssue]) -> list[str]:
    return [i.code for i in issues]


def test_valid_dag_has_no_issues() -> None:
    """A well-typed chain validates silently."""
    dag = Dag()
    dag.node(numbers) >> dag.node(total) >> dag.node(add)
    assert dag.check() == []
    dag.validate()


def test_type_mismatch_names_both_signatures() -> None:
    """An upstream value no parameter accepts is an error showing both signatures."""
    dag = Dag()
    dag.node(text) >> dag.node(needs_dict)
    issues = [i for i in dag.check() if i.code == "type_mismatch"]
    assert len(issues) == 1
    msg = issues[0].message
    assert "edge text >> needs_dict" in msg and "'text' returns str" in msg
    assert (
        "text() -> str" in msg
        and "needs_dict(data: dict[str, int], limit: int = ...) -> str" in msg
    )
    assert issues[0].edge == ("text", "needs_dict")
    with pytest.raises(DagValidationError, match="returns str"):
        dag.validate()


def test_required_parameter_nothing_feeds() -> None:
    """A required parameter of a non-source node that no upstream can feed is reported."""
    dag = Dag()
    dag.node(one) >> dag.node(needs_two)
    issues = dag.check()
    unfed = [i for i in issues if i.code == "unfed_param"]
    assert [i.param for i in unfed] == ["name"]
    assert "give 'name' a default, or supply it as an input" in unfed[0].message
    assert dag.check(inputs={"needs_two": ["name"]}) == []


def test_ambiguous_scalar_is_an_error_resolved_by_label() -> None:
    """Two int upstreams into one int parameter: an error, unless a label names the parameter."""
    dag = Dag()
    dag.node(one) >> dag.node(add)
    dag.nodes["one"].dag.node(two) >> dag.nodes["add"]
    issue = next(i for i in dag.check() if i.code == "ambiguous_input")
    assert "'one' or 'two'" in issue.message and "add.param('v')" in issue.message

    named = Dag()
    named.node(one, label="v") >> named.node(add)
    named.node(two) >> named.nodes["add"]
    issues = named.check()
    assert [(i.code, i.severity) for i in issues] == [("unused_edge", "warning")]
    assert "'v' takes v" in issues[0].message
    named.validate()  # warnings do not fail validation


def test_fan_in_collects_into_a_list_parameter() -> None:
    """Several X upstreams into list[X] are a fan-in, not an ambiguity."""
    dag = Dag()
    [dag.node(one), dag.node(two)] >> dag.node(total)
    assert dag.check() == []


def test_explicit_edge_resolves_and_is_type_checked() -> None:
    """a >> b.param('x') binds x; a wrong type on it is reported."""
    dag = Dag()
    n_one, n_two, n_add = dag.node(one), dag.node(two), dag.node(add)
    n_one >> n_add.param("v")
    n_two >> dag.node(side_effect)
    assert dag.check() == []
    bad = Dag()
    bad.node(text) >> bad.node(add).param("v")
    issue = bad.check()[0]
    assert issue.code == "type_mismatch" and "'v' expects int" in issue.message


def test_none_returning_upstream_only_orders() -> None:
    """An upstream declared -> None feeds nothing and is not a mismatch."""
    dag = Dag()
    dag.node(side_effect) >> dag.node(one)
    assert dag.check() == []


def test_unannotated_upstreams_feed_required_parameters_only() -> None:
    """Without annotations we cannot accuse: unknown types feed required parameters only."""
    dag = Dag()
    dag.node(untyped) >> dag.node(add)
    assert dag.check() == []
    loose = Dag()
    loose.node(untyped) >> loose.node(needs_dict)  # data gets it, limit keeps its default
    assert loose.check() == []
    anyone = Dag()
    anyone.node(text) >> anyone.node(takes_any)
    assert anyone.check() == []
    mixed = Dag()
    mixed.node(untyped) >> mixed.node(needs_dict)
    mixed.node(text) >> mixed.nodes["needs_dict"]
    assert [(i.code, i.edge) for i in mixed.check()] == [("type_mismatch", ("text", "needs_dict"))]


def test_all_problems_reported_in_one_pass() -> None:
    """validate() raises once, listing every error."""
    dag = Dag()
    dag.node(text) >> dag.node(needs_dict)
    dag.node(one) >> dag.node(needs_two)
    with pytest.raises(DagValidationError) as info:
        dag.validate()
    assert len(info.value.issues) >= 2
    assert str(info.value).startswith(f"{len(info.value.issues)} problems in DAG:")


def test_cycle_is_named_with_other_issues() -> None:
    """Cycles are named; other problems are still reported."""
    dag = Dag()
    na, nb = dag.node(add, label="first"), dag.node(add, label="second")
    na >> nb
    nb >> na
    issues = dag.check()
    assert issues[0].code == "cycle" and issues[0].message == (
        "DAG contains a cycle: first >> second >> first"
    )


def test_composite_upstream_count_and_input_type() -> None:
    """A map needs exactly one upstream, and a list or dict from it."""
    sub = Dag()
    sub.node(add)
    lonely = Dag()
    lonely.map(sub, label="m")
    assert codes(lonely.check()) == ["composite_upstreams"]
    wrong = Dag()
    wrong.node(one) >> wrong.map(sub, label="m")
    issue = wrong.check()[0]
    assert (
        issue.code == "bad_composite_input" and "needs a list or dict from 'one'" in issue.message
    )
    good = Dag()
    good.node(numbers) >> good.map(sub, label="m") >> good.node(total)
    assert good.check() == []


def test_sub_dag_issues_carry_their_path() -> None:
    """Problems inside a sub-DAG say which composite leads to them."""
    sub = Dag()
    sub.node(add) >> sub.node(needs_two)
    parent = Dag()
    parent.node(numbers) >> parent.map(sub, label="each")
    issue = next(i for i in parent.check() if i.code == "unfed_param")
    assert issue.dag_path == ("each",) and str(issue).startswith("in sub-DAG of 'each': ")


def test_context_manager_validates_on_exit() -> None:
    """`with Dag() as dag:` validates when the block ends without an exception."""
    with pytest.raises(DagValidationError), Dag() as dag:
        dag.node(text) >> dag.node(needs_dict)

    def build_then_fail() -> None:
        with Dag() as dag:
            dag.node(text) >> dag.node(needs_dict)
            raise KeyError("the block's own error wins")

    with pytest.raises(KeyError):
        build_then_fail()


def strs() -> list[str]:
    return ["a"]


def square(x: int) -> int:
    return x * x


def merge(x: list, y: list) -> list:  # type: ignore[type-arg]
    return x + y


def needs_mapping(d: dict[str, int]) -> int:
    return len(d)


def test_types_are_checked_across_composite_boundaries() -> None:
    """A map's elements must fit its sub-DAG's source; its list output must fit downstream."""
    sub = Dag()
    sub.node(square)
    dag = Dag()
    dag.node(strs) >> dag.map(sub, label="m") >> dag.node(needs_mapping)
    issues = {i.code: i.message for i in dag.check()}
    assert issues["bad_composite_input"] == (
        "map node 'm' passes each element of 'strs' (str) to 'square' of its sub-DAG, "
        "whose parameter 'x: int' does not accept it"
    )
    assert "'m' gives list[int] to 'd', which expects dict[str, int]" in issues["type_mismatch"]
    call = Dag()
    call.node(text) >> call.node(sub, label="c")
    assert "passes the value of 'text' (str)" in call.check()[0].message
    fine = Dag()
    fine.node(numbers) >> fine.map(sub, label="m") >> fine.node(total)
    assert fine.check() == []


def test_a_shared_sub_dag_is_checked_once() -> None:
    """A sub-DAG used by many composites, nested deeply, is checked and reported once."""
    leaf = Dag()
    leaf.node(add) >> leaf.node(needs_two)  # one problem inside
    level = leaf
    for _ in range(30):  # each level uses the one below twice: 2**30 paths
        parent = Dag()
        parent.node(numbers) >> [parent.map(level, label="a"), parent.map(level, label="b")]
        [parent.nodes["a"], parent.nodes["b"]] >> parent.node(merge)
        level = parent
    issues = level.check()
    assert [i.code for i in issues] == ["unfed_param"]
    assert issues[0].dag_path[-1] == "a" and len(issues[0].dag_path) == 30
