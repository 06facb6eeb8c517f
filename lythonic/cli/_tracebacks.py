"""Tracebacks for people: the user's frames, without lythonic's machinery.

The store keeps a failed step's whole traceback. ``lyth runs show`` prints it
with the frames of lythonic, asyncio, threads and futures left out (they are
the same in every failure and hide the one frame that matters), and says how
many it left out.

>>> text = '''Traceback (most recent call last):
...   File "/site/lythonic/compose/_step_threads.py", line 9, in _work
...     value = call.context.run(call.fn, **call.kwargs)
...   File "/srv/pipes/etl.py", line 3, in load
...     raise ValueError("bad row")
... ValueError: bad row'''
>>> print(user_frames(text))
Traceback (most recent call last):
  File "/srv/pipes/etl.py", line 3, in load
    raise ValueError("bad row")
ValueError: bad row
  (1 frame of lythonic, asyncio or the thread pool left out)
"""

from __future__ import annotations

import re

__all__ = ["last_error_line", "user_frames"]

_FRAME = re.compile(r'^\s*File "(?P<path>[^"]+)", line \d+')
_INTERNAL = re.compile(r"[/\\](lythonic|asyncio|concurrent[/\\]futures)[/\\]|[/\\]threading\.py$")


def user_frames(text: str) -> str:
    """``text`` (a formatted traceback) without internal frames."""
    out: list[str] = []
    dropped = 0
    skipping = False
    for line in text.rstrip("\n").splitlines():
        match = _FRAME.match(line)
        if match:
            skipping = bool(_INTERNAL.search(match.group("path")))
            dropped += skipping
            if not skipping:
                out.append(line)
            continue
        if skipping and line.startswith("    "):
            continue  # the source line (and ^^^ markers) of a dropped frame
        skipping = False
        out.append(line)
    if dropped:
        s = "" if dropped == 1 else "s"
        out.append(f"  ({dropped} frame{s} of lythonic, asyncio or the thread pool left out)")
    return "\n".join(out)


_QUALIFIED = re.compile(r"^(?:[A-Za-z_]\w*\.)+(?P<name>[A-Za-z_]\w*)(?P<rest>: .*|$)")


def last_error_line(text: str | None) -> str | None:
    """The exception line of a traceback, its class without the module path
    (``NodeTimeout: node 'x' timed out ...``)."""
    if not text:
        return None
    lines = [
        line for line in text.strip().splitlines() if line.strip() and not line.startswith(" ")
    ]
    if not lines:
        return None
    last = lines[-1]
    match = _QUALIFIED.match(last)
    return f"{match.group('name')}{match.group('rest')}" if match else last
