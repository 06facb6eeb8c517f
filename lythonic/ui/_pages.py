"""The web view's pages as HTML: the runs list, one run, one step, a composite
step's child runs, the triggers. Pure functions of data read before (``UiSource``)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from lythonic.compose.provenance import DagRun, NodeExecution, node_seconds, run_seconds
from lythonic.ui._html import (
    esc,
    link,
    page,
    pager,
    seconds,
    status_badge,
    table,
    when,
    with_query,
)
from lythonic.ui._source import RunGraph, count_caption, step_href
from lythonic.ui._svg import render_svg

__all__ = [
    "FILTERS",
    "RUN_STATUSES",
    "ValueView",
    "children_page",
    "not_found_page",
    "run_page",
    "runs_page",
    "step_page",
    "triggers_page",
]

FILTERS = ("dag", "status", "trigger", "initiator")
RUN_STATUSES = ("running", "completed", "failed", "paused", "cancelled", "interrupted")


def run_href(run_id: str) -> str:
    return f"/runs/{quote(run_id, safe='')}"


def _error_line(text: str | None) -> str:
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


# -- runs ---------------------------------------------------------------------------


def _filter_form(filters: Mapping[str, str | None]) -> str:
    def field(name: str, placeholder: str) -> str:
        return (
            f'<label>{esc(name)} <input name="{esc(name)}" value="{esc(filters.get(name))}" '
            f'placeholder="{esc(placeholder)}"></label>'
        )

    options = "".join(
        f'<option value="{esc(s)}"{" selected" if filters.get("status") == s else ""}>{esc(s)}'
        "</option>"
        for s in ("", *RUN_STATUSES)
    )
    return (
        '<form class="filters" method="get" action="/">'
        + field("dag", "any DAG")
        + f'<label>status <select name="status">{options}</select></label>'
        + field("trigger", "any trigger")
        + field("initiator", "e.g. scheduler")
        + '<button type="submit">filter</button></form>'
    )


def runs_page(
    runs: Sequence[DagRun],
    filters: Mapping[str, str | None],
    next_href: str | None,
    first_href: str | None,
    note: str = "",
) -> str:
    rows = [
        [
            link(run_href(r.run_id), r.run_id, cls="run"),
            esc(r.dag_nsref),
            status_badge(r.status),
            when(r.started_at),
            esc(seconds(run_seconds(r))),
            esc(r.initiated_by or "-"),
            f'<span class="error">{esc(_error_line(r.error))}</span>',
        ]
        for r in runs
    ]
    body = "<h1>Runs</h1>" + _filter_form(filters)
    if note:
        body += f'<p class="note">{esc(note)}</p>'
    if rows:
        body += table(
            ["run", "DAG", "status", "started (UTC)", "took", "by", "error"], rows, cls="runs"
        )
    else:
        body += '<p class="empty">No runs match.</p>'
    body += pager(next_href, first_href)
    return page("Runs", body, live=any(r.status == "running" for r in runs))


# -- one run ------------------------------------------------------------------------


def _header(run: DagRun, trigger: str | None) -> str:
    facts = [
        ("status", status_badge(run.status)),
        ("DAG", esc(run.dag_nsref)),
        ("started (UTC)", when(run.started_at)),
        ("finished (UTC)", when(run.finished_at)),
        ("took", esc(seconds(run_seconds(run)))),
        ("trigger", esc(trigger or "-")),
        ("initiated by", esc(run.initiated_by or "-")),
        ("config revision", esc(run.config_revision or "-")),
    ]
    if run.parent_run_id:
        facts.append(("parent run", link(run_href(run.parent_run_id), run.parent_run_id)))
    dl = "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in facts)
    error = f'<pre class="error">{esc(run.error)}</pre>' if run.error else ""
    return f'<dl class="facts">{dl}</dl>{error}'


def _steps_table(run: DagRun, graph: RunGraph, counts: Mapping[str, Mapping[str, int]]) -> str:
    order = [n.label for n in graph.nodes] + [k for k in run.nodes if k not in graph.nodes]
    seen: set[str] = set()
    rows = []
    for label in order:
        if label in seen:
            continue
        seen.add(label)
        n = run.nodes.get(label)
        took = node_seconds(n)
        error = "" if n is None or n.status in ("completed", "skipped") else _error_line(n.error)
        children = ""
        if label in counts:
            href = f"{run_href(run.run_id)}/children?step={quote(label, safe='')}"
            children = link(href, count_caption(counts[label]))
        rows.append(
            [
                link(step_href(run.run_id, label), label),
                status_badge(n.status if n is not None else None),
                esc(n.attempt if n is not None else "-"),
                when(n.started_at if n is not None else None),
                esc(seconds(took)),
                children,
                f'<span class="error">{esc(error)}</span>',
            ]
        )
    return table(
        ["step", "status", "attempt", "started (UTC)", "took", "child runs", "error"],
        rows,
        cls="steps",
    )


def run_page(
    run: DagRun,
    graph: RunGraph,
    counts: Mapping[str, Mapping[str, int]],
    trigger: str | None,
) -> str:
    svg = render_svg(graph.nodes, graph.edges, title=f"DAG of run {run.run_id}")
    body = (
        f"<h1>Run <code>{esc(run.run_id)}</code></h1>"
        + _header(run, trigger)
        + f'<section class="graph"><h2>Graph</h2><p class="note">{esc(graph.note)}</p>'
        + f'<div class="svg">{svg}</div></section>'
        + "<section><h2>Steps</h2>"
        + _steps_table(run, graph, counts)
        + "</section>"
    )
    crumbs = []
    if run.parent_run_id:
        crumbs.append(link(run_href(run.parent_run_id), "parent run"))
    crumbs.append(esc(run.run_id))
    return page(f"Run {run.run_id}", body, live=run.status == "running", crumbs=crumbs)


def children_page(
    run: DagRun,
    step: str,
    children: Sequence[DagRun],
    counts: Mapping[str, int],
    status: str | None,
    next_href: str | None,
    first_href: str | None,
) -> str:
    base = f"{run_href(run.run_id)}/children"
    choices = " ".join(
        link(with_query(base, {"step": step, "status": s}), f"{s} ({n:,})")
        for s, n in sorted(counts.items())
    )
    rows = [
        [
            link(run_href(c.run_id), c.dag_nsref.rsplit("/", 1)[-1]),
            link(run_href(c.run_id), c.run_id, cls="run"),
            status_badge(c.status),
            when(c.started_at),
            esc(seconds(run_seconds(c))),
            f'<span class="error">{esc(_error_line(c.error))}</span>',
        ]
        for c in children
    ]
    body = (
        f"<h1>Child runs of step <code>{esc(step)}</code></h1>"
        f"<p>{esc(count_caption(counts))} — show: {link(with_query(base, {'step': step}), 'all')} "
        f"{choices}</p>"
        + (f'<p class="note">only: {esc(status)}</p>' if status else "")
        + table(["element", "run", "status", "started (UTC)", "took", "error"], rows, cls="runs")
        + pager(next_href, first_href)
    )
    crumbs = [link(run_href(run.run_id), run.run_id), esc(step)]
    return page(f"{step} of {run.run_id}", body, crumbs=crumbs)


# -- one step -----------------------------------------------------------------------


class ValueView:
    """A recorded value as the step page shows it: decoded and pretty-printed, or,
    past the size limit, its size, the start of its JSON text and a download link."""

    __slots__ = ("download", "size", "text", "truncated", "type_name")

    def __init__(
        self,
        text: str | None,
        size: int | None,
        download: str,
        *,
        truncated: bool,
        type_name: str | None = None,
    ) -> None:
        self.text = text
        self.size = size
        self.download = download
        self.truncated = truncated
        self.type_name = type_name

    def html(self, title: str) -> str:
        if self.size is None:
            return f'<h3>{esc(title)}</h3><p class="empty">nothing recorded</p>'
        size = f"{self.size:,} characters of JSON"
        typed = f" · {esc(self.type_name)}" if self.type_name else ""
        head = (
            f"<h3>{esc(title)} <small>{esc(size)}{typed} · "
            f"{link(self.download, 'download')}</small></h3>"
        )
        note = (
            f'<p class="note">Too large to show whole: the first {len(self.text or ""):,} '
            "characters of the stored JSON.</p>"
            if self.truncated
            else ""
        )
        return f'{head}{note}<pre class="value">{esc(self.text)}</pre>'


def pretty(text: str) -> tuple[str, str | None]:
    """A recorded JSON text decoded and shown as indented JSON, and the value's type."""
    from lythonic.compose.provenance import decode_value

    try:
        value = decode_value(text)
    except Exception:  # recorded by a newer lythonic, or not JSON: show it as stored
        return text, None
    shown = json.dumps(_plain(value), indent=2, ensure_ascii=False, default=repr)
    return shown, type(value).__name__


