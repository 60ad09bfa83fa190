"""The episode clock: milliseconds since the episode started, monotonic, µs precision."""

from __future__ import annotations

import time
from datetime import UTC, datetime


class EpisodeClock:
    """t_ms = 0 at creation; `wall_start` is the matching wall-clock time."""

    def __init__(self) -> None:
        self._t0 = time.monotonic_ns()
        self.wall_start = datetime.now(UTC).isoformat(timespec="milliseconds")

    def ms(self) -> float:
        return round((time.monotonic_ns() - self._t0) / 1e6, 3)
