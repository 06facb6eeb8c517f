"""Offline forensics: answers from what the run store recorded, without running
anything. ``diff_runs`` compares two runs (steps, values, child runs)."""

from lythonic.forensics._diff import ChildrenDiff, RunDiff, StepDiff, diff_runs
from lythonic.forensics._values import Change, value_changes

__all__ = ["Change", "ChildrenDiff", "RunDiff", "StepDiff", "diff_runs", "value_changes"]
