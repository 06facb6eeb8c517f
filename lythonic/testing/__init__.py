"""Helpers for testing code built on lythonic (see docs/testing.md).

``run_dag`` runs a DAG once and returns what was recorded (``RecordedRun``:
each step's status and output, the edges values crossed); ``edge_value`` and
``assert_edge`` read what crossed an edge. The pytest plugin of this package
(``lythonic.testing._plugin``, registered as ``pytest11``) gives the fixtures
``lyth_data_dir``, ``lyth_store``, ``lyth_run`` and ``fake_clock``.

``FakeClock`` replaces the wall clock of the trigger scheduler, so a test can
run a day of cron ticks in milliseconds:

>>> import asyncio
>>> from datetime import UTC, datetime
>>> from lythonic.compose.namespace import Dag, Namespace, NsNodeConfig, TriggerConfig
>>> from lythonic.compose.trigger import TriggerManager, TriggerStore
>>> def tick() -> str: return "ran"
>>> dag = Dag(); _ = dag.node(tick)
>>> ns = Namespace()
>>> _ = ns.register(dag, nsref="demo:tick", config=NsNodeConfig(
...     nsref="demo:tick", triggers=[TriggerConfig(name="hourly", schedule="0 * * * *")]))
>>> async def main(db):
...     clock = FakeClock(datetime(2024, 1, 1, tzinfo=UTC))
...     store = TriggerStore(db, clock=clock)
...     manager = TriggerManager(ns, store)
...     manager.activate_configured()
...     manager.start()
...     await clock.advance(hours=3)
...     await manager.drain()
...     manager.stop()
...     runs = [e["run_id"] for e in store.get_events("hourly")]
...     store.close()
...     return sorted(runs)
>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as d:
...     asyncio.run(main(pathlib.Path(d) / "triggers.db"))
['hourly@20240101T010000Z', 'hourly@20240101T020000Z', 'hourly@20240101T030000Z']
"""

from lythonic.compose.schedule import FakeClock
from lythonic.testing._run import RecordedRun, RecordedStep, assert_edge, edge_value, run_dag

__all__ = ["FakeClock", "RecordedRun", "RecordedStep", "assert_edge", "edge_value", "run_dag"]
