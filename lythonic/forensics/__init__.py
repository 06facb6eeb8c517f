"""Offline forensics: answers from what the run store recorded. ``diff_runs``
compares two runs (steps, values, child runs); ``replay_step`` runs one recorded
step again, alone, and compares its result with the record."""

from lythonic.forensics._diff import ChildrenDiff, RunDiff, StepDiff, diff_runs
from lythonic.forensics._replay import ReplayRefused, StepReplay, replay_step
from lythonic.forensics._values import Change, value_changes

__all__ = [
    "Change",
    "ChildrenDiff",
    "ReplayRefused",
    "RunDiff",
    "StepDiff",
    "StepReplay",
    "diff_runs",
    "replay_step",
    "value_changes",
]
