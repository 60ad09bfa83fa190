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

    def from_server_ms(self, server_ms: int) -> float:
        """t_ms of an X server timestamp: X servers stamp events with CLOCK_MONOTONIC in whole
        milliseconds, modulo 2**32 (the clock this one reads). The event happened within the
        millisecond that follows."""
        start_ms = self._t0 / 1e6
        elapsed = (server_ms - int(start_ms)) % 2**32
        return round(elapsed - (start_ms - int(start_ms)), 3)
