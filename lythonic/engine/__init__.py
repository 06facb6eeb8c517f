"""The engine: ``lyth start`` as a long-running daemon.

``Daemon(config, settings, watch=True).run()`` schedules the config's
triggers until SIGTERM/SIGINT, applies edits of the config while it runs
(``watch``), and keeps a status record (``lyth.status.json``) and a pid file
(``lyth.pid``) in the data directory for ``lyth status`` and ``lyth stop``.
``ConfigTriggers`` is the trigger manager of one config snapshot; the pid
file and status record helpers are what the CLI reads. See docs/engine.md.
"""

from lythonic.engine._changes import ChangeSet, WatchPlan, plan_watch, project_modules
from lythonic.engine._daemon import PID_FILE, Daemon
from lythonic.engine._pidfile import DaemonAlreadyRunning, PidFile, PidProbe, pid_alive, probe
from lythonic.engine._process import exit_process
from lythonic.engine._recorder import EngineRecorder
from lythonic.engine._reload import ConfigSource, Reloader
from lythonic.engine._status import (
    STATUS_FILE,
    DaemonStatus,
    ReloadResult,
    read_status,
    write_status,
)
from lythonic.engine._triggers import (
    ConfigTriggers,
    TriggerDiff,
    config_trigger_specs,
    next_fire_fields,
)

__all__ = [
    "PID_FILE",
    "STATUS_FILE",
    "ChangeSet",
    "ConfigSource",
    "ConfigTriggers",
    "Daemon",
    "DaemonAlreadyRunning",
    "DaemonStatus",
    "EngineRecorder",
    "PidFile",
    "PidProbe",
    "ReloadResult",
    "Reloader",
    "TriggerDiff",
    "WatchPlan",
    "config_trigger_specs",
    "exit_process",
    "next_fire_fields",
    "pid_alive",
    "plan_watch",
    "probe",
    "project_modules",
    "read_status",
    "write_status",
]
