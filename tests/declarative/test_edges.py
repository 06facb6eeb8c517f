"""The edge language: chains, fan-out, fan-in and named parameters."""

from __future__ import annotations

import pytest

from lythonic.declarative import EdgeSyntaxError, parse_edges


@pytest.mark.parametrize(
    ("text", "edges"),
    [
        ("a >> b", ["a >> b"]),
        ("a >> b >> c", ["a >> b", "b >> c"]),
        ("a>>b", ["a >> b"]),
        ("a >> [b, c]", ["a >> b", "a >> c"]),
        ("[a, b] >> c", ["a >> c", "b >> c"]),
        ("[a, b] >> [c, d]", ["a >> c", "a >> d", "b >> c", "b >> d"]),
        ("a >> b.items", ["a >> b.items"]),
        ("a >> b.x >> c", ["a >> b.x", "b >> c"]),
        ("a >> [b.x, c.y,]", ["a >> b.x", "a >> c.y"]),
        ("[a, b] >> c.items", ["a >> c.items", "b >> c.items"]),
    ],
)
def test_valid_edges(text: str, edges: list[str]) -> None:
    """Each >> connects every step on its left with every step on its right."""
    assert [str(e) for e in parse_edges(text)] == edges


def test_offsets_point_at_names() -> None:
    """Every endpoint keeps the offset of its name (and of its parameter) in the text."""
    up, down = (
        parse_edges("read  >> report.source")[0].upstream,
        parse_edges("read  >> report.source")[0].downstream,
    )
    assert (up.name, up.offset) == ("read", 0)
    assert (down.name, down.offset, down.param, down.param_offset) == ("report", 9, "source", 16)


@pytest.mark.parametrize(
    ("text", "offset", "words"),
    [
        ("", 0, "cannot be empty"),
        ("a", 1, "connects steps with '>>'"),
        ("a -> b", 2, "edges use '>>'"),
        ("a > b", 2, "edges use '>>'"),
        ("a >> ", 4, "expected a step name, found the end"),
        ("a >> >> b", 5, "expected a step name, found '>>'"),
        ("a.x >> b", 2, "cannot start with one"),
        ("a >> [b, c", 10, "expected ',' or ']'"),
        ("a >> 2b", 5, "is not a step name"),
        ("a >> b.", 7, "expected a parameter name"),
        ("a b", 2, "expected '>>', found 'b'"),
        ("a >> b; c", 6, "unexpected character ';'"),
    ],
)
def test_syntax_errors(text: str, offset: int, words: str) -> None:
    """A malformed edge raises EdgeSyntaxError at the offset where it goes wrong."""
    with pytest.raises(EdgeSyntaxError) as info:
        parse_edges(text)
    assert info.value.offset == offset and words in info.value.message
