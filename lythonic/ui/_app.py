"""``build_app``: the web view as a Starlette application.

Each page has a JSON twin under ``/api`` with the shapes of the CLI's
``--json`` output. Store reads run on worker threads (``anyio.to_thread``),
so inside the daemon the event loop that fires triggers never waits on a
disk or a database. Lists are paged by key, never by offset: the hundredth
page of 100,000 runs costs what the first does.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from typing import Any, TypeVar
from urllib.parse import quote

from lythonic.ui._guard import Guard
from lythonic.ui._html import with_query
from lythonic.ui._pages import (
    FILTERS,
    RUN_STATUSES,
    ValueView,
    children_page,
    not_found_page,
    pretty,
    run_page,
    runs_page,
    step_page,
    triggers_page,
)
from lythonic.ui._source import UiSource

__all__ = ["PAGE_SIZE", "SHOWN_BYTES", "build_app"]

T = TypeVar("T")

PAGE_SIZE = 50
SHOWN_BYTES = 256 * 1024
"""A value whose JSON is longer is not decoded on the request path: the page
shows its size, the first ``PREVIEW_BYTES`` of its text and a download link."""
PREVIEW_BYTES = 16 * 1024
_STATIC = {
    "ui.css": "text/css; charset=utf-8",
    "ui.js": "text/javascript; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}


def _cursor(text: str | None) -> tuple[float, str] | None:
    """A page key ``"<epoch>~<run id>"`` from a query parameter (None if malformed).

    >>> _cursor("1700000000.5~nightly@20241027T003000Z")
    (1700000000.5, 'nightly@20241027T003000Z')
    """
    if not text or "~" not in text:
        return None
    stamp, _, run_id = text.partition("~")
    try:
        return float(stamp), run_id
    except ValueError:
        return None


def _key(key: tuple[float, str]) -> str:
    return f"{key[0]!r}~{key[1]}"


def _trigger_of(run_id: str) -> str | None:
    """Runs of a trigger's ticks are named ``"<trigger>@<UTC time>"``."""
    return run_id.rsplit("@", 1)[0] if "@" in run_id else None


