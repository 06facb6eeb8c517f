"""The web view's routes, through an in-process ASGI client on real SQLite runs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from lythonic.ui._app import PAGE_SIZE, PREVIEW_BYTES
from tests.ui.conftest import AsgiClient, ui_source


def test_runs_list_shows_newest_first_with_status_and_links(client: Any) -> None:
    """The runs page lists every top-level run, newest first, each linked."""
    page = client.get("/")
    assert page.status_code == 200
    ids = re.findall(r'<a href="/runs/([^"/]+)" class="run">', page.text)
    assert ids == ["big", "markup", "mapped"]
    assert 'class="badge st-failed"' in page.text


def test_runs_api_has_the_cli_json_shape(client: Any) -> None:
    """/api/runs returns what `lyth runs --json` prints per run."""
    data = client.get("/api/runs").json()
    assert [r["run_id"] for r in data] == ["big", "markup", "mapped"]
    assert set(data[0]) == {
        "run_id",
        "dag",
        "status",
        "started_at",
        "finished_at",
        "seconds",
        "initiated_by",
        "config_revision",
        "error",
    }


def test_runs_filter_by_status_and_bad_status_is_400(client: Any) -> None:
    """A status filter keeps only those runs; an unknown status is a 400 naming them."""
    failed = client.get("/api/runs", params={"status": "failed"}).json()
    assert [r["run_id"] for r in failed] == ["mapped"]
    bad = client.get("/api/runs", params={"status": "broken"})
    assert bad.status_code == 400 and "running" in bad.json()["error"]


def _svg(page: str) -> str:
    return page[page.index("<svg") : page.index("</svg>")]


def test_run_page_draws_the_dag_with_a_map_as_one_box_with_counts(client: Any) -> None:
    """A run's page draws every step of its DAG once, coloured by status (the step that
    never ran too); the map is one box counting its 120 child runs, never 120 boxes."""
    page = client.get("/runs/mapped")
    assert page.status_code == 200
    svg = _svg(page.text)
    assert svg.count('class="node ') == 3
    # The failure cancels elements still waiting: how many ran first varies.
    assert re.search(r"×120: \d+ ok(, \d+ cancelled)?, 1 failed", svg)
    assert re.search(r'class="node st-failed[^"]*"[^>]*data-label="squares"', svg)
    assert re.search(r'class="node st-none[^"]*"[^>]*data-label="total"', svg)
    assert "drawn from the DAG&#x27;s definition" in page.text
    assert "/runs/mapped/children?step=squares" in page.text


def test_without_the_definition_the_graph_comes_from_the_record(history: Path) -> None:
    """A run whose DAG the config in force lacks is drawn from what it recorded, and
    the page says so."""
    from lythonic.ui import build_app

    source = ui_source(history, shapes=False)
    page = AsgiClient(build_app(source)).get("/runs/mapped").text
    source.close()
    assert "drawn from the record" in page
    assert _svg(page).count('class="node ') == 2  # `total` never ran: nothing recorded


def test_children_are_paged_by_key(client: Any) -> None:
    """A map's child runs come 50 to a page, by key; the pages cover each child once."""
    seen: list[str] = []
    url: str | None = "/api/runs/mapped/children?step=squares"
    while url:
        answer = client.get(url)
        seen += [r["run_id"] for r in answer.json()]
        nxt = answer.headers.get("link")
        url = nxt[1 : nxt.index(">")] if nxt else None
        assert len(answer.json()) <= PAGE_SIZE
    assert len(seen) == len(set(seen)) == 120
    failed = client.get("/api/runs/mapped/children?step=squares&status=failed").json()
    assert len(failed) == 1 and failed[0]["status"] == "failed"
    page = client.get("/runs/mapped/children?step=squares")
    assert page.status_code == 200 and "next page" in page.text


def test_a_failed_step_shows_its_full_traceback(client: Any) -> None:
    """A failed child's step page shows the traceback, escaped, with the error."""
    failed = client.get("/api/runs/mapped/children?step=squares&status=failed").json()[0]
    page = client.get(f"/runs/{failed['run_id']}/steps/square")
    assert page.status_code == 200
    assert "Traceback" in page.text and "seven is not allowed here" in page.text
    assert 'class="badge st-failed"' in page.text


def test_recorded_markup_is_text_never_markup(client: Any) -> None:
    """An output of <script>alert(1)</script> is escaped wherever it shows."""
    for url in ("/runs/markup/steps/shout", "/runs/markup/steps/echo", "/runs/markup"):
        page = client.get(url)
        assert "<script>alert" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get("/runs/markup/steps/shout").text


