"""Filesystem helpers."""

from __future__ import annotations

import shutil
from pathlib import Path

__all__ = ["ensure_dir", "tabula_rasa_path"]


def ensure_dir(dir: Path | str) -> Path:
    """Create ``dir`` with its parents when missing; return it as a Path."""
    path = Path(dir)
    path.mkdir(parents=True, exist_ok=True)
    return path


def tabula_rasa_path(p: Path | str) -> Path:
    """Remove whatever is at ``p`` (file or tree) and make sure its parent exists."""
    path = Path(p)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()
    ensure_dir(path.parent)
    return path
