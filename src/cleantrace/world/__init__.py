"""Fake world: deterministic fake data from a seed, only from reserved ranges, kept in SQLite.

`Database`, `FakeData` and `World` are imported on first use, so that an app server that only
needs `Database` does not pay for importing Faker.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cleantrace.world.db import Database
    from cleantrace.world.fake import FakeData
    from cleantrace.world.world import World

_HOMES = {"Database": "cleantrace.world.db", "FakeData": "cleantrace.world.fake", "World": "cleantrace.world.world"}

__all__ = ["Database", "FakeData", "World"]


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(_HOMES[name]), name)
    raise AttributeError(name)
