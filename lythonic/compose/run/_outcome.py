"""What one run shares with its child runs, and how a run ended."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from lythonic.compose.provenance import RunStatus

if TYPE_CHECKING:
    from lythonic.compose.provenance import ProvenanceStore
    from lythonic.compose.run._executor import Executor

__all__ = ["Outcome", "RunSettings"]


@dataclass(slots=True)
class RunSettings:
    """What a run and all its child runs share."""

    provenance: ProvenanceStore
    executor: Executor
    max_concurrency: int | None = None
    context_values: Mapping[str, Any] = field(default_factory=dict)
    scheduled_at: datetime | None = None
    initiator: str | None = None
    config_revision: str | None = None
    pause_requested: bool = False
    timeout: float | None = None
    """Seconds the whole run may take (its child runs included); then it fails."""


@dataclass(slots=True)
class Outcome:
    run_id: str
    status: RunStatus
    outputs: dict[str, Any]
    failed_node: str | None = None
    error: str | None = None
