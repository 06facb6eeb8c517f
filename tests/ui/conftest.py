"""A data directory with real runs for the web view's tests — a map of 120 elements
(one fails), a run whose output is markup, a step with a 400 KB output — and an
in-process client that speaks ASGI to the app (httpx's ``ASGITransport``)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from lythonic.compose.dag_provenance import DagProvenance
from lythonic.compose.dag_runner import DagRunner
from lythonic.compose.namespace import Dag
from tests.ui import steps


def mapped() -> Dag:
    dag = Dag()
    sub = Dag()
    sub.node(steps.square, "square")
    dag.node(steps.numbers, "numbers") >> dag.map(sub, "squares") >> dag.node(steps.total, "total")
    return dag


def markup() -> Dag:
    dag = Dag()
    dag.node(steps.shout, "shout") >> dag.node(steps.echo, "echo")
    return dag


def big() -> Dag:
    dag = Dag()
    dag.node(steps.big, "big")
    return dag


DAGS = {"mapped": mapped, "markup": markup, "big": big}


@pytest.fixture(scope="session")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``dags.db`` with one run of each DAG, named like it: ``mapped`` (failed in one
    of its 120 elements), ``markup`` and ``big`` (completed)."""
    db = tmp_path_factory.mktemp("ui") / "dags.db"
    store = DagProvenance(db)
    try:
        for name, build in DAGS.items():
            asyncio.run(DagRunner(build(), store).run(dag_nsref=name, run_id=name))
    finally:
        store.close()
    return db


class AsgiClient:
    """Requests to an ASGI app in this process, cookies kept between them."""

    def __init__(
        self, app: Any, base_url: str = "http://127.0.0.1:8765", *, follow_redirects: bool = True
    ) -> None:
        self.app = app
        self.base_url = base_url
        self.follow_redirects = follow_redirects
        self.cookies = httpx.Cookies()

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=self.app),
                base_url=self.base_url,
                follow_redirects=self.follow_redirects,
                cookies=self.cookies,
            ) as client:
                answer = await client.request(method, url, **kwargs)
                self.cookies.update(client.cookies)
                return answer

        return asyncio.run(go())

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)


def ui_source(history: Path, *, shapes: bool = True, triggers: Path | None = None) -> Any:
    from lythonic.ui import UiSource, shapes_of

    drawn = shapes_of({name: build() for name, build in DAGS.items()}) if shapes else {}
    return UiSource(history, triggers or history.parent / "triggers.db", lambda: drawn)


@pytest.fixture
def client(history: Path) -> Iterator[AsgiClient]:
    from lythonic.ui import build_app

    source = ui_source(history)
    yield AsgiClient(build_app(source))
    source.close()
