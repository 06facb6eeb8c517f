"""The web view in a real headless Chromium (Debian's, driven by playwright; no
browser is ever downloaded), served by a real `lyth ui` process.

What a person sees: the runs list, a run with its coloured graph, a step's
values, a failed step's traceback; recorded markup stays text (no dialog).
Screenshots go to tests/_artifacts/ (docs/ui.md shows one).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parents[1] / "_artifacts"
LYTH = [sys.executable, "-m", "lythonic.compose.lyth"]
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium() -> str:
    """Debian's chromium; its absence is a failure (CI installs it), never a skip."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        raise RuntimeError("chromium is not installed: apt-get install chromium (.ci/run does)")
    return found


@pytest.fixture(scope="module")
def served(history: Path) -> Iterator[str]:
    """A `lyth ui` process on a free port over the test runs; its base URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LYTH_")}
    proc = subprocess.Popen(
        [*LYTH, "ui", "--port", "0", "-d", str(history.parent)],
        cwd=history.parent,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    line = proc.stderr.readline()
    found = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
    assert found, line + (proc.stderr.read() if proc.poll() is not None else "")
    try:
        yield found.group(1)
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium(), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    p = context.new_page()
    dialogs: list[str] = []
    p.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    p.dialogs = dialogs
    yield p
    context.close()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"ui-{name}.png"), full_page=True)


def test_runs_list_run_graph_step_and_failure(served: str, page: Any) -> None:
    """A person opens the runs list, a run (its graph coloured by status), a step with
    its values, and the failed step's traceback."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(served)
    rows = page.locator("table.runs tbody tr")
    assert rows.count() == 3
    assert page.locator("table.runs .badge.st-failed").count() == 1
    shot(page, "runs")

    page.click("text=mapped")
    page.wait_for_url(re.compile(r"/runs/mapped$"))
    assert page.locator("svg g.node").count() == 2  # no config here: drawn from the record
    assert page.locator("svg g.node.st-failed").count() == 1
    assert page.locator("svg g.node.st-completed").count() == 1
    assert re.search(
        r"×120: \d+ ok(, \d+ cancelled)?, 1 failed", page.locator("svg").text_content() or ""
    )
    shot(page, "run")

    page.locator("table.steps a", has_text="×120").click()
    page.wait_for_url(re.compile(r"/children\?step=squares"))
    page.click("text=failed (1)")
    page.locator("table.runs tbody tr a.run").first.click()
    page.locator("svg g.node.st-failed").first.click()
    page.wait_for_url(re.compile(r"/steps/square$"))
    assert "seven is not allowed here" in page.locator("pre.traceback").inner_text()
    shot(page, "failed-step")

    page.goto(served + "runs/mapped/steps/numbers")
    assert "119" in page.locator("pre.value").last.inner_text()
    shot(page, "step")
    assert errors == []  # nothing the CSP blocked, no script error


def test_recorded_markup_never_runs(served: str, page: Any) -> None:
    """An output of <script>alert(1)</script> shows as text: no dialog opens."""
    page.goto(served + "runs/markup/steps/shout")
    assert "<script>alert(1)</script>" in page.locator("pre.value").last.inner_text()
    page.goto(served + "runs/markup")
    page.wait_for_timeout(200)
    assert page.dialogs == []


@pytest.fixture
def live_run(tmp_path: Path) -> Path:
    """A data directory whose one run is still `running`."""
    from lythonic.compose.dag_provenance import DagProvenance

    store = DagProvenance(tmp_path / "dags.db")
    store.begin_run("live", "etl", {})
    store.flush()
    store.close()  # the run stays `running` on record, as while a daemon runs it
    return tmp_path


def test_a_running_run_page_follows_the_run(live_run: Path, browser: Any) -> None:
    """The page of a running run refreshes itself (every 5 s) until the run ends."""
    import sqlite3
    import time

    env = {k: v for k, v in os.environ.items() if not k.startswith("LYTH_")}
    proc = subprocess.Popen(
        [*LYTH, "ui", "--port", "0", "-d", str(live_run)],
        cwd=live_run,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        url = re.search(r"(http://127\.0\.0\.1:\d+/)", proc.stderr.readline())
        assert url
        context = browser.new_context()
        page = context.new_page()
        page.goto(url.group(1) + "runs/live")
        assert page.locator("dl.facts .badge").first.inner_text() == "running"
        with sqlite3.connect(live_run / "dags.db") as conn:
            conn.execute(
                "UPDATE dag_runs SET status = 'completed', finished_at = ? WHERE run_id = 'live'",
                (time.time(),),
            )
        from playwright.sync_api import expect

        expect(page.locator("dl.facts .badge").first).to_have_text("completed", timeout=15_000)
        expect(page.locator("body")).to_have_attribute("data-live", "0")  # it stops refreshing
        context.close()
    finally:
        proc.terminate()
        proc.wait(10)