def _plain(value: Any) -> Any:
    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return value


def step_page(
    run: DagRun, node: NodeExecution | None, label: str, values: Mapping[str, ValueView]
) -> str:
    if node is None:
        facts = '<p class="empty">This step has not run in this run.</p>'
    else:
        took = node_seconds(node)
        items = [
            ("status", status_badge(node.status)),
            ("attempt", esc(node.attempt)),
            ("started (UTC)", when(node.started_at)),
            ("finished (UTC)", when(node.finished_at)),
            ("took", esc(seconds(took))),
            ("edges crossed", esc(", ".join(e.downstream_label for e in node.edges) or "-")),
        ]
        facts = (
            '<dl class="facts">'
            + "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in items)
            + "</dl>"
        )
        if node.error and node.status not in ("completed", "skipped"):
            title = "Traceback" if node.status == "failed" else "Error"
            facts += (
                f'<section class="failure"><h2>{title} (attempt {esc(node.attempt)})</h2>'
                f'<pre class="traceback">{esc(node.error)}</pre></section>'
            )
    io = "".join(values[k].html(k) for k in ("inputs", "output") if k in values)
    body = (
        f"<h1>Step <code>{esc(label)}</code></h1>"
        f"<p>of run {link(run_href(run.run_id), run.run_id)} ({esc(run.dag_nsref)})</p>"
        + facts
        + f'<section class="values"><h2>Values</h2>{io}</section>'
    )
    crumbs = [link(run_href(run.run_id), run.run_id), esc(label)]
    live = node is not None and node.status == "running"
    return page(f"{label} of {run.run_id}", body, live=live, crumbs=crumbs)


