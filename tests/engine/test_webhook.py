"""Webhook triggers: signatures, answers and claims of `POST /hooks/<trigger>`, in
process (the ASGI app over real stores) and on a real `lyth start`."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import signal
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from lythonic.compose.dag_provenance import DagProvenance
from lythonic.compose.schedule import TriggerStore
from lythonic.declarative import LythSettings
from lythonic.engine._triggers import ConfigTriggers
from lythonic.engine._webhook import WebhookApp
from lythonic.engine._webhook_auth import standard_signature, verify
from tests.engine import steps
from tests.engine.conftest import Compile
from tests.engine.test_daemon import Project, wait_for

SECRET = "It's a Secret to Everybody"
HOOKS = """
dags:
  stamped:
    nodes:
      stamp: tests.engine.steps:stamp
triggers:
  push:
    dag: stamped
    type: webhook
    auth: github
    secret_env: LYTH_TEST_HOOK_SECRET
    dedupe_header: X-GitHub-Delivery
    inputs: {stamp: {label: "{body.ref}"}}
  std:
    dag: stamped
    type: webhook
    auth: standard-webhooks
    secret_env: LYTH_TEST_STD_SECRET
    inputs: {stamp: {label: "{header.x-label}"}}
  token:
    dag: stamped
    type: webhook
    auth: bearer
    secret_env: LYTH_TEST_TOKEN
    inputs: {stamp: {label: token, extra: "{body.n}"}}
  nightly: {dag: stamped, cron: "0 3 * * *"}
"""
STD_KEY = "whsec_" + base64.b64encode(b"a standard webhooks key!").decode()


def github_headers(body: bytes, delivery: str, secret: str = SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {
        "X-Hub-Signature-256": f"sha256={digest}",
        "X-GitHub-Delivery": delivery,
        "Content-Type": "application/json",
        "Authorization": "token should-never-be-kept",
    }


def test_github_signature_matches_githubs_documented_example() -> None:
    """The example of GitHub's docs verifies; one changed byte of body or secret does not."""
    headers = {
        "x-hub-signature-256": "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    }
    assert verify("github", SECRET, headers, b"Hello, World!", 0)
    assert not verify("github", SECRET, headers, b"Hello, World?", 0)
    assert not verify("github", SECRET + "x", headers, b"Hello, World!", 0)
    assert not verify("github", SECRET, {}, b"Hello, World!", 0)


def test_standard_webhooks_signature_and_its_five_minute_window() -> None:
    """A Standard Webhooks signature (computed here from the spec: HMAC-SHA256 of
    `id.timestamp.body` with the base64 key after `whsec_`) verifies within 5 minutes
    of its timestamp, among other signatures of the header; a 6-minute-old one does not."""
    body, now = b'{"a":1}', 1_700_000_000
    key = base64.b64decode(STD_KEY.removeprefix("whsec_"))
    mac = hmac.new(key, f"msg_1.{now}.".encode() + body, hashlib.sha256).digest()
    mine = "v1," + base64.b64encode(mac).decode()
    assert standard_signature(STD_KEY, "msg_1", str(now), body) == mine
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(now),
        "webhook-signature": f"v1,bm90IGl0 {mine}",
    }
    assert verify("standard-webhooks", STD_KEY, headers, body, now + 299)
    assert not verify("standard-webhooks", STD_KEY, headers, body, now + 360)
    assert not verify("standard-webhooks", STD_KEY, headers, body + b" ", now)
    assert not verify("standard-webhooks", STD_KEY, {**headers, "webhook-id": "msg_2"}, body, now)


def test_bearer_token_must_match_exactly() -> None:
    """`Authorization: Bearer <secret>` passes; another scheme or token does not."""
    assert verify("bearer", "s3cret-token", {"authorization": "Bearer s3cret-token"}, b"", 0)
    assert not verify("bearer", "s3cret-token", {"authorization": "Basic s3cret-token"}, b"", 0)
    assert not verify("bearer", "s3cret-token", {"authorization": "Bearer s3cret"}, b"", 0)
    assert not verify("bearer", "", {"authorization": "Bearer "}, b"", 0)


