"""Run ids: random version-4 UUID strings, cheap to make."""

from __future__ import annotations

import os
import random

__all__ = ["new_run_id"]

# A private generator: run ids must stay unique even when user code seeds `random`.
_ids = random.Random(os.urandom(16))
os.register_at_fork(after_in_child=lambda: _ids.seed(os.urandom(16)))


def new_run_id() -> str:
    """A random (version 4) UUID string."""
    n = (
        (_ids.getrandbits(128) & ~(0xF000 << 64) & ~(0xC000 << 48))
        | (0x4000 << 64)
        | (0x8000 << 48)
    )
    h = f"{n:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
