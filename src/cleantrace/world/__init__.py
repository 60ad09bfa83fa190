"""Fake world: deterministic fake data from a seed, only from reserved ranges, kept in SQLite."""

from cleantrace.world.db import Database
from cleantrace.world.fake import FakeData
from cleantrace.world.world import World

__all__ = ["Database", "FakeData", "World"]
