"""lyth ui: a read-only web view of runs, graphs and values.

``pip install 'lythonic[ui]'`` (Starlette and uvicorn). ``lyth ui`` serves the
data directory's history; ``lyth start --ui`` serves the same app inside the
daemon, on its event loop. ``build_app(source, ...)`` gives the ASGI app.
Starlette and uvicorn are imported when an app is built or served, not here.
"""

from lythonic.ui._app import build_app
from lythonic.ui._guard import is_loopback
from lythonic.ui._serve import UiExposed, bound_port, check_exposure, listen, make_server
from lythonic.ui._source import UiSource
from lythonic.ui._source import dag_shapes as shapes_of

__all__ = [
    "UiExposed",
    "UiSource",
    "bound_port",
    "build_app",
    "check_exposure",
    "is_loopback",
    "listen",
    "make_server",
    "shapes_of",
]
