"""`lyth start --ui`: the web view served by a real daemon, on its own event loop."""

from __future__ import annotations

import json
import signal
import socket
import urllib.error
import urllib.request

from tests.engine.test_daemon import PING, Project, wait_for


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def _url(project: Project) -> str:
    if not (project.data / "lyth.log").exists():
        return ""
    for event in project.log():
        if event["event"] == "web view listening":
            return str(event["url"])
    return ""


def test_the_daemon_serves_the_view_of_its_runs_and_stops_with_it(project: Project) -> None:
    """With --ui the daemon fires as usual and serves its runs (drawn with the config's
    DAG) and triggers; SIGTERM stops both cleanly (exit 0)."""
    project.write(PING)
    proc = project.start("--ui", env={"LYTH_UI_PORT": "0"})
    url = wait_for("the view's address in the log", lambda: _url(project))
    wait_for("a run", lambda: project.runs())
    code, body = _get(url + "api/runs")
    assert code == 200
    runs = json.loads(body)
    assert runs and runs[0]["run_id"].startswith("every_second@")
    code, page = _get(url + f"runs/{runs[0]['run_id']}")
    assert code == 200 and 'data-label="tick"' in page
    assert "drawn from the DAG&#x27;s definition" in page
    code, triggers = _get(url + "api/triggers")
    assert code == 200 and json.loads(triggers)[0]["name"] == "every_second"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0


def test_a_taken_port_leaves_the_daemon_running_without_the_view(project: Project) -> None:
    """A port in use is said on stderr and in the log; the triggers still fire."""
    project.write(PING)
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        proc = project.start("--ui", env={"LYTH_UI_PORT": str(port)})
        wait_for("a run", lambda: project.runs())
        assert proc.poll() is None
        err = (project.root / "daemon0.err").read_text()
        assert f"the web view cannot listen on 127.0.0.1:{port}" in err
        assert "the daemon runs without it" in err
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0


def test_ui_beyond_loopback_without_a_token_does_not_start(project: Project) -> None:
    """--ui on 0.0.0.0 without LYTH_UI_TOKEN: one line, exit 2, nothing started."""
    project.write(PING)
    proc = project.start("--ui", env={"LYTH_UI_HOST": "0.0.0.0"})
    assert proc.wait(timeout=30) == 2
    err = (project.root / "daemon0.err").read_text()
    assert "0.0.0.0 reaches beyond this machine: set LYTH_UI_TOKEN" in err
    assert "Traceback" not in err
    assert not (project.data / "lyth.pid").exists()
