"""Diagnostics: one line each, whatever text they were built from."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from lythonic.declarative._diagnostics import Diagnostic, one_line


class _Ttl(BaseModel):
    min_ttl: float
    max_ttl: float


def test_a_pydantic_error_becomes_one_line_per_field() -> None:
    """A ValidationError reads `field: message; field: message`, not pydantic's multi-line dump."""
    with pytest.raises(ValidationError) as info:
        _Ttl.model_validate({"min_ttl": "x"})
    text = one_line(info.value)
    assert "\n" not in text
    assert (
        text == "min_ttl: Input should be a valid number, unable to parse string as a number; "
        "max_ttl: Field required"
    )


def test_a_diagnostic_built_from_multi_line_text_prints_as_one_line() -> None:
    """A message or hint holding newlines is folded, so `file:line:col: message` stays one line."""
    diag = Diagnostic("lyth.yaml", 3, 5, "entry 1: 2 errors\n  first\n  second", hint="a\nb")
    assert str(diag) == "lyth.yaml:3:5: entry 1: 2 errors first second (a b)"