class Hooks:
    """The webhook app of a config on real SQLite stores, its manager running."""

    def __init__(self, tmp_path: Path, compiled: Compile, **settings: Any) -> None:
        self.cfg = compiled(HOOKS)
        self.store = TriggerStore(tmp_path / "triggers.db")
        self.prov = DagProvenance(tmp_path / "dags.db")
        self.manager = ConfigTriggers(self.cfg, self.store, self.prov)
        self.settings = LythSettings(allow_imports=["tests.engine"], **settings)
        self.web = WebhookApp(self.manager, self.settings, check_inputs=self.manager.input_problem)
        specs = self.manager.specs()
        self.web.specs = {n: s for n, s in specs.items() if s.type == "webhook"}
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.web.app), base_url="http://hooks"
        )

    async def post(self, trigger: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
        return await self.client.post(f"/hooks/{trigger}", content=body, headers=headers)

    def events(self, trigger: str) -> list[dict[str, Any]]:
        return self.store.get_events(trigger)


@pytest.fixture
async def hooks(
    tmp_path: Path, compiled: Compile, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Hooks]:
    monkeypatch.setenv("LYTH_TEST_HOOK_SECRET", SECRET)
    monkeypatch.setenv("LYTH_TEST_STD_SECRET", STD_KEY)
    monkeypatch.setenv("LYTH_TEST_TOKEN", "s3cret-token")
    h = Hooks(tmp_path, compiled)
    h.manager.activate_configured()
    h.manager.start()
    await asyncio.sleep(0.05)
    yield h
    await h.client.aclose()
    await h.manager.shutdown(5)
    h.store.close()
    h.prov.close()


async def test_a_signed_delivery_runs_once_with_its_body_and_a_replay_starts_nothing(
    hooks: Hooks,
) -> None:
    """202 with the run id; the run's step gets `{body.ref}`; the event keeps the body
    and harmless headers but never Authorization or the signature; the same delivery
    id again gets 200 duplicate with the same run id and starts nothing."""
    body = json.dumps({"ref": "refs/heads/main"}).encode()
    answer = await hooks.post("push", body, github_headers(body, "d-1"))
    assert answer.status_code == 202, answer.text
    run_id = answer.json()["run_id"]
    await hooks.manager.drain()
    assert [label for rid, _, label in steps.SEEN if rid == run_id] == ["refs/heads/main"]
    again = await hooks.post("push", body, github_headers(body, "d-1"))
    assert again.status_code == 200 and again.json() == {"duplicate": True, "run_id": run_id}
    await hooks.manager.drain()
    (event,) = hooks.events("push")
    assert event["status"] == "completed" and event["run_id"] == run_id
    kept = json.loads(event["payload_json"])
    assert kept["body"] == {"ref": "refs/heads/main"}
    assert kept["headers"]["x-github-delivery"] == "d-1"
    assert "authorization" not in kept["headers"]
    assert "x-hub-signature-256" not in kept["headers"]


async def test_refusals_write_nothing(hooks: Hooks, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bad signature gets 401, an unknown or cron trigger 404, an oversize body 413, a
    missing delivery id 400, an unset secret 503 — and no event row for any of them."""
    body = b'{"ref": "x"}'
    bad = github_headers(body, "d-2", secret="wrong")
    assert (await hooks.post("push", body, bad)).status_code == 401
    good = github_headers(body, "d-3")
    assert (await hooks.post("nope", body, good)).status_code == 404
    assert (await hooks.post("nightly", body, good)).status_code == 404
    big = b'{"ref": "' + b"x" * (1024 * 1024) + b'"}'
    assert (await hooks.post("push", big, github_headers(big, "d-4"))).status_code == 413
    no_id = {k: v for k, v in good.items() if k != "X-GitHub-Delivery"}
    assert (await hooks.post("push", body, no_id)).status_code == 400
    monkeypatch.delenv("LYTH_TEST_HOOK_SECRET")
    assert (await hooks.post("push", body, good)).status_code == 503
    assert hooks.events("push") == [] and hooks.events("nightly") == []


async def test_a_disabled_webhook_trigger_answers_404(hooks: Hooks) -> None:
    """`lyth trigger disable` (the store's status) stops a webhook trigger: 404, no event;
    enabled again, the same delivery runs."""
    body = b'{"ref": "x"}'
    hooks.manager.deactivate("push")
    await asyncio.sleep(0.05)  # the scheduler applies it
    assert (await hooks.post("push", body, github_headers(body, "d-9"))).status_code == 404
    assert hooks.events("push") == []
    hooks.manager.activate("push")
    await asyncio.sleep(0.05)
    assert (await hooks.post("push", body, github_headers(body, "d-9"))).status_code == 202


async def test_standard_webhooks_and_bearer_triggers(hooks: Hooks) -> None:
    """A fresh Standard Webhooks signature runs (its header reaches the input); a stale
    one gets 401; a bearer token runs with `{body.n}` typed as the parameter's int."""
    body, now = b'{"x": 1}', int(time.time())
    headers = {
        "webhook-id": "msg_9",
        "webhook-timestamp": str(now),
        "webhook-signature": standard_signature(STD_KEY, "msg_9", str(now), body),
        "x-label": "from-header",
        "content-type": "application/json",
    }
    ok = await hooks.post("std", body, headers)
    assert ok.status_code == 202, ok.text
    stale = {**headers, "webhook-timestamp": str(now - 360)}
    stale["webhook-signature"] = standard_signature(STD_KEY, "msg_9", str(now - 360), body)
    assert (await hooks.post("std", body, stale)).status_code == 401
    token = await hooks.post(
        "token",
        b'{"n": 7}',
        {"Authorization": "Bearer s3cret-token", "Content-Type": "application/json"},
    )
    assert token.status_code == 202, token.text
    await hooks.manager.drain()
    runs = {rid: label for rid, _, label in steps.SEEN}
    assert runs[ok.json()["run_id"]] == "from-header"
    assert runs[token.json()["run_id"]] == "token"
    assert hooks.prov.get_run(token.json()["run_id"])["status"] == "completed"  # type: ignore[index]


async def test_inputs_that_cannot_be_filled_or_do_not_fit_get_422_and_an_error_event(
    hooks: Hooks,
) -> None:
    """A body without the field a template names, or a value of the wrong type for the
    parameter, is refused with 422 and recorded as an `error` event; no run starts."""
    body = b'{"other": 1}'
    missing = await hooks.post("push", body, github_headers(body, "d-5"))
    assert missing.status_code == 422 and "body" in missing.json()["error"]
    wrong = await hooks.post(
        "token",
        b'{"n": "seven"}',
        {"Authorization": "Bearer s3cret-token", "Content-Type": "application/json"},
    )
    assert wrong.status_code == 422 and "extra" in wrong.json()["error"]
    assert [e["status"] for e in hooks.events("push")] == ["error"]
    assert [e["status"] for e in hooks.events("token")] == ["error"]
    assert steps.SEEN == []


async def test_over_the_rate_a_request_gets_429_with_retry_after(
    tmp_path: Path, compiled: Compile, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With LYTH_WEBHOOK_RATE=1 (burst 2), the third request at once gets 429 and a
    Retry-After; nothing is recorded for it."""
    monkeypatch.setenv("LYTH_TEST_TOKEN", "s3cret-token")
    h = Hooks(tmp_path, compiled, webhook_rate=1.0)
    h.manager.activate_configured()
    h.manager.start()
    await asyncio.sleep(0.05)
    auth = {"Authorization": "Bearer s3cret-token", "Content-Type": "application/json"}
    codes = [(await h.post("token", b'{"n": 1}', auth)).status_code for _ in range(3)]
    limited = await h.post("token", b'{"n": 1}', auth)
    assert codes[:2] == [202, 202] and codes[2] == 429 and limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    await h.manager.drain()
    assert len(h.events("token")) == 2
    await h.client.aclose()
    await h.manager.shutdown(5)
    h.store.close()
    h.prov.close()


# -- a real daemon ----------------------------------------------------------------

DAEMON_HOOK = """\
dags:
  ping:
    nodes:
      tick: pipes.steps:tick
triggers:
  push:
    dag: ping
    type: webhook
    auth: github
    secret_env: HOOK_SECRET
    dedupe_header: X-GitHub-Delivery
    inputs: {tick: {label: "{body.ref}"}}
"""


def _webhook_url(project: Project) -> str:
    return str((project.record().get("sources") or {}).get("webhook", {}).get("url") or "")


def _trigger_events(project: Project) -> list[tuple[str, str]]:
    with sqlite3.connect(project.data / "triggers.db") as conn:
        return conn.execute(
            "SELECT dedupe_key, status FROM trigger_events WHERE trigger_name = 'push'"
        ).fetchall()


@pytest.mark.slow
def test_a_daemon_runs_signed_deliveries_once_and_refuses_bad_ones(project: Project) -> None:
    """A real `lyth start`: a POST with a valid GitHub signature starts a run (within 1 s
    of the request: measured in `make bench`), `lyth status` shows the listener, a bad
    signature gets 401 and starts nothing, a replayed delivery id starts nothing new;
    1,000 deliveries by 20 concurrent senders are all accounted for (a 429 is retried
    after its Retry-After), and sending them all again starts no run."""
    project.write(DAEMON_HOOK)
    proc = project.start(env={"LYTH_WEBHOOK_PORT": "0", "HOOK_SECRET": SECRET})
    url = wait_for("the webhook listener", lambda: _webhook_url(project))
    assert "webhooks" in project.lyth("status").stdout

    def send(client: httpx.Client, i: int) -> httpx.Response:
        body = json.dumps({"ref": f"r{i}"}).encode()
        while True:
            answer = client.post(url + "push", content=body, headers=github_headers(body, f"d{i}"))
            if answer.status_code != 429:
                return answer
            time.sleep(float(answer.headers["retry-after"]))

    with httpx.Client(timeout=30) as client:
        first = send(client, 0)
        assert first.status_code == 202, first.text
        run_id = first.json()["run_id"]
        wait_for("the run", lambda: any(r["run_id"] == run_id for r in project.runs()))
        body = b'{"ref": "evil"}'
        bad = client.post(
            url + "push", content=body, headers=github_headers(body, "evil", secret="nope")
        )
        assert bad.status_code == 401
        assert send(client, 0).json() == {"duplicate": True, "run_id": run_id}

    async def flood() -> list[int]:
        limits = httpx.Limits(max_connections=20)
        async with httpx.AsyncClient(timeout=30, limits=limits) as client:
            gate = asyncio.Semaphore(20)

            async def one(i: int) -> int:
                body = json.dumps({"ref": f"r{i}"}).encode()
                async with gate:
                    while True:
                        answer = await client.post(
                            url + "push", content=body, headers=github_headers(body, f"d{i}")
                        )
                        if answer.status_code != 429:
                            return answer.status_code
                        await asyncio.sleep(float(answer.headers["retry-after"]))

            return await asyncio.gather(*(one(i) for i in range(1, 1001)))

    codes = asyncio.run(flood())
    assert codes.count(202) == 1000
    wait_for(
        "1,001 finished runs",
        lambda: sum(r["status"] == "completed" for r in project.runs()) == 1001,
        timeout=120,
    )
    assert asyncio.run(flood()) == [200] * 1000
    events = _trigger_events(project)
    assert len(events) == 1001 and len({k for k, _ in events}) == 1001
    assert "evil" not in {k for k, _ in events}
    assert len(project.runs()) == 1001
    os.kill(proc.pid, signal.SIGTERM)
    assert proc.wait(30) == 0
