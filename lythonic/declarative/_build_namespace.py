"""Building the ``namespace:`` entries: upstream's ``Namespace.from_dict``, through
the import guard, with every schedule checked and every problem placed."""

from __future__ import annotations

from typing import Any

from lythonic.compose.nodes import CONFIG_TYPES, auto_fill_trigger_names
from lythonic.declarative._build import Builder, placeholder
from lythonic.declarative._diagnostics import one_line
from lythonic.declarative._imports import RefError
from lythonic.declarative._namespace_model import NsFragmentEntry
from lythonic.declarative._trigger_checks import cron_problem, timezone_problem
from lythonic.declarative._yaml import Path

__all__ = ["build_namespace"]


def build_namespace(b: Builder) -> None:
    """Register every `namespace:` entry, upstream-style, through the import guard."""
    tables: dict[str, str] = {}
    for i, entry in enumerate(b.spec.namespace):
        path: Path = ("namespace", i)
        data = entry.model_dump(exclude_unset=True)
        if not _schedules_ok(b, data, path):
            continue
        try:
            if isinstance(entry, NsFragmentEntry):
                _fragment(b, entry, data, path)
            else:
                _entry(b, data, path)
        except RefError as e:
            b.ref_error((*path, "gref"), e)
        except (ValueError, TypeError) as e:
            b.diag(path, f"namespace entry {i + 1}: {one_line(e)}", "namespace")
        except Exception as e:  # user code (a factory, a fragment's __init__) failed
            b.diag(path, f"namespace entry {i + 1}: {type(e).__name__}: {one_line(e)}", "namespace")
        for t, trigger in enumerate(data.get("triggers") or []):
            _poll_fn(b, trigger, (*path, "triggers", t, "poll_fn"))
        _cache_tables(b, tables, path)


def _cache_tables(b: Builder, tables: dict[str, str], path: Path) -> None:
    """Two cache nodes whose nsrefs map to one table (``a.b:c``, ``a:b.c``) are an error."""
    from lythonic.compose.cached import cache_table_name
    from lythonic.compose.nodes import NsCacheConfig

    for leaf in b.namespace.nodes():
        if not isinstance(leaf.config, NsCacheConfig):
            continue
        nsref = str(leaf.nsref)
        owner = tables.setdefault(cache_table_name(nsref), nsref)
        if owner != nsref:
            b.diag(
                path,
                f"cache '{nsref}' would share the cache table '{cache_table_name(nsref)}' with "
                f"cache '{owner}' (':' and '.' both become '__' in table names)",
                "cache_table",
                hint="rename one of them",
            )
            tables[cache_table_name(nsref)] = nsref  # said once


def _schedules_ok(b: Builder, data: dict[str, Any], path: Path) -> bool:
    """Check the cron and time zone of every trigger of a namespace entry."""
    found: list[tuple[Any, Path]] = [
        (t, (*path, "triggers", j)) for j, t in enumerate(data.get("triggers") or [])
    ]
    for name, config in (data.get("configs") or {}).items():
        found += [
            (t, (*path, "configs", name, "triggers", j))
            for j, t in enumerate(config.get("triggers") or [])
        ]
    ok = True
    for trigger, tpath in found:
        if isinstance(trigger, str):
            problem = cron_problem(trigger)
            if problem is not None:
                b.diag(tpath, problem, "cron")
                ok = False
            continue
        schedule, tz = trigger.get("schedule"), trigger.get("timezone")
        problem = cron_problem(schedule) if schedule is not None else None
        if problem is not None:
            b.diag((*tpath, "schedule"), problem, "cron")
            ok = False
        tz_problem = timezone_problem(tz) if tz is not None else None
        if tz_problem is not None:
            b.diag((*tpath, "timezone"), tz_problem[0], "timezone", hint=tz_problem[1])
            ok = False
    return ok


def _entry(b: Builder, data: dict[str, Any], path: Path) -> None:
    config = CONFIG_TYPES[data.get("type", "auto")].model_validate(data)
    auto_fill_trigger_names(config)
    if config.gref is None:
        b.namespace.register(placeholder(str(config.nsref)), config=config)
        return
    obj = b.obtain(str(config.gref), (*path, "gref"), "entry")
    b.namespace.register(obj, nsref=config.nsref, config=config)


def _fragment(b: Builder, entry: NsFragmentEntry, data: dict[str, Any], path: Path) -> None:
    b.fragment_prefixes.append(entry.nsref)
    module, _, attr = entry.gref.partition(":")
    if b.resolver is None:
        b.check_module(module)
        return
    if attr:
        b.resolver.resolve(entry.gref)
    else:
        b.resolver.module(module)
    b.namespace.register_fragment(data)
    for name, config in entry.configs.items():
        for t, trigger in enumerate(config.triggers or []):
            _poll_fn(b, trigger, (*path, "configs", name, "triggers", t, "poll_fn"))


def _poll_fn(b: Builder, trigger: Any, path: Path) -> None:
    ref = trigger.get("poll_fn") if isinstance(trigger, dict) else None
    if ref is None:
        return
    try:
        fn = b.obtain(str(ref), path, "step")
    except RefError as e:
        b.ref_error(path, e)
        return
    if not callable(fn):
        b.diag(path, f"poll_fn '{ref}' is not callable", "ref_kind")
