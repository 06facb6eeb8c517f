"""HTML building blocks of the web view: escaping, the page frame, tables, pagers.

No template engine: pages are small, and one escaping function that every
recorded value goes through is easier to audit than template auto-escaping
rules. Everything a user or a step wrote reaches the page through ``esc``.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from urllib.parse import urlencode

__all__ = ["Cell", "esc", "link", "page", "pager", "status_badge", "table", "when"]

Cell = str
"""A table cell's HTML (already escaped)."""


def esc(value: object) -> str:
    """``value`` as HTML text (quotes too: it may end up in an attribute).

    >>> esc("<script>alert(1)</script>")
    '&lt;script&gt;alert(1)&lt;/script&gt;'
    """
    return html.escape("" if value is None else str(value), quote=True)


def link(href: str, text: object, *, cls: str = "") -> str:
    attr = f' class="{esc(cls)}"' if cls else ""
    return f'<a href="{esc(href)}"{attr}>{esc(text)}</a>'


def with_query(path: str, params: Mapping[str, object | None]) -> str:
    """``path`` with the parameters that have a value.

    >>> with_query("/", {"dag": "etl", "status": None})
    '/?dag=etl'
    """
    kept = {k: str(v) for k, v in params.items() if v not in (None, "")}
    return f"{path}?{urlencode(kept)}" if kept else path


def when(moment: datetime | None) -> str:
    """A time as the page shows it (UTC, to the second) inside a ``<time>``."""
    if moment is None:
        return "-"
    return (
        f'<time datetime="{esc(moment.isoformat())}">'
        f"{esc(moment.strftime('%Y-%m-%d %H:%M:%S'))}</time>"
    )


def seconds(value: float | None) -> str:
    """A duration as people read it.

    >>> seconds(0.0042), seconds(75.5), seconds(None)
    ('4.2 ms', '1 min 15.5 s', '-')
    """
    if value is None:
        return "-"
    if value < 1:
        return f"{value * 1000:.1f} ms"
    if value < 60:
        return f"{value:.2f} s"
    minutes, rest = divmod(value, 60)
    return f"{int(minutes)} min {rest:.1f} s"


def status_badge(status: str | None) -> str:
    name = status or "not run"
    cls = "".join(ch for ch in name if ch.isalpha() or ch == "-") or "other"
    return f'<span class="badge st-{esc(cls)}">{esc(name)}</span>'


def table(headers: Sequence[str], rows: Iterable[Sequence[Cell]], *, cls: str = "") -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    attr = f' class="{esc(cls)}"' if cls else ""
    return f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def pager(next_href: str | None, first_href: str | None) -> str:
    """Links to the first page (when not on it) and the next one (when there is one)."""
    parts = []
    if first_href is not None:
        parts.append(link(first_href, "« newest", cls="first"))
    if next_href is not None:
        parts.append(link(next_href, "next page »", cls="next"))
    return f'<nav class="pager">{" ".join(parts)}</nav>' if parts else ""


def page(title: str, body: str, *, live: bool = False, crumbs: Sequence[str] = ()) -> str:
    """The frame every page shares; ``live`` pages refresh themselves while runs go."""
    trail = " / ".join([link("/", "runs"), *crumbs])
    nav = f'{trail} <span class="spacer"></span>{link("/triggers", "triggers")}'
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)} · lyth</title>"
        '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">'
        '<link rel="stylesheet" href="/static/ui.css">'
        '<script src="/static/ui.js" defer></script>'
        f'</head><body data-live="{1 if live else 0}">'
        f'<header><span class="brand">lyth</span> <nav class="crumbs">{nav}</nav></header>'
        f"<main>{body}</main></body></html>\n"
    )
