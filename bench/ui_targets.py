"""The web view's targets (issue: lyth ui), each against real stores:

    .venv/bin/python bench/ui_targets.py        # prints one JSON line

- 100,000 runs stored: the first page of the runs list, and pages deep in it
  (keyset: after 1,000, 50,000 and 99,950 runs), each the median of 5 requests;
- a run of a 1,000-step DAG: its page's SVG size, and DOMContentLoaded in
  headless Chromium (Debian's, through playwright) against a real uvicorn;
- a run with a 100,000-element map: how many SVG node boxes its page draws,
  and its first children page;
- a step whose output is 50 MB of JSON: the page's time and body size.
Requests go over HTTP to a real `lyth ui` process (uvicorn, Guard, Starlette,
the store read, HTML); times are medians of 5 after one warm-up request.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lythonic.compose.dag_provenance import DagProvenance  # noqa: E402
from lythonic.compose.dag_runner import DagRunner  # noqa: E402
from lythonic.compose.namespace import Dag  # noqa: E402

RUNS = 100_000


def step_value(x: int = 1) -> int:
    return x + 1


def items(n: int) -> list[int]:
    return list(range(n))


def twice(x: int) -> int:
    return 2 * x


def fifty_mb() -> str:
    return "y" * 50_000_000


def _median_ms(client: Any, url: str, times: int = 5) -> tuple[float, int]:
    took = []
    size = 0
    for _ in range(times):
        t = time.perf_counter()
        answer = client.get(url)
        took.append((time.perf_counter() - t) * 1000)
        assert answer.status_code == 200, (url, answer.status_code, answer.text[:300])
        size = len(answer.content)
    return statistics.median(took), size


def _many_runs(db: Path) -> None:
    """100,000 finished top-level runs with two steps each, as the writer stores them."""
    DagProvenance(db).close()  # the schema
    conn = sqlite3.connect(db)
    t0 = 1_700_000_000.0
    statuses = ("completed",) * 18 + ("failed", "interrupted")
    conn.executemany(
        "INSERT INTO dag_runs (run_id, dag_nsref, status, started_at, finished_at, "
        "initiated_by, config_revision) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            (
                f"nightly@{i:08d}",
                f"dag{i % 7}",
                statuses[i % 20],
                t0 + i,
                t0 + i + 0.5,
                "scheduler",
                "abc123",
            )
            for i in range(RUNS)
        ),
    )
    conn.executemany(
        "INSERT INTO node_executions (run_id, node_label, status, started_at, finished_at, "
        "output_json) VALUES (?, ?, 'completed', ?, ?, '1')",
        ((f"nightly@{i:08d}", label, t0 + i, t0 + i + 0.2) for i in range(RUNS) for label in "ab"),
    )
    conn.commit()
    conn.close()


def _cursor_at(db: Path, offset: int) -> str:
    conn = sqlite3.connect(db)
    started, run_id = conn.execute(
        "SELECT started_at, run_id FROM dag_runs WHERE parent_run_id IS NULL "
        "ORDER BY started_at DESC, run_id DESC LIMIT 1 OFFSET ?",
        (offset - 1,),
    ).fetchone()
    conn.close()
    return f"{started!r}~{run_id}"


class _Served:
    """A real `lyth ui` process over ``db``'s directory, and an HTTP client to it."""

    def __init__(self, db: Path) -> None:
        import httpx

        env = {k: v for k, v in os.environ.items() if not k.startswith("LYTH_")}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "lythonic.compose.lyth",
                "ui",
                "--port",
                "0",
                "-d",
                str(db.parent),
            ],
            cwd=db.parent,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stderr is not None
        line = self.proc.stderr.readline()
        found = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
        assert found, line
        self.url = found.group(1)
        self.http = httpx.Client(base_url=self.url, timeout=60)  # keep-alive, as browsers

    def get(self, url: str) -> Any:
        return self.http.get(url)

    def __enter__(self) -> _Served:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()
        self.proc.terminate()
        self.proc.wait(10)


def runs_list(tmp: Path) -> dict[str, float]:
    db = tmp / "many" / "dags.db"
    db.parent.mkdir()
    _many_runs(db)
    out: dict[str, float] = {}
    with _Served(db) as client:
        client.get("/")  # warm: imports, connection, statement cache
        out["first_ms"], _ = _median_ms(client, "/")
        deep = []
        for offset in (1_000, 50_000, 99_950):
            ms, _ = _median_ms(client, f"/?before={_cursor_at(db, offset)}")
            deep.append(ms)
        out["deep_max_ms"] = max(deep)
        out["filtered_ms"], _ = _median_ms(client, "/?status=interrupted&dag=dag3")
        out["api_ms"], _ = _median_ms(client, "/api/runs")
    return out


def big_graph(tmp: Path) -> dict[str, float]:
    db = tmp / "wide" / "dags.db"
    db.parent.mkdir()
    dag = Dag()
    prev = None
    for i in range(1000):
        node = dag.node(step_value, f"step_{i:04d}")
        if prev is not None:
            prev >> node
        prev = node
    store = DagProvenance(db)
    asyncio.run(DagRunner(dag, store).run(run_id="chain"))
    store.close()
    with _Served(db) as served:
        page = served.get("/runs/chain").text
        svg = page[page.index("<svg") : page.index("</svg>") + 6]
        out = {"svg_mb": len(svg.encode()) / 1e6, "page_mb": len(page.encode()) / 1e6}
        url = served.url
        from playwright.sync_api import sync_playwright

        chromium = shutil.which("chromium")
        assert chromium, "apt-get install chromium"
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=chromium,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            tab = browser.new_page()
            tab.goto(url)  # warm the browser
            loads = []
            for _ in range(3):
                tab.goto(url + "runs/chain", wait_until="domcontentloaded")
                loads.append(
                    tab.evaluate(
                        "performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd"
                    )
                )
            out["dcl_ms"] = statistics.median(loads)
            browser.close()
    return out


def big_map(tmp: Path) -> dict[str, float]:
    db = tmp / "map" / "dags.db"
    db.parent.mkdir()
    dag = Dag()
    sub = Dag()
    sub.node(twice, "twice")
    dag.node(items, "items") >> dag.map(sub, "each")
    store = DagProvenance(db)
    asyncio.run(DagRunner(dag, store).run({"items": {"n": 100_000}}, run_id="map"))
    store.close()
    with _Served(db) as client:
        client.get("/runs/map")
        ms, _ = _median_ms(client, "/runs/map")
        page = client.get("/runs/map").text
        children_ms, _ = _median_ms(client, "/runs/map/children?step=each")
    return {
        "svg_nodes": page.count('<g class="node'),
        "run_page_ms": ms,
        "children_ms": children_ms,
    }


def big_value(tmp: Path) -> dict[str, float]:
    db = tmp / "value" / "dags.db"
    db.parent.mkdir()
    dag = Dag()
    dag.node(fifty_mb, "fifty_mb")
    store = DagProvenance(db)
    asyncio.run(DagRunner(dag, store).run(run_id="big"))
    store.close()
    with _Served(db) as client:
        client.get("/runs/big/steps/fifty_mb")
        ms, size = _median_ms(client, "/runs/big/steps/fifty_mb")
    return {"page_ms": ms, "body_kb": size / 1024}


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        out = {
            "runs": runs_list(tmp),
            "graph": big_graph(tmp),
            "map": big_map(tmp),
            "value": big_value(tmp),
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
