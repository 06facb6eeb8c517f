"""The webhook listener of ``lyth start``: ``POST /hooks/<trigger>`` starts a run of a
``type: webhook`` trigger.

A request is answered in this order, each step cheap before the next:

1. a body over ``LYTH_WEBHOOK_MAX_BODY`` bytes: 413 (read with a limit, never whole);
2. no such webhook trigger (unknown, another type, disabled): 404;
3. its secret's environment variable unset: 503 (and one logged error);
4. a signature or token that does not check out: 401, with nothing written;
5. over the trigger's rate (``LYTH_WEBHOOK_RATE`` per second): 429 with Retry-After;
6. ``dedupe_header`` configured but absent: 400; a body that says it is JSON and is
   not: 400; inputs whose templates cannot be filled or whose values do not fit
   their parameters: 422 (recorded as an ``error`` event);
7. the event is claimed (keyed by the delivery id): 202 ``{"event_id", "run_id"}``
   without waiting for the run; a delivery id seen before: 200 ``{"duplicate":
   true, "run_id"}``.

The event row keeps the body and a few harmless headers, never ``Authorization``
or a signature. The listener is a uvicorn server on the daemon's event loop.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from lythonic.compose.schedule import TemplateError, TriggerEvent, render_inputs
from lythonic.engine._webhook_auth import verify
from lythonic.logs import get_logger

if TYPE_CHECKING:
    from lythonic.compose.schedule import TriggerManager, TriggerSpec
    from lythonic.declarative import LythSettings

__all__ = ["KEPT_HEADERS", "TokenBucket", "WebhookApp", "WebhookSource"]

log = get_logger("lythonic.engine")

KEPT_HEADERS = frozenset(
    {
        "content-type",
        "user-agent",
        "x-github-event",
        "x-github-delivery",
        "x-github-hook-id",
        "webhook-id",
        "webhook-timestamp",
        "x-request-id",
    }
)
"""Headers an event row keeps (plus the trigger's ``dedupe_header``); never secrets."""


class TokenBucket:
    """At most ``rate`` requests a second on average, ``burst`` at once."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float]) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens = burst
        self.at = clock()

    def take(self) -> float:
        """0 when a request may go now, else the seconds until one may."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class _TooLarge(Exception):
    pass


async def _body(request: Any, limit: int) -> bytes:
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _parse(body: bytes, content_type: str) -> Any:
    """The body as templates read it: JSON when it says so (or GitHub's form with a
    ``payload`` field), else text. Raises ValueError for JSON that is not."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "application/json" or kind.endswith("+json"):
        return json.loads(body or b"null")
    if kind == "application/x-www-form-urlencoded":
        form = parse_qs(body.decode("utf-8", "replace"))
        if "payload" in form:
            return json.loads(form["payload"][0])
        return {k: v[0] if len(v) == 1 else v for k, v in form.items()}
    return body.decode("utf-8", "replace")


class WebhookApp:
    """The ASGI app answering ``POST /hooks/<trigger>`` for the triggers in ``specs``."""

    def __init__(
        self,
        manager: TriggerManager,
        settings: LythSettings,
        *,
        clock: Callable[[], float] = time.time,
        check_inputs: Callable[[TriggerSpec, dict[str, dict[str, Any]]], str | None] | None = None,
    ) -> None:
        self.manager = manager
        self.max_body = settings.webhook_max_body
        self.rate = settings.webhook_rate
        self.clock = clock
        self.check_inputs = check_inputs
        self.specs: dict[str, TriggerSpec] = {}
        self._buckets: dict[str, TokenBucket] = {}
        self._said_unset: set[str] = set()
        self.app = self._build()

    def _build(self) -> Any:
        from starlette.applications import Starlette
        from starlette.routing import Route

        return Starlette(
            routes=[
                Route("/hooks/{trigger}", self.receive, methods=["POST"]),
                Route("/hooks", self.health, methods=["GET"]),
            ]
        )

    async def health(self, request: Any) -> Any:
        from starlette.responses import JSONResponse

        return JSONResponse({"triggers": sorted(self.specs)})

    async def receive(self, request: Any) -> Any:
        from starlette.responses import JSONResponse, Response

        name = request.path_params["trigger"]
        try:
            body = await _body(request, self.max_body)
        except _TooLarge:
            return JSONResponse({"error": f"body over {self.max_body} bytes"}, status_code=413)
        spec = self.specs.get(name)
        if spec is None:
            return JSONResponse({"error": "no such webhook trigger"}, status_code=404)
        source = spec.source or {}
        secret = os.environ.get(str(source.get("secret_env")), "")
        if not secret:
            if name not in self._said_unset:
                self._said_unset.add(name)
                log.error(
                    "webhook secret is not set",
                    trigger=name,
                    variable=source.get("secret_env"),
                )
            return JSONResponse({"error": "the trigger is not ready"}, status_code=503)
        headers = {k.lower(): v for k, v in request.headers.items()}
        if not verify(str(source.get("auth")), secret, headers, body, self.clock()):
            return Response(status_code=401)
        bucket = self._buckets.get(name)
        if bucket is None:
            bucket = self._buckets[name] = TokenBucket(self.rate, 2 * self.rate, time.monotonic)
        wait = bucket.take()
        if wait:
            return JSONResponse(
                {"error": "too many requests"},
                status_code=429,
                headers={"Retry-After": str(max(1, round(wait + 0.5)))},
            )
        dedupe = source.get("dedupe_header")
        if dedupe:
            delivery = headers.get(str(dedupe).lower(), "")
            if not delivery:
                return JSONResponse({"error": f"header {dedupe} is missing"}, status_code=400)
            key = f"delivery:{delivery}"
        else:
            key = f"request:{uuid.uuid4()}"
        try:
            parsed = _parse(body, headers.get("content-type", ""))
        except ValueError:
            return JSONResponse({"error": "the body is not valid JSON"}, status_code=400)
        kept = {k: v for k, v in headers.items() if k in KEPT_HEADERS or k == str(dedupe).lower()}
        context = {"body": parsed, "header": headers}
        record = {"body": parsed, "headers": kept}
        problem = self._inputs_problem(spec, context)
        if problem is not None:
            store = self.manager.store
            failed = {**record, "error": problem}
            await store.aread(lambda: store.record_event(name, failed, status="error"))
            log.warning("webhook inputs refused", trigger=name, error=problem)
            return JSONResponse({"error": problem}, status_code=422)
        event = TriggerEvent(key, context, record)
        (offer,) = await self.manager.offer(name, [event])
        if offer.status == "duplicate":
            return JSONResponse({"duplicate": True, "run_id": offer.run_id}, status_code=200)
        if offer.status == "inactive":
            return JSONResponse({"error": "no such webhook trigger"}, status_code=404)
        answer: dict[str, Any] = {"event_id": offer.event_id, "run_id": offer.run_id}
        if offer.action == "skip":
            answer["skipped"] = True  # overlap: skip, a run of the trigger was going
        return JSONResponse(answer, status_code=202)

    def _inputs_problem(self, spec: TriggerSpec, context: dict[str, Any]) -> str | None:
        try:
            inputs = render_inputs(spec.payload or {}, context)
        except TemplateError as e:
            return f"inputs: {e}"
        if self.check_inputs is not None:
            return self.check_inputs(spec, inputs)
        return None


class WebhookSource:
    """The ``webhook`` kind of event source: one listener for all webhook triggers."""

    type = "webhook"

    def __init__(
        self,
        manager: TriggerManager,
        settings: LythSettings,
        check_inputs: Callable[[TriggerSpec, dict[str, dict[str, Any]]], str | None] | None = None,
    ) -> None:
        self.settings = settings
        self.web = WebhookApp(manager, settings, check_inputs=check_inputs)
        self.host = settings.webhook_host
        self.url: str | None = None
        self._server: Any = None
        self._socket: Any = None
        self._task: asyncio.Task[Any] | None = None

    async def apply(self, specs: dict[str, TriggerSpec]) -> None:
        self.web.specs = dict(specs)
        for name, spec in specs.items():
            variable = str((spec.source or {}).get("secret_env"))
            if not os.environ.get(variable):
                log.warning("webhook secret is not set", trigger=name, variable=variable)
        if self._task is None and specs:
            self._listen()

    def _listen(self) -> None:
        from lythonic.ui import bound_port, listen, make_server

        try:
            self._socket = listen(self.host, self.settings.webhook_port)
        except OSError as e:  # cron and files go on without webhooks
            log.error("the webhook listener cannot start", error=str(e))
            return
        port = bound_port(self._socket)
        self._server = make_server(self.web.app, self.host, port, own_signals=False)
        self._task = asyncio.ensure_future(self._server.serve(sockets=[self._socket]))
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.url = f"http://{host}:{port}/hooks/"
        log.info("webhook listener started", url=self.url, triggers=sorted(self.web.specs))

    async def stop(self) -> None:
        self.web.specs = {}  # a request arriving now gets 404: nothing new starts
        if self._server is not None:
            self._server.should_exit = True
        if self._task is not None:
            await asyncio.wait([self._task], timeout=5)
        if self._socket is not None:
            self._socket.close()

    def describe(self) -> dict[str, object]:
        return {
            "url": self.url,
            "triggers": {name: f"{self.url}{name}" for name in sorted(self.web.specs)}
            if self.url
            else {},
        }