def build_app(source: UiSource, *, token: str | None = None, hosts: set[str] | None = None) -> Any:
    """The ASGI app over ``source``; ``token``/``hosts`` as ``Guard`` takes them."""
    from anyio import to_thread
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, JSONResponse, Response
    from starlette.routing import Route

    async def off_loop(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await to_thread.run_sync(lambda: fn(*args, **kwargs))

    def html(text: str, status: int = 200) -> Response:
        return HTMLResponse(text, status, headers={"cache-control": "no-store"})

    def api(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        return JSONResponse(data, status, headers={"cache-control": "no-store", **(headers or {})})

    def missing(request: Request, what: str, hint: str = "") -> Response:
        if request.url.path.startswith("/api/"):
            return api({"error": what, "hint": hint or None}, 404)
        return html(not_found_page(what, hint), 404)

    async def unknown_run(request: Request, run_id: str) -> Response:
        near = await off_loop(source.find_run_ids, run_id[:8])
        hint = f"did you mean {', '.join(near)}?" if near else "the runs list has every run"
        return missing(request, f"no run {run_id!r} on record", hint)

    # -- runs ----------------------------------------------------------------------

    async def runs(request: Request) -> Response:
        q = request.query_params
        filters = {name: (q.get(name) or None) for name in FILTERS}
        if filters["status"] is not None and filters["status"] not in RUN_STATUSES:
            problem = f"status {filters['status']!r} is not one of {', '.join(RUN_STATUSES)}"
            if request.url.path.startswith("/api/"):
                return api({"error": problem}, 400)
            return html(not_found_page(problem), 400)
        before = _cursor(q.get("before"))
        found, keys = await off_loop(
            source.runs_page,
            limit=PAGE_SIZE + 1,
            before=before,
            dag_nsref=filters["dag"],
            status=filters["status"],
            initiator=filters["initiator"],
            trigger=filters["trigger"],
        )
        base = request.url.path
        more, shown = len(found) > PAGE_SIZE, found[:PAGE_SIZE]
        next_href = (
            with_query(base, {**filters, "before": _key(keys[PAGE_SIZE - 1])}) if more else None
        )
        first_href = with_query(base, filters) if before is not None else None
        if base.startswith("/api/"):
            link = {"link": f'<{next_href}>; rel="next"'} if next_href else {}
            return api([source.summary(r) for r in shown], headers=link)
        note = "" if source.has_runs() else f"No runs recorded yet ({source.runs_location})."
        return html(runs_page(shown, filters, next_href, first_href, note))

    # -- one run ---------------------------------------------------------------------

    async def run(request: Request) -> Response:
        run_id = request.path_params["run_id"]
        found = await off_loop(source.run, run_id)
        if found is None:
            return await unknown_run(request, run_id)
        counts = await off_loop(source.child_counts, run_id)
        if request.url.path.startswith("/api/"):
            data = found.model_dump(mode="json", exclude_none=True)
            data["child_counts"] = counts
            return api(data)
        graph = await off_loop(source.graph, found, counts)
        return html(run_page(found, graph, counts, _trigger_of(run_id)))

    async def children(request: Request) -> Response:
        run_id = request.path_params["run_id"]
        q = request.query_params
        step, status = q.get("step") or "", q.get("status") or None
        found = await off_loop(source.run, run_id)
        if found is None:
            return await unknown_run(request, run_id)
        counts = (await off_loop(source.child_counts, run_id)).get(step)
        if counts is None:
            return missing(request, f"run {run_id!r} has no child runs of step {step!r}")
        after = _cursor(q.get("after"))
        kids, keys = await off_loop(
            source.children_page, run_id, step, limit=PAGE_SIZE + 1, after=after, status=status
        )
        base = request.url.path
        params = {"step": step, "status": status}
        more, shown = len(kids) > PAGE_SIZE, kids[:PAGE_SIZE]
        next_href = (
            with_query(base, {**params, "after": _key(keys[PAGE_SIZE - 1])}) if more else None
        )
        first_href = with_query(base, params) if after is not None else None
        if base.startswith("/api/"):
            link = {"link": f'<{next_href}>; rel="next"'} if next_href else {}
            return api([source.summary(c) for c in shown], headers=link)
        return html(children_page(found, step, shown, counts, status, next_href, first_href))

    # -- one step ---------------------------------------------------------------------

    def _value(run_id: str, label: str, which: str) -> ValueView:
        text, size = source.node_value(run_id, label, which, SHOWN_BYTES + 1)
        download = f"/runs/{quote(run_id, safe='')}/steps/{quote(label, safe='')}/{which}.json"
        if text is None or size is None:
            return ValueView(None, None, download, truncated=False)
        if size > SHOWN_BYTES:  # not decoded here: its start, as stored
            return ValueView(text[:PREVIEW_BYTES], size, download, truncated=True)
        shown, type_name = pretty(text)
        return ValueView(shown, size, download, truncated=False, type_name=type_name)

    async def step(request: Request) -> Response:
        run_id, label = request.path_params["run_id"], request.path_params["label"]
        found = await off_loop(source.run, run_id)
        if found is None:
            return await unknown_run(request, run_id)
        node = found.nodes.get(label)
        graph_labels = {n.label for n in (await off_loop(source.graph, found, {})).nodes}
        if node is None and label not in graph_labels:
            return missing(
                request,
                f"run {run_id!r} has no step {label!r}",
                f"its steps: {', '.join(sorted(graph_labels | set(found.nodes)))}",
            )
        values = {
            "inputs": await off_loop(_value, run_id, label, "input"),
            "output": await off_loop(_value, run_id, label, "output"),
        }
        if request.url.path.startswith("/api/"):
            data: dict[str, Any] = (
                node.model_dump(mode="json", exclude_none=True) if node else {"status": None}
            )
            data["node_label"] = label
            data["io"] = {
                k: {"size": v.size, "truncated": v.truncated, "download": v.download}
                for k, v in values.items()
            }
            return api(data)
        return html(step_page(found, node, label, values))

    async def download(request: Request) -> Response:
        run_id, label = request.path_params["run_id"], request.path_params["label"]
        which = request.path_params["which"]
        if which not in ("input", "output"):
            return missing(request, f"no such value {which!r}: input or output")
        text, _ = await off_loop(source.node_value, run_id, label, which, None)
        if text is None:
            return missing(request, f"no {which} recorded for step {label!r} of run {run_id!r}")
        name = f"{run_id}-{label}-{which}.json".replace('"', "")
        return Response(
            text,
            media_type="application/json",
            headers={"content-disposition": f'attachment; filename="{quote(name)}"'},
        )

    # -- triggers, static --------------------------------------------------------------

    async def triggers(request: Request) -> Response:
        rows = await off_loop(source.triggers)
        if request.url.path.startswith("/api/"):
            return api(rows)
        return html(triggers_page(rows))

    files = {
        name: (resources.files("lythonic.ui") / "static" / name).read_bytes() for name in _STATIC
    }

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in files:
            return missing(request, f"no file {name!r}")
        return Response(
            files[name], media_type=_STATIC[name], headers={"cache-control": "max-age=300"}
        )

    async def not_found(request: Request, exc: Exception) -> Response:
        return missing(request, f"no page at {request.url.path}")

    routes = [
        Route("/", runs),
        Route("/api/runs", runs),
        Route("/runs/{run_id}", run),
        Route("/api/runs/{run_id}", run),
        Route("/runs/{run_id}/children", children),
        Route("/api/runs/{run_id}/children", children),
        Route("/runs/{run_id}/steps/{label}", step),
        Route("/api/runs/{run_id}/steps/{label}", step),
        Route("/runs/{run_id}/steps/{label}/{which}.json", download),
        Route("/triggers", triggers),
        Route("/api/triggers", triggers),
        Route("/static/{name}", static),
        Route("/favicon.ico", lambda request: Response(status_code=204)),
    ]
    app = Starlette(routes=routes, exception_handlers={404: not_found})
    return Guard(app, token=token, hosts=hosts or set())
