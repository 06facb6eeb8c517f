"""The engine: ``lyth start`` as a long-running daemon.

``Daemon(config, settings, watch=True).run()`` schedules the config's
triggers until SIGTERM/SIGINT, applies edits of the config while it runs
(``watch``), and keeps a status record (``lyth.status.json``) and a pid file
(``lyth.pid``) in the data directory for ``lyth status`` and ``lyth stop``.
``ConfigTriggers`` is the trigger manager of one config snapshot; the pid
file and status record helpers are what the CLI reads. See docs/engine.md.

Names load on first use (``lythonic._lazy``): importing the package, or one
of its modules, loads only what is asked for.
"""

from typing import TYPE_CHECKING

from lythonic._lazy import lazy_exports

if TYPE_CHECKING:
    from lythonic.engine._changes import (
        ChangeSet,
        WatchPlan,
        plan_watch,
        project_modules,
    )
    from lythonic.engine._daemon import (
        Daemon,
    )
    from lythonic.engine._pidfile import (
        PID_FILE,
        DaemonAlreadyRunning,
        PidFile,
        PidProbe,
        pid_alive,
        probe,
    )
    from lythonic.engine._process import (
        exit_process,
    )
    from lythonic.engine._recorder import (
        EngineRecorder,
    )
    from lythonic.engine._reload import (
        ConfigSource,
        Reloader,
    )
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

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "_changes": ["ChangeSet", "WatchPlan", "plan_watch", "project_modules"],
        "_daemon": ["Daemon"],
        "_pidfile": [
            "PID_FILE",
            "DaemonAlreadyRunning",
            "PidFile",
            "PidProbe",
            "pid_alive",
            "probe",
        ],
        "_process": ["exit_process"],
        "_recorder": ["EngineRecorder"],
        "_reload": ["ConfigSource", "Reloader"],
        "_status": ["STATUS_FILE", "DaemonStatus", "ReloadResult", "read_status", "write_status"],
        "_triggers": ["ConfigTriggers", "TriggerDiff", "config_trigger_specs", "next_fire_fields"],
    },
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
