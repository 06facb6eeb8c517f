"""The public names of lythonic.state and lythonic.types match the API contract."""

from __future__ import annotations

import importlib

import pytest

import lythonic.state

API = {
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
        "logger",
    ],
    "lythonic.state.alt_key": ["AltKeyField", "JoinStep", "AltKey"],
    "lythonic.state.user": ["UserInfo", "User", "UserContext", "UserOwned"],
    "lythonic.types": [
        "KnownType",
        "KnownTypeArgs",
        "KnownTypesMap",
        "KNOWN_TYPES",
        "JsonBase",
        "DbTypeInfo",
        "MapPair",
    ],
}


@pytest.mark.parametrize("module", sorted(API))
def test_contract_names_are_exported(module: str) -> None:
    """Every name of the API contract is importable and listed in __all__ (logger aside)."""
    mod = importlib.import_module(module)
    for name in API[module]:
        assert hasattr(mod, name), f"{module}.{name}"
    assert set(API[module]) - {"logger"} <= set(mod.__all__)


def test_state_all_has_no_extras() -> None:
    """lythonic.state exports the contract plus its own exception classes, nothing else."""
    errors = {
        "StateError",
        "ModelDefinitionError",
        "FilterError",
        "AltKeyError",
        "UserScopeError",
        "SchemaMismatchError",
    }
    assert set(lythonic.state.__all__) == set(API["lythonic.state"]) | errors
    assert lythonic.state.logger.name == "lythonic.state"
