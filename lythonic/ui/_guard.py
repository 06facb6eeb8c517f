"""What keeps the web view read-only and private: an ASGI middleware in front of
every route.

- Only ``GET`` and ``HEAD`` (anything else: 405): the view changes nothing.
- The ``Host`` header must name this server (a loopback name, or the host it
  was started on): a page of another site cannot reach it through a DNS name
  rebound to 127.0.0.1.
- With a token: ``Authorization: Bearer <token>``, or the cookie it sets, or
  once ``?token=<token>``, which is answered with a redirect to the same page
  without it and an ``HttpOnly``, ``SameSite=Strict`` cookie (the token leaves
  the address bar and the history).
- Every answer carries a strict Content-Security-Policy (scripts and styles
  from this server only, no inline code), ``nosniff`` and no referrer.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

__all__ = ["COOKIE", "CSP", "Guard", "is_loopback"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

COOKIE = "lyth_ui_token"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]
_LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1", "[::1]")


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or address to listen on) is this machine only.

    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    import ipaddress

    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Guard:
    """The middleware; ``hosts``: the host names (without port) requests may name."""

    def __init__(self, app: App, *, token: str | None, hosts: set[str]) -> None:
        self.app = app
        self.token = token
        self.hosts = {h.lower() for h in hosts} | set(_LOOPBACK_NAMES)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if scope["method"] not in ("GET", "HEAD"):
            await _answer(send, 405, "read-only: only GET and HEAD\n", [(b"allow", b"GET, HEAD")])
            return
        if _host_name(headers.get("host", "")) not in self.hosts:
            await _answer(send, 400, "this server does not answer to that Host name\n")
            return
        if self.token is not None:
            query = parse_qsl(scope.get("query_string", b"").decode("latin-1"))
            given = dict(query).get("token")
            if given is not None:
                await self._exchange(scope, send, query, given)
                return
            if not self._authorized(headers):
                await _answer(
                    send,
                    401,
                    "a token is needed: open the page once with ?token=..., or send "
                    "Authorization: Bearer ...\n",
                    [(b"www-authenticate", b'Bearer realm="lyth ui"')],
                )
                return

        async def with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)

    def _authorized(self, headers: dict[str, str]) -> bool:
        assert self.token is not None
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer ") and _same(auth[7:].strip(), self.token):
            return True
        for part in headers.get("cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == COOKIE and _same(value, self.token):
                return True
        return False

    async def _exchange(
        self, scope: Scope, send: Send, query: list[tuple[str, str]], given: str
    ) -> None:
        assert self.token is not None
        if not _same(given, self.token):
            await _answer(send, 401, "wrong token\n")
            return
        rest = urlencode([(k, v) for k, v in query if k != "token"])
        target = scope.get("path", "/") + (f"?{rest}" if rest else "")
        cookie = f"{COOKIE}={self.token}; HttpOnly; SameSite=Strict; Path=/"
        await _answer(
            send,
            303,
            "",
            [(b"location", target.encode("latin-1")), (b"set-cookie", cookie.encode("latin-1"))],
        )


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _host_name(host: str) -> str:
    """The name of a ``Host`` header, without its port.

    >>> _host_name("127.0.0.1:8765"), _host_name("[::1]:80"), _host_name("Example.org")
    ('127.0.0.1', '[::1]', 'example.org')
    """
    host = host.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1]
    return host.rsplit(":", 1)[0] if ":" in host else host


async def _answer(
    send: Send, status: int, text: str, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = text.encode()
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        *_HEADERS,
        *(extra or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
