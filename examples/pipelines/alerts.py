"""A run hook: post the run summary as JSON to a webhook URL (Slack, a pager, a bot).

The URL comes from the environment (``ALERT_WEBHOOK_URL``), never from lyth.yaml::

    dags:
      etl:
        on_failure: pipelines.alerts:post_summary
        on_late: pipelines.alerts:post_summary

A hook runs after the run is on record and may take up to 30 s; when it raises
(the endpoint is down), lythonic logs it and the run's result stands.
"""

from __future__ import annotations

import json
import os
import urllib.request
from typing import Any


def post_summary(summary: Any) -> int:
    """POST ``summary.to_dict()`` to ``$ALERT_WEBHOOK_URL``; the HTTP status."""
    url = os.environ.get("ALERT_WEBHOOK_URL")
    if not url:
        raise RuntimeError("ALERT_WEBHOOK_URL is not set: nowhere to post the run summary")
    data = summary.to_dict()
    text = f"run {data['run_id']} of {data['dag']}: {data['status']}"
    if data["late"]:
        text += f" (late: not completed {data['sla']:g}s after it was due)"
    if data["error"]:
        text += f" - {data['error']}"
    body = json.dumps({"text": text, "run": data}).encode()
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return int(answer.status)
