"""Node tags and the tag query language (``~`` not, ``&`` and, ``|`` or)."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["match_tag_query", "parse_tag_query", "validate_tags"]

_OPERATORS = frozenset("&|~")


def validate_tags(tags: Iterable[str] | None) -> frozenset[str]:
    """Normalise ``tags`` to a frozenset, refusing a bare string and bad characters."""
    if tags is None:
        return frozenset()
    if isinstance(tags, str):
        raise TypeError("tags must be a collection of strings, not a str")
    result = frozenset(tags)
    for tag in result:
        if not isinstance(tag, str):
            raise TypeError(f"tag {tag!r} is not a string")
        if _OPERATORS.intersection(tag):
            raise ValueError(f"tag {tag!r} contains invalid characters (&, | or ~)")
        if any(c.isspace() for c in tag):
            raise ValueError(f"tag {tag!r} contains whitespace")
    return result


def parse_tag_query(expr: str) -> list[str]:
    """Split a query into tag names and operators; operators need no spaces around them."""
    tokens: list[str] = []
    for word in expr.split():
        start = 0
        for i, ch in enumerate(word):
            if ch in _OPERATORS:
                if i > start:
                    tokens.append(word[start:i])
                tokens.append(ch)
                start = i + 1
        if start < len(word):
            tokens.append(word[start:])
    if not tokens:
        raise ValueError("tag query is empty")
    _check_grammar(tokens)
    return tokens


def _check_grammar(tokens: list[str]) -> None:
    expect_operand = True
    for pos, tok in enumerate(tokens):
        if expect_operand:
            if tok in ("&", "|"):
                raise ValueError(f"tag query: expected a tag at position {pos}, got {tok!r}")
            if tok != "~":
                expect_operand = False
        elif tok in ("&", "|"):
            expect_operand = True
        else:
            raise ValueError(f"tag query: unexpected token {tok!r} at position {pos}")
    if expect_operand:
        raise ValueError("tag query ends with an operator")


def match_tag_query(tokens: list[str], tags: frozenset[str]) -> bool:
    """Evaluate parsed ``tokens`` against ``tags``: ``~`` binds tightest, ``|`` loosest."""
    any_term = False
    all_factors = True
    negate = False
    for tok in tokens:
        if tok == "~":
            negate = not negate
        elif tok == "&":
            continue
        elif tok == "|":
            any_term = any_term or all_factors
            all_factors = True
        else:
            all_factors = all_factors and ((tok in tags) != negate)
            negate = False
    return any_term or all_factors
