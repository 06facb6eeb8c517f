"""Exceptions a user of ``lythonic.state`` can cause.

All derive from :class:`StateError`, a ``ValueError``. The ones that replace
upstream ``assert`` failures also derive from ``AssertionError``, so code
written against upstream (``except AssertionError``) keeps catching them.
"""

from __future__ import annotations

__all__ = [
    "AltKeyError",
    "FilterError",
    "ModelDefinitionError",
    "SchemaMismatchError",
    "StateError",
    "UserScopeError",
]


class StateError(ValueError):
    """Base class of the errors raised by ``lythonic.state``."""


class ModelDefinitionError(StateError, AssertionError):
    """A DbModel declaration cannot be mapped to a table (annotation, markers, keys)."""


class FilterError(StateError, AssertionError):
    """A filter, ``order_by``, ``limit`` or ``offset`` names an unknown field or is malformed."""


class AltKeyError(StateError, AssertionError):
    """An alternative key is missing, incomplete, or cannot be resolved."""


class UserScopeError(StateError, AssertionError):
    """A user-owned row was reached without a ``UserContext`` or outside its user."""


class SchemaMismatchError(StateError):
    """An existing table differs from its model in a way that cannot be migrated safely."""
