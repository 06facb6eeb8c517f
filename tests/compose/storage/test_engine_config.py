"""Engine config (upstream's lyth.yaml model): paths, log levels, logging setup."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from pydantic import ValidationError

from lythonic.compose.engine import EngineConfig, LogConfig, StorageConfig, resolve_file
from lythonic.compose.log_context import node_run_context


@pytest.fixture
def root_logger():
    """The root logger, with its handlers and level restored after the test."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield root
    for h in root.handlers:
        if h not in handlers:
            root.removeHandler(h)
            h.close()
    root.setLevel(level)


def test_resolve_file_rules(tmp_path: Path):
    """Absolute paths stay, relative ones go under root, None takes the default name."""
    assert resolve_file(tmp_path, None, "x.db") == tmp_path / "x.db"
    assert resolve_file(tmp_path, Path("sub/y.db"), "x.db") == tmp_path / "sub/y.db"
    assert resolve_file(tmp_path, Path("/abs/z.db"), "x.db") == Path("/abs/z.db")


def test_resolve_paths_fills_every_default(tmp_path: Path):
    """resolve_paths puts every database and the log file under the data directory."""
    storage = StorageConfig(dags_db=Path("runs.db"))
    storage.resolve_paths(tmp_path)
    assert storage.dags_db == tmp_path / "runs.db"
    assert storage.cache_db == tmp_path / "cache.db"
    assert storage.triggers_db == tmp_path / "triggers.db"
    assert storage.log_file == tmp_path / "lyth.log"


def test_engine_config_reads_upstream_yaml_and_ignores_unknown_keys():
    """An upstream lyth.yaml shape validates; unknown top-level keys are ignored."""
    config = EngineConfig.model_validate(
        {
            "storage": {"dags_db": "d.db", "log_level": "debug", "loggers": {"x": "warning"}},
            "namespace": [{"gref": "json:dumps"}],
            "something_else": 1,
        }
    )
    assert config.storage.dags_db == Path("d.db") and config.storage.log_level == "DEBUG"
    assert config.namespace == [{"gref": "json:dumps"}]
    assert EngineConfig().storage.log_level == "INFO"


def test_unknown_log_level_is_a_validation_error():
    """A misspelt level is refused instead of silently logging everything."""
    with pytest.raises(ValidationError, match="unknown log level 'INF0'"):
        LogConfig(log_level="INF0")
    with pytest.raises(ValidationError, match="unknown log level"):
        LogConfig(loggers={"a": "loud"})


def test_setup_logging_twice_adds_one_handler(tmp_path: Path, root_logger: logging.Logger):
    """Calling setup_logging again reuses its file handler; JSON records carry run and node."""
    config = LogConfig(log_file=tmp_path / "logs" / "lyth.log", loggers={"noisy": "ERROR"})
    before = len(root_logger.handlers)
    config.setup_logging()
    config.setup_logging()
    assert len(root_logger.handlers) == before + 1
    assert root_logger.level == logging.INFO
    assert logging.getLogger("noisy").level == logging.ERROR
    with node_run_context("run-1", "fetch"):
        logging.getLogger("myapp").info("hello")
    logging.getLogger("myapp").debug("not at INFO")
    records = [
        json.loads(line) for line in (tmp_path / "logs" / "lyth.log").read_text().splitlines()
    ]
    assert [(r["event"], r["logger"], r["run_id"], r["node"]) for r in records] == [
        ("hello", "myapp", "run-1", "fetch")
    ]


def test_setup_logging_to_another_file_replaces_the_handler(
    tmp_path: Path, root_logger: logging.Logger
):
    """A new log file replaces the handler for the old one instead of adding a second."""
    before = len(root_logger.handlers)
    LogConfig(log_file=tmp_path / "a.log").setup_logging()
    LogConfig(log_file=tmp_path / "b.log").setup_logging()
    assert len(root_logger.handlers) == before + 1
    logging.getLogger("myapp").warning("to b")
    assert "to b" in (tmp_path / "b.log").read_text()
    assert "to b" not in (tmp_path / "a.log").read_text()


def test_setup_logging_without_a_file_does_nothing(root_logger: logging.Logger):
    """No log_file: no handler, no level change."""
    handlers, level = list(root_logger.handlers), root_logger.level
    LogConfig().setup_logging()
    assert root_logger.handlers == handlers and root_logger.level == level
