"""When an episode's stages were reached, logged to the sandbox's log (not the trace): `stage NAME: N ms`."""

from __future__ import annotations

import sys
import time

PROCESS_START_NS = time.monotonic_ns()  # imported first thing by the episode process


def stage(name: str) -> None:
    """Log when stage `name` was reached, in ms since the episode process started."""
    print(f"stage {name}: {(time.monotonic_ns() - PROCESS_START_NS) / 1e6:.0f} ms", file=sys.stderr, flush=True)
