"""Checking that a webhook request comes from its sender: GitHub's HMAC signature,
Standard Webhooks signatures, or a bearer token. Everything is compared in constant
time over the raw body bytes, before the body is parsed.

>>> github_signature(b"It's a Secret to Everybody", b"Hello, World!")
'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17'
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping

__all__ = [
    "MAX_SKEW",
    "github_signature",
    "standard_signature",
    "verify",
]

MAX_SKEW = 300.0
"""Seconds a Standard Webhooks timestamp may be off from now, either way."""


def github_signature(secret: bytes, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value GitHub sends for ``body``."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def _standard_key(secret: str) -> bytes:
    raw = secret.removeprefix("whsec_")
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        return secret.encode()  # not base64: the text is the key


def standard_signature(secret: str, msg_id: str, timestamp: str, body: bytes) -> str:
    """The ``webhook-signature`` entry (``v1,<base64>``) a Standard Webhooks sender makes."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_standard_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def _github(secret: str, headers: Mapping[str, str], body: bytes) -> bool:
    given = headers.get("x-hub-signature-256", "")
    return hmac.compare_digest(given.encode(), github_signature(secret.encode(), body).encode())


def _standard(secret: str, headers: Mapping[str, str], body: bytes, now: float) -> bool:
    msg_id = headers.get("webhook-id", "")
    stamp = headers.get("webhook-timestamp", "")
    if not msg_id or not stamp.isdigit() or abs(now - int(stamp)) > MAX_SKEW:
        return False
    expected = standard_signature(secret, msg_id, stamp, body).encode()
    found = False
    for entry in headers.get("webhook-signature", "").split():
        found |= hmac.compare_digest(entry.encode(), expected)  # no early exit
    return found


def _bearer(secret: str, headers: Mapping[str, str]) -> bool:
    scheme, _, token = headers.get("authorization", "").partition(" ")
    ok = hmac.compare_digest(token.strip().encode(), secret.encode())
    return scheme.lower() == "bearer" and ok


def verify(auth: str, secret: str, headers: Mapping[str, str], body: bytes, now: float) -> bool:
    """Whether the request (``headers`` with lower-case names, the raw ``body``)
    proves it knows ``secret`` by the ``auth`` scheme; ``now`` in Unix seconds."""
    if not secret:
        return False
    if auth == "github":
        return _github(secret, headers, body)
    if auth == "standard-webhooks":
        return _standard(secret, headers, body, now)
    if auth == "bearer":
        return _bearer(secret, headers)
    return False