# -- triggers and errors ------------------------------------------------------------


def triggers_page(rows: Sequence[Mapping[str, Any]]) -> str:
    cells = []
    for t in rows:
        last = t.get("last_event")
        last_cell = "-"
        if last:
            run = last.get("run_id")
            target = link(run_href(run), run) if run else ""
            last_cell = f"{status_badge(last.get('status'))} {target} {esc(last.get('fired_at'))}"
        cells.append(
            [
                link(with_query("/", {"trigger": t["name"]}), t["name"]),
                esc(t.get("dag")),
                esc(t.get("type")),
                f"<code>{esc(t.get('cron') or '-')}</code>",
                esc(t.get("timezone")),
                status_badge("active" if t.get("state") == "active" else "disabled"),
                esc(t.get("next_utc") or "-"),
                last_cell,
            ]
        )
    body = "<h1>Triggers</h1>" + (
        table(
            ["trigger", "DAG", "type", "schedule", "time zone", "state", "next fire (UTC)", "last"],
            cells,
            cls="triggers",
        )
        if cells
        else '<p class="empty">No triggers on record (a daemon records them when it starts).</p>'
    )
    return page("Triggers", body, crumbs=[esc("triggers")])


def not_found_page(what: str, hint: str = "") -> str:
    extra = f"<p>{esc(hint)}</p>" if hint else ""
    return page("Not found", f"<h1>Not found</h1><p>{esc(what)}</p>{extra}")
