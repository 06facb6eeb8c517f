"""Why a recorded run cannot be read back as asked: the errors a store's reader raises."""

from __future__ import annotations

from lythonic._public import publish

__all__ = [
    "DagDefinitionChanged",
    "RunNotFound",
    "RunNotRestartable",
    "RunRecoveryError",
    "UnknownStep",
]


class RunRecoveryError(ValueError):
    """A recorded run cannot be restarted or replayed as asked."""


class RunNotFound(RunRecoveryError):
    """The provenance store holds no run with that id."""


class RunNotRestartable(RunRecoveryError):
    """The run's status, or a value that was not recordable, rules out a restart."""


class UnknownStep(RunRecoveryError):
    """A step named to replay is not in the DAG."""


class DagDefinitionChanged(RunRecoveryError):
    """The DAG differs from the one the run was recorded with."""


publish("lythonic.compose.dag_provenance", RunNotFound, RunNotRestartable, DagDefinitionChanged)
