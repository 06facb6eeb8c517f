"""``Configurable``: a class whose behaviour is set by a pydantic config object."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel

__all__ = ["ConfigType", "Configurable"]

ConfigType = TypeVar("ConfigType", bound=BaseModel)


class Configurable(Generic[ConfigType]):
    """Holds the pydantic ``config`` it was built with."""

    config: ConfigType

    def __init__(self, config: ConfigType) -> None:
        self.config = config
