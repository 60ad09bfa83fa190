"""The world handed to a task: seeded randomness, fake data and the app's database."""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import TypeVar

from cleantrace.spec import seed_for
from cleantrace.world.db import Database
from cleantrace.world.fake import FakeData

T = TypeVar("T")


class World:
    """Fake data and app state of one episode; the same seed always gives the same world.

    `rng` (the task's choices) and `fake` (fake people and values) draw from separate streams of
    the seed (`cleantrace.spec.seed_stream`), so a pack adding fake records never changes a task's picks.
    """

    def __init__(self, seed: int, db_path: str | Path, locale: str = "en_US", home: Path | None = None) -> None:
        self.seed = seed
        self.rng = random.Random(seed_for(seed, "world"))
        self.fake = FakeData(seed, locale)
        self.db = Database(db_path)
        self.home = home  # desktop episodes: the sandbox user's home folder (documents live here)
        self.apps: dict[str, World] = {}  # desktop episodes: the world of each web app (Task.web_apps)

    def app(self, name: str) -> World:
        """Desktop episodes: the world (database) of the web app `name` of the task's `web_apps`."""
        if name not in self.apps:
            raise LookupError(f"no web app {name!r} in this episode (has: {', '.join(self.apps) or 'none'})"
                              " — list it in the task's `web_apps`")
        return self.apps[name]

    def pick(self, table: str) -> SimpleNamespace:
        """One row of `table`, chosen by the seed."""
        ids = [row.id for row in self.db.rows(f"select id from {table} order by id")]  # noqa: S608
        if not ids:
            raise LookupError(f"table {table!r} is empty")
        return self.db.rows(f"select * from {table} where id=?", self.rng.choice(ids))[0]  # noqa: S608

    def choice(self, options: Sequence[T]) -> T:
        """One of `options`, chosen by the seed."""
        return self.rng.choice(list(options))

    def close(self) -> None:
        for world in getattr(self, "apps", {}).values():  # a World made by copying (tasks.lint) may have none
            if world is not self:
                world.close()
        self.db.close()
