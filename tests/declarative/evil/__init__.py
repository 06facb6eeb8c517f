"""Importing this package is a test failure: the import guard must refuse it first."""

import os

os.environ["LYTH_TEST_EVIL_IMPORTED"] = "1"


def run() -> None:
    """Would do harm."""
