"""Structured logging: JSON or console, run context on every event, one setup."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from lythonic.compose.namespace import Dag
from lythonic.logs import configure_logging, get_logger


@pytest.fixture(autouse=True)
def restore_root() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for h in list(root.handlers):
        if h not in handlers:
            root.removeHandler(h)
            h.close()
    root.setLevel(level)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_json_lines_for_structlog_and_stdlib_events() -> None:
    """Both kinds of events become JSON objects with level, logger and timestamp."""
    out = io.StringIO()
    configure_logging(fmt="json", stream=out)
    get_logger("lythonic.engine").info("scheduled", trigger="nightly", run_id="r-1")
    logging.getLogger("user.code").warning("plain %s", "stdlib")
    first, second = lines(out)
    assert first["event"] == "scheduled" and first["trigger"] == "nightly"
    assert first["run_id"] == "r-1"
    assert first["level"] == "info" and first["logger"] == "lythonic.engine"
    assert str(first["timestamp"]).endswith("Z")
    assert second["event"] == "plain stdlib" and second["level"] == "warning"


def test_events_inside_nodes_carry_run_dag_and_node() -> None:
    """A user's stdlib log call in a thread node names the run, DAG and node."""
    out = io.StringIO()
    configure_logging(fmt="json", stream=out)

    def work(x: int) -> int:
        logging.getLogger("user.pipeline").info("working")
        return x

    result = asyncio.run(Dag().node(work).dag(x=1))
    (event,) = [e for e in lines(out) if e["event"] == "working"]
    assert event["run_id"] == result.run_id
    assert event["node"] == "work" and event["dag"] == "unknown"


def test_default_level_is_info_and_sql_stays_hidden(tmp_path: Path) -> None:
    """DEBUG (e.g. SQL from lythonic.state) is not written by default; a logger can opt in."""
    out = io.StringIO()
    configure_logging(stream=out)
    logging.getLogger("lythonic.state").debug("execute: SELECT 1")
    logging.getLogger("lythonic.x").info("visible")
    assert [e["event"] for e in lines(out)] == ["visible"]
    configure_logging(stream=out, loggers={"lythonic.state": "DEBUG"})
    logging.getLogger("lythonic.state").debug("execute: SELECT 2")
    assert lines(out)[-1]["event"] == "execute: SELECT 2"


def test_reconfiguring_replaces_handlers_and_file_gets_json(tmp_path: Path) -> None:
    """Calling configure_logging twice does not duplicate output; the file holds JSON lines."""
    out = io.StringIO()
    log_file = tmp_path / "logs" / "lyth.log"
    configure_logging(fmt="console", stream=out, log_file=log_file)
    configure_logging(fmt="console", stream=out, log_file=log_file)
    logging.getLogger("lythonic.t").info("once", extra={"key": "v"})
    assert out.getvalue().count("once") == 1
    (record,) = [json.loads(x) for x in log_file.read_text().splitlines()]
    assert record["event"] == "once" and record["key"] == "v"


def test_console_rendering_on_a_terminal() -> None:
    """fmt=auto renders for people when the stream is a terminal."""

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Tty()
    configure_logging(stream=out)
    get_logger("lythonic.engine").info("started", pid=42)
    text = out.getvalue()
    assert "started" in text and "pid" in text and not text.lstrip().startswith("{")


def test_unknown_level_is_refused() -> None:
    """A misspelt level names the valid ones."""
    with pytest.raises(ValueError, match="use DEBUG, INFO"):
        configure_logging(level="LOUD", stream=io.StringIO())


def test_json_stream_and_file_share_one_rendering(tmp_path: Path) -> None:
    """A record goes to stderr and the file as the very same JSON line (rendered once),
    and a console rendering next to the file does not leak into the JSON."""
    out = io.StringIO()
    log_file = tmp_path / "lyth.log"
    configure_logging(fmt="json", stream=out, log_file=log_file)
    logging.getLogger("lythonic.t").info("same", extra={"k": 1})
    assert out.getvalue() == log_file.read_text()
    configure_logging(fmt="console", stream=io.StringIO(), log_file=log_file)
    logging.getLogger("lythonic.t").info("other")
    last = json.loads(log_file.read_text().splitlines()[-1])
    assert last["event"] == "other" and "_lythonic_rendered" not in last


def test_engine_events_have_a_constant_name_and_fields() -> None:
    """A record logged with extra=event(...) is grouped by its constant name; its
    data are fields (run id included, also outside a node) and the text is kept."""
    from lythonic._events import event

    out = io.StringIO()
    configure_logging(fmt="json", stream=out)
    logging.getLogger("lythonic.compose.dag_runner").error(
        "Node '%s' failed in run %s: %s",
        "load",
        "r-7",
        "boom",
        extra=event("node_failed", run_id="r-7", dag="etl", node="load", error="boom", x=None),
    )
    (line,) = lines(out)
    assert line["event"] == "node_failed"
    assert line["message"] == "Node 'load' failed in run r-7: boom"
    assert (line["run_id"], line["dag"], line["node"], line["error"]) == (
        "r-7",
        "etl",
        "load",
        "boom",
    )
    assert "x" not in line and "lythonic_event" not in line


def test_an_event_below_the_level_runs_no_processor() -> None:
    """At INFO a DEBUG event stops at the level check: none of the chain (context,
    timestamp, run context, rendering) runs for it, so a DEBUG line per daemon tick
    costs nothing when it is not shown; an event at the level still goes through."""
    seen: list[str] = []

    class Probe:
        def __call__(self, logger: object, method: str, event_dict: dict) -> dict:
            seen.append(method)
            return event_dict

    out = io.StringIO()
    configure_logging(level="INFO", fmt="json", stream=out)
    processors = structlog.get_config()["processors"]
    structlog.configure(processors=[processors[0], Probe(), *processors[1:]])
    try:
        log = get_logger("lythonic.engine")
        log.debug("run starting", trigger="t")
        log.info("run finished", trigger="t")
    finally:
        structlog.configure(processors=processors)
    assert seen == ["info"]
    assert [e["event"] for e in lines(out)] == ["run finished"]