def test_a_large_value_is_cut_with_its_size_and_a_download(client: Any) -> None:
    """A 400 KB output is not decoded on the page: its size, its first characters and a
    link that downloads the whole JSON."""
    page = client.get("/runs/big/steps/big")
    assert page.status_code == 200
    assert "400,002 characters of JSON" in page.text
    assert len(page.content) < 300_000
    assert page.text.count("x") >= PREVIEW_BYTES - 10
    whole = client.get("/runs/big/steps/big/output.json")
    assert whole.status_code == 200 and len(whole.content) == 400_002
    assert whole.headers["content-type"].startswith("application/json")


def test_unknown_run_and_step_are_404_with_a_hint(client: Any) -> None:
    """An unknown run or step answers 404 saying what exists."""
    run = client.get("/runs/mappd")
    assert run.status_code == 404 and "no run" in run.text
    step = client.get("/api/runs/markup/steps/nope")
    assert step.status_code == 404 and "echo" in step.json()["hint"]


def test_only_get_and_head(client: Any) -> None:
    """The view is read-only: POST, PUT and DELETE answer 405 naming GET and HEAD."""
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        answer = client.request(method, "/")
        assert answer.status_code == 405
        assert answer.headers["allow"] == "GET, HEAD"


def test_every_answer_carries_the_security_headers(client: Any) -> None:
    """Pages, the API and static files come with a strict CSP, nosniff and no referrer."""
    for url in ("/", "/api/runs", "/static/ui.css", "/runs/nope"):
        headers = client.get(url).headers
        assert "default-src 'none'" in headers["content-security-policy"]
        assert "script-src 'self'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"


def test_a_foreign_host_header_is_refused(history: Path) -> None:
    """A request naming another host (DNS rebinding) gets 400; the host it was started
    on and loopback names are fine."""
    from lythonic.ui import build_app

    source = ui_source(history)
    app = build_app(source, hosts={"pipelines.internal"})
    assert AsgiClient(app, "http://evil.example:8765").get("/").status_code == 400
    assert AsgiClient(app, "http://pipelines.internal:8765").get("/").status_code == 200
    assert AsgiClient(app, "http://localhost:8765").get("/").status_code == 200
    source.close()


@pytest.fixture
def guarded(history: Path) -> Any:
    from lythonic.ui import build_app

    source = ui_source(history)
    app = build_app(source, token="s3cret-token-0123456789", hosts={"0.0.0.0"})
    yield AsgiClient(app, follow_redirects=False)
    source.close()


def test_a_token_is_asked_for_and_swapped_for_a_cookie(guarded: Any) -> None:
    """With a token: 401 without it; a bearer header works; ?token= redirects to the
    same page without it and sets an HttpOnly cookie that works from then on."""
    assert guarded.get("/").status_code == 401
    assert guarded.get("/?token=wrong-token-000000000").status_code == 401
    bearer = {"authorization": "Bearer s3cret-token-0123456789"}
    assert guarded.get("/api/runs", headers=bearer).status_code == 200
    swap = guarded.get("/?status=failed&token=s3cret-token-0123456789")
    assert swap.status_code == 303
    assert swap.headers["location"] == "/?status=failed"
    cookie = swap.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert guarded.get("/?status=failed").status_code == 200  # the client kept the cookie


def test_triggers_page_lists_the_recorded_triggers(tmp_path: Path, history: Path) -> None:
    """The triggers page shows each trigger's schedule, zone, state and last event."""
    from lythonic.compose.namespace import TriggerConfig
    from lythonic.compose.trigger import TriggerStore
    from lythonic.ui import build_app

    triggers = tmp_path / "triggers.db"
    with TriggerStore(triggers) as store:
        store.activate(
            TriggerConfig(name="nightly", schedule="30 2 * * *", timezone="Europe/Berlin"), "etl"
        )
        store.activate(TriggerConfig(name="hourly", schedule="0 * * * *"), "etl")
        store.deactivate("hourly")
    source = ui_source(history, triggers=triggers)
    c = AsgiClient(build_app(source))
    page = c.get("/triggers").text
    rows = c.get("/api/triggers").json()
    source.close()
    assert "30 2 * * *" in page and "Europe/Berlin" in page
    assert {r["name"]: r["state"] for r in rows} == {"hourly": "disabled", "nightly": "active"}
