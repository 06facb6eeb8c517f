"""The position-keeping safe YAML loader."""

from __future__ import annotations

from datetime import date

import pytest

from lythonic.declarative import _yaml
from lythonic.declarative._yaml import load_yaml


def test_values_and_positions() -> None:
    """Values are plain Python data; every key and value keeps its 1-based line and column."""
    text = "a: 1\nb:\n  c: [x, 2.5, true, null, 2024-05-01]\n  'd': \"q\"\n"
    data, smap, diags = load_yaml(text, "f.yaml")
    assert diags == []
    assert data == {"a": 1, "b": {"c": ["x", 2.5, True, None, date(2024, 5, 1)], "d": "q"}}
    assert smap.key(("b", "c")) == (3, 3)
    assert smap.value(("b", "c")) == (3, 6)
    assert smap.value(("b", "c", 1)) == (3, 10)
    assert smap.key(("b", "d")) == (4, 3)
    assert smap.value(("b", "missing", 3)) == smap.value(("b",))


def test_offsets_inside_strings() -> None:
    """Characters of one-line plain and quoted strings map to exact columns; escapes fall back."""
    text = 'p: a >> b\nq: "a >> b"\nr: "a\\tb >> c"\n'
    _, smap, _ = load_yaml(text, "f.yaml")
    assert smap.at_offset(("p",), 5) == (1, 9)
    assert smap.at_offset(("q",), 5) == (2, 10)
    assert smap.at_offset(("r",), 5) == smap.value(("r",)) == (3, 4)


def test_duplicate_key_names_both_lines() -> None:
    """A key written twice is an error at the second, naming the line of the first."""
    _, _, diags = load_yaml("x:\n  a: 1\n  b: 2\n  a: 3\n", "f.yaml")
    assert [(d.line, d.column, d.code) for d in diags] == [(4, 3, "duplicate_key")]
    assert "first defined on line 2" in diags[0].message


@pytest.mark.parametrize(
    "text",
    [
        "a: !!python/object/apply:os.system ['true']\n",
        "a: !!python/name:os.system\n",
        "a: !custom 1\n",
        "!!python/object:os.path x: 1\n",
        "a: !!binary aGVsbG8=\n",
        "a: !!set {x, y}\n",
    ],
)
def test_tags_are_refused(text: str) -> None:
    """Any tag beyond plain data is an error, and nothing is constructed for it."""
    data, _, diags = load_yaml(text, "f.yaml")
    assert [d.code for d in diags] == ["yaml_tag"]
    assert "os" not in repr(data)


@pytest.mark.parametrize(
    ("key", "kind"),
    [("on", "bool"), ("yes", "bool"), ("1", "int"), ("~", "null"), ("1.5", "float")],
)
def test_keys_must_be_strings(key: str, kind: str) -> None:
    """An unquoted key YAML reads as a boolean, number or null is an error with the fix."""
    _, _, diags = load_yaml(f"{key}: 1\n", "f.yaml")
    assert len(diags) == 1 and f"as {kind}" in diags[0].message
    assert diags[0].hint == f'quote it: "{key}"'


def test_anchors_aliases_and_merge_keys() -> None:
    """Anchors, aliases and << merges work; keys written in the mapping win over merged ones."""
    text = "base: &b {retries: 2, timeout: 30s}\nx:\n  <<: *b\n  retries: 5\ny: *b\n"
    data, _, diags = load_yaml(text, "f.yaml")
    assert diags == []
    assert data["x"] == {"retries": 5, "timeout": "30s"}
    assert data["y"] == {"retries": 2, "timeout": "30s"}


def test_alias_expansion_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """A document whose aliases expand beyond the budget is refused ("billion laughs")."""
    monkeypatch.setattr(_yaml, "MAX_NODES", 1000)
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 6)]
    data, _, diags = load_yaml("\n".join(levels) + "\n", "f.yaml")
    assert data is None and [d.code for d in diags] == ["yaml_alias"]


@pytest.mark.parametrize(
    ("text", "line", "col", "words"),
    [
        ("a: [1, 2\nb: 3\n", 2, 2, "expected ',' or ']'"),
        ("a:\n\t- b\n", 2, 1, "cannot start any token"),
        ("a: 1\n---\nb: 2\n", 2, 1, "second document"),
        ("a: 'open\n", 2, 1, "unexpected end of stream"),
    ],
)
def test_syntax_errors_have_positions(text: str, line: int, col: int, words: str) -> None:
    """A YAML syntax error is one diagnostic at the place the parser stopped."""
    data, _, diags = load_yaml(text, "f.yaml")
    assert data is None and len(diags) == 1
    assert (diags[0].line, diags[0].column) == (line, col) and words in diags[0].message


def test_tab_indentation_gets_a_hint() -> None:
    """Tabs are explained: YAML indents with spaces."""
    _, _, diags = load_yaml("a:\n\tb: 1\n", "f.yaml")
    assert diags[0].hint == "indent with spaces; YAML does not allow tabs"


def test_empty_document() -> None:
    """An empty or comment-only file loads as None without a diagnostic (the caller decides)."""
    assert load_yaml("# nothing\n", "f.yaml")[::2] == (None, [])
