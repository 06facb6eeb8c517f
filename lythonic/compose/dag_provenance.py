"""Run history: what went into each node, what came out, what failed.

``NullProvenance`` records nothing.
"""

from lythonic.compose._provenance_store import (
    SCHEDULER,
    NullProvenance,
    ProvenanceStore,
    initiated_by,
    run_initiator,
)

__all__ = ["SCHEDULER", "NullProvenance", "ProvenanceStore", "initiated_by", "run_initiator"]
