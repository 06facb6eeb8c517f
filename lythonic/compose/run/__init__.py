"""Running a DAG: its compiled plan, the run loop with retries, timeouts and
composites, executors for sync steps (threads, processes), and restart/replay
as recovery plans the runner executes.

Below ``graph/``: the runner sees a DAG through ``nodes.DagShape`` only. A new
executor subclasses ``Executor`` (``_executor.py``) and lives here.

Names load on first use (``lythonic._lazy``): importing the package, or one
of its modules, loads only what is asked for.
"""

from typing import TYPE_CHECKING

from lythonic._lazy import lazy_exports

if TYPE_CHECKING:
    from lythonic.compose.run._dask import (
        DaskExecutor,
        ExecutorLost,
        WorkerLost,
    )
    from lythonic.compose.run._errors import (
        ChildPaused,
        DagPause,
        NodeInputError,
        NodeTimeout,
        SubDagFailed,
        short_error,
        user_traceback,
    )
    from lythonic.compose.run._execution import (
        dag_hash,
        execute_run,
    )
    from lythonic.compose.run._executor import (
        Executor,
        LocalExecutor,
        ThreadStats,
        default_executor,
    )
    from lythonic.compose.run._hooks import (
        HOOK_TIMEOUT,
        FailedStep,
        RunSummary,
        run_hooks,
        watched_run,
    )
    from lythonic.compose.run._ids import (
        new_run_id,
    )
    from lythonic.compose.run._isolation import (
        ProcessIsolation,
        RemoteTraceback,
        StepProcessError,
        default_isolation,
    )
    from lythonic.compose.run._outcome import (
        Outcome,
        RunSettings,
    )
    from lythonic.compose.run._outlook import (
        outlook,
    )
    from lythonic.compose.run._plan import (
        ASYNC,
        CALL,
        INLINE,
        MAP,
        MAP_SWITCH,
        PLAIN,
        SWITCH,
        THREAD,
        DagPlan,
        NodePlan,
        call_mode,
        plan_for,
    )
    from lythonic.compose.run._recovery import (
        RESTARTABLE,
        Decision,
        Recovery,
        decide_reuse,
        explain_recovery,
        plan_replay,
        plan_restart,
        reusable_outputs,
    )
    from lythonic.compose.run._runner import (
        DagRunner,
        DagRunResult,
        to_result,
    )

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "_errors": [
            "ChildPaused",
            "DagPause",
            "NodeInputError",
            "NodeTimeout",
            "SubDagFailed",
            "short_error",
            "user_traceback",
        ],
        "_dask": ["DaskExecutor", "ExecutorLost", "WorkerLost"],
        "_hooks": ["HOOK_TIMEOUT", "FailedStep", "RunSummary", "run_hooks", "watched_run"],
        "_ids": ["new_run_id"],
        "_outcome": ["Outcome", "RunSettings"],
        "_executor": ["Executor", "LocalExecutor", "ThreadStats", "default_executor"],
        "_isolation": [
            "ProcessIsolation",
            "RemoteTraceback",
            "StepProcessError",
            "default_isolation",
        ],
        "_plan": [
            "ASYNC",
            "CALL",
            "INLINE",
            "MAP",
            "MAP_SWITCH",
            "PLAIN",
            "SWITCH",
            "THREAD",
            "DagPlan",
            "NodePlan",
            "call_mode",
            "plan_for",
        ],
        "_execution": ["dag_hash", "execute_run"],
        "_outlook": ["outlook"],
        "_recovery": [
            "RESTARTABLE",
            "Decision",
            "Recovery",
            "decide_reuse",
            "explain_recovery",
            "plan_replay",
            "plan_restart",
            "reusable_outputs",
        ],
        "_runner": ["DagRunResult", "DagRunner", "to_result"],
    },
)

__all__ = [
    "ASYNC",
    "CALL",
    "HOOK_TIMEOUT",
    "INLINE",
    "MAP",
    "MAP_SWITCH",
    "PLAIN",
    "RESTARTABLE",
    "SWITCH",
    "THREAD",
    "ChildPaused",
    "DagPause",
    "DagPlan",
    "DagRunResult",
    "DagRunner",
    "DaskExecutor",
    "Decision",
    "Executor",
    "ExecutorLost",
    "FailedStep",
    "LocalExecutor",
    "NodeInputError",
    "NodePlan",
    "NodeTimeout",
    "Outcome",
    "ProcessIsolation",
    "Recovery",
    "RemoteTraceback",
    "RunSettings",
    "RunSummary",
    "StepProcessError",
    "SubDagFailed",
    "ThreadStats",
    "WorkerLost",
    "call_mode",
    "dag_hash",
    "decide_reuse",
    "default_executor",
    "default_isolation",
    "execute_run",
    "explain_recovery",
    "new_run_id",
    "outlook",
    "plan_for",
    "plan_replay",
    "plan_restart",
    "reusable_outputs",
    "run_hooks",
    "short_error",
    "to_result",
    "user_traceback",
    "watched_run",
]
