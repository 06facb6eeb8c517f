"""Event trigger targets (issue: event triggers), on a real loopback listener:

    .venv/bin/python bench/event_targets.py      # prints one JSON line

- webhook: after 100 to warm up, 2,000 GitHub-signed POSTs by 20 concurrent senders to the listener
  of ``lyth start`` (the same app and uvicorn server, with a ``ConfigTriggers``
  on real SQLite stores): p50/p99 of the 202 answer, p95 of request sent → the
  run's step started, and a redelivery of all 2,000 (duplicates: no new run);
- a bad signature: median time of its 401 (nothing is written);
- files: 200 files written one by one into a watched directory (inotify,
  ``stable_for: 500ms``): p95 of file closed → its run's step started; then the
  CPU the idle watcher uses over 10 s, as a share of one core.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

SECRET = "bench-secret"
STARTED: dict[str, float] = {}


async def mark(ref: str) -> str:
    """The bench's step: notes when it started, by the delivery it came from."""
    STARTED[ref] = time.perf_counter()
    return ref


CONFIG = """
dags:
  hook:
    nodes:
      mark: event_targets:mark
triggers:
  push:
    dag: hook
    type: webhook
    auth: github
    secret_env: BENCH_HOOK_SECRET
    dedupe_header: X-GitHub-Delivery
    inputs: {mark: {ref: "{body.ref}"}}
"""


def _headers(body: bytes, delivery: str, secret: str = SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {
        "X-Hub-Signature-256": f"sha256={digest}",
        "X-GitHub-Delivery": delivery,
        "Content-Type": "application/json",
    }


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _started(root: Path, text: str, settings: Any, name: str) -> tuple[Any, Any, Any]:
    """A started ``ConfigTriggers`` of config ``text`` on SQLite stores ``name-*.db``."""
    from lythonic.compose.dag_provenance import DagProvenance
    from lythonic.compose.schedule import TriggerStore
    from lythonic.declarative import compile_config
    from lythonic.engine._triggers import ConfigTriggers

    cfg, diags = compile_config(text, file="lyth.yaml", base_dir=root, settings=settings)
    assert cfg is not None, [str(d) for d in diags]
    store = TriggerStore(root / f"{name}-triggers.db")
    prov = DagProvenance(root / f"{name}-dags.db")
    manager = ConfigTriggers(cfg, store, prov)
    manager.activate_configured()
    manager.start()
    return manager, store, prov


async def webhook(root: Path) -> dict[str, float]:

    import logging

    import structlog

    from lythonic.declarative import LythSettings
    from lythonic.engine._webhook import WebhookSource

    # As in the daemon at its default level: the INFO line per run is not rendered.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    os.environ["BENCH_HOOK_SECRET"] = SECRET
    settings = LythSettings(allow_imports=["event_targets"], webhook_port=0, webhook_rate=1e6)
    manager, store, prov = _started(root, CONFIG, settings, "hooks")
    source = WebhookSource(manager, settings, check_inputs=manager.input_problem)
    await source.apply({n: s for n, s in manager.specs().items() if s.type == "webhook"})
    url = f"{source.url}push"
    # The senders run in a process of their own, as real senders do.
    proc = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "send", url, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await proc.communicate()
    sent_at, answered, first, again, bad_times = json.loads(out.decode().strip().splitlines()[-1])
    await manager.drain()
    runs = len(store.get_events("push"))
    await source.stop()
    await manager.shutdown(5)
    store.close()
    prov.close()
    import event_targets  # the module the config's step came from (this file runs as __main__)

    marks = event_targets.STARTED
    # perf_counter is CLOCK_MONOTONIC: one clock for both processes of this machine.
    to_start = [marks[ref] - at for ref, at in sent_at.items() if ref in marks]
    return {
        "accepted": float(first.count(202)),
        "duplicates": float(again.count(200)),
        "events": float(runs),
        "p50_ms": _pct(answered, 0.5) * 1000,
        "p99_ms": _pct(answered, 0.99) * 1000,
        "start_p95_ms": _pct(to_start, 0.95) * 1000,
        "bad_ms": _pct(bad_times, 0.5) * 1000,
    }


async def send(url: str) -> list[object]:
    """2,000 signed deliveries, 20 at once, then all again, then 50 bad signatures."""
    import httpx

    sent: dict[str, float] = {}
    answered: list[float] = []
    limits = httpx.Limits(max_connections=20)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        gate = asyncio.Semaphore(20)

        async def one(i: int, record: bool) -> int:
            body = json.dumps({"ref": f"r{i}"}).encode()
            headers = _headers(body, f"d{i}")
            async with gate:
                started = time.perf_counter()
                answer = await client.post(url, content=body, headers=headers)
                if record:
                    sent[f"r{i}"] = started
                    answered.append(time.perf_counter() - started)
                return answer.status_code

        # Warm up first (connections opened, first run's code paths loaded): 100 more.
        await asyncio.gather(*(one(i, False) for i in range(2000, 2100)))
        first = await asyncio.gather(*(one(i, True) for i in range(2000)))
        await asyncio.sleep(1)  # the runs finish
        again = await asyncio.gather(*(one(i, False) for i in range(2000)))
        bad_times = []
        for i in range(50):
            body = b'{"ref": "x"}'
            headers = _headers(body, f"b{i}", "no")
            started = time.perf_counter()
            answer = await client.post(url, content=body, headers=headers)
            bad_times.append(time.perf_counter() - started)
            assert answer.status_code == 401
    return [sent, answered, first, again, bad_times]


FILES = """
dags:
  arrive:
    nodes:
      mark: event_targets:mark
triggers:
  drops:
    dag: arrive
    type: file
    path: incoming
    stable_for: 500ms
    inputs: {mark: {ref: "{file.name}"}}
"""


async def files(root: Path) -> dict[str, float]:
    from lythonic.declarative import LythSettings
    from lythonic.engine._file_trigger import FileSource

    (root / "incoming").mkdir()
    settings = LythSettings(allow_imports=["event_targets"])
    manager, store, prov = _started(root, FILES, settings, "files")
    source = FileSource(manager)
    await source.apply({n: s for n, s in manager.specs().items() if s.type == "file"})
    await asyncio.sleep(0.5)
    import event_targets

    marks = event_targets.STARTED
    written: dict[str, float] = {}
    for i in range(200):
        name = f"f{i}.csv"
        (root / "incoming" / name).write_text("x" * 100)
        written[name] = time.perf_counter()
        await asyncio.sleep(0.01)
    deadline = time.perf_counter() + 30
    while len([n for n in written if n in marks]) < 200 and time.perf_counter() < deadline:  # noqa: ASYNC110 -- the step marks a dict from another task
        await asyncio.sleep(0.05)
    await manager.drain()
    took = [marks[n] - at for n, at in written.items() if n in marks]
    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.sleep(10)
    idle = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
    await source.stop()
    await manager.shutdown(5)
    store.close()
    prov.close()
    return {"runs": float(len(took)), "start_p95_s": _pct(took, 0.95), "idle_cpu": idle}


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "send":
        print(json.dumps(asyncio.run(send(sys.argv[2]))))
        return
    sys.path.insert(0, str(HERE))
    with tempfile.TemporaryDirectory() as d:
        out = {"webhook": asyncio.run(webhook(Path(d))), "files": asyncio.run(files(Path(d)))}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
